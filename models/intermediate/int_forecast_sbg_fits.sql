-- The sBG retention curve fitted at the end of every month (the origin), per
-- group (each segment and 'all'), on the survival counts known at the origin
-- (int_forecast_origin_survival_counts), with the same search as
-- int_sbg_fit. At the last month the fits equal int_sbg_fit. An origin whose
-- group has no customer observed for a full month yet has no fit.
with origin_counts as (
    select * from {{ ref('int_forecast_origin_survival_counts') }}
),

keyed as (
    -- One fit per origin and group: the fit's group key joins both.
    select
        origin_month,
        segment as group_segment,
        {{ dbt.concat(["cast(origin_month as " ~ dbt.type_string() ~ ")", "'|'", 'segment']) }} as fit_key,
        period,
        customers_at_risk,
        customers_lost
    from origin_counts
),

fit_keys as (
    select distinct
        origin_month,
        group_segment,
        fit_key
    from keyed
),

survival_counts as (
    select
        fit_key as segment,
        period,
        customers_at_risk,
        customers_lost
    from keyed
),

{{ sbg_fit_ctes() }}

select
    fit_keys.origin_month,
    fit_keys.group_segment as segment,
    final.alpha,
    final.beta,
    final.log_likelihood,
    final.customers_observed,
    final.customers_lost,
    final.last_observed_period,
    final.is_degenerate,
    final.is_at_search_bound
from final
inner join fit_keys
    on final.segment = fit_keys.fit_key
