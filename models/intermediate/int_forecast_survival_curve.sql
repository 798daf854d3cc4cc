-- The survival curve the forecast uses for each customer segment: the sBG
-- fit of the segment (the whole business' fit when the segment's is
-- degenerate, as in customer_lifetime_value), as ln S(t) for every age t
-- from 0 to the longest possible history plus the forecast horizon.
-- ln S(t) = sum_{k <= t} ln r_k, r_k = (beta + k - 1) / (alpha + beta + k - 1).
{%- set horizon = forecast_horizon_months() | int %}

with fits as (
    select * from {{ ref('int_sbg_fit') }}
),

months as (
    select * from {{ ref('int_months') }}
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

segment_fits as (
    -- Each customer segment with the fit it uses.
    select
        segment_fit.segment,
        case when segment_fit.is_degenerate then 'all' else segment_fit.segment end as fit_segment
    from fits as segment_fit
    where segment_fit.segment <> 'all'
),

curve as (
    select
        segment_fits.segment,
        segment_fits.fit_segment,
        curve_ages.age_months,
        sum(
            case
                when curve_ages.age_months = 0 then 0
                else {{ sbg_log_retention('fits.alpha', 'fits.beta', 'greatest(curve_ages.age_months, 1)') }}
            end
        ) over (
            partition by segment_fits.segment
            order by curve_ages.age_months
            rows between unbounded preceding and current row
        ) as log_survival
    from segment_fits
    inner join fits
        on segment_fits.fit_segment = fits.segment
    cross join curve_ages
),

final as (
    select
        segment,
        fit_segment,
        cast(age_months as {{ dbt.type_int() }}) as age_months,
        cast(log_survival as {{ type_double() }}) as log_survival
    from curve
)

select * from final
