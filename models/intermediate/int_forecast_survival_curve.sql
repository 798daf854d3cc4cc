-- The survival curve the forecast made at the end of each month (the origin)
-- uses for each customer segment: the sBG fit of the segment on what was
-- known at the origin (int_forecast_sbg_fits), or the whole business' fit
-- when the segment has none or a degenerate one (as in
-- customer_lifetime_value), as ln S(t) for every age t from 0 to the longest
-- possible history plus the forecast horizon.
-- ln S(t) = sum_{k <= t} ln r_k, r_k = (beta + k - 1) / (alpha + beta + k - 1).
-- An origin without a whole-business fit (no customer observed for a full
-- month yet) has no curve, and so no forecast.
{%- set horizon = forecast_horizon_months() | int %}

with fits as (
    select * from {{ ref('int_forecast_sbg_fits') }}
),

months as (
    select * from {{ ref('int_months') }}
),

customer_months as (
    select * from {{ ref('fct_mrr') }}
),

ages as (
    select row_number() over (order by month) - 1 as age_months
    from months
),

longest as (
    select max(age_months) as max_age_months
    from ages
),

months_ahead as (
    select cast(generated_number as {{ dbt.type_int() }}) as months_ahead
    from ({{ dbt.generate_series(horizon) }}) as series
),

curve_ages as (
    select age_months
    from ages

    union all

    select longest.max_age_months + months_ahead.months_ahead as age_months
    from longest
    cross join months_ahead
),

segments as (
    select distinct segment
    from customer_months
),

segment_fits as (
    -- Each customer segment at each origin with the fit it uses.
    select
        business_fit.origin_month,
        segments.segment,
        case
            when segment_fit.segment is null or segment_fit.is_degenerate then 'all'
            else segments.segment
        end as fit_segment
    from fits as business_fit
    cross join segments
    left join fits as segment_fit
        on
            business_fit.origin_month = segment_fit.origin_month
            and segments.segment = segment_fit.segment
    where business_fit.segment = 'all'
),

curve as (
    select
        segment_fits.origin_month,
        segment_fits.segment,
        segment_fits.fit_segment,
        curve_ages.age_months,
        sum(
            case
                when curve_ages.age_months = 0 then 0
                else {{ sbg_log_retention('fits.alpha', 'fits.beta', 'greatest(curve_ages.age_months, 1)') }}
            end
        ) over (
            partition by segment_fits.origin_month, segment_fits.segment
            order by curve_ages.age_months
            rows between unbounded preceding and current row
        ) as log_survival
    from segment_fits
    inner join fits
        on
            segment_fits.origin_month = fits.origin_month
            and segment_fits.fit_segment = fits.segment
    cross join curve_ages
),

final as (
    select
        cast(origin_month as date) as origin_month,
        segment,
        fit_segment,
        cast(age_months as {{ dbt.type_int() }}) as age_months,
        cast(log_survival as {{ type_double() }}) as log_survival
    from curve
)

select * from final
