-- The fitted sBG survival curve of each group and, per age n (periods
-- survived), the discounted expected number of further paid months:
--   sum_{j = 1 .. H} S(n + j) / S(n) * v^j,  v = (1 + annual_discount_rate)^(-1/12),
-- i.e. the months after the current one, each weighted by the chance of
-- still paying then and discounted monthly. H = clv_horizon_months (100
-- years by default; what lies beyond is negligible once discounted).
-- Computed in logs (S(n + j) / S(n) = exp(ln S(n + j) - ln S(n))) so long
-- horizons and fast churn neither overflow nor underflow.
{%- set horizon = clv_horizon_months() | int %}

with fits as (
    select * from {{ ref('int_sbg_fit') }}
),

months as (
    select * from {{ ref('int_months') }}
),

ages as (
    -- 0 .. the longest history any customer can have.
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

curve_periods as (
    select age_months as period
    from ages

    union all

    select longest.max_age_months + months_ahead.months_ahead as period
    from longest
    cross join months_ahead
),

curve as (
    -- ln S(t) = sum_{k <= t} ln r_k (S(0) = 1).
    select
        fits.segment,
        curve_periods.period,
        sum(
            case
                when curve_periods.period = 0 then 0
                else {{ sbg_log_retention('fits.alpha', 'fits.beta', 'greatest(curve_periods.period, 1)') }}
            end
        ) over (
            partition by fits.segment
            order by curve_periods.period
            rows between unbounded preceding and current row
        ) as log_survival
    from fits
    cross join curve_periods
),

expected as (
    select
        current_age.segment,
        current_age.period as age_months,
        current_age.log_survival,
        sum(exp(
            later.log_survival - current_age.log_survival
            + (later.period - current_age.period) * {{ log_monthly_discount_factor(var('annual_discount_rate')) }}
        )) as expected_remaining_months
    from curve as current_age
    cross join longest
    inner join curve as later
        on
            current_age.segment = later.segment
            and later.period > current_age.period
            and later.period <= current_age.period + {{ horizon }}
    where current_age.period <= longest.max_age_months
    group by
        current_age.segment,
        current_age.period,
        current_age.log_survival
),

final as (
    select
        segment,
        cast(age_months as {{ dbt.type_int() }}) as age_months,
        exp(log_survival) as survival,
        round(expected_remaining_months, 6) as expected_remaining_months
    from expected
)

select * from final
