-- The logo survival counts of int_cohort_survival_counts as they stood at
-- the end of every month (the origin of a forecast), per group (each segment
-- and 'all'): only cohorts that had started by the origin, each censored at
-- its age at the origin, a loss counted only when it had happened by then.
-- The forecast backtest refits the sBG curve on them (int_forecast_sbg_fits)
-- so that each origin's forecast uses only what was known at the origin.
-- At the last month they equal int_cohort_survival_counts.
with customers as (
    select * from {{ ref('int_cohort_customers') }}
),

months as (
    select * from {{ ref('int_months') }}
),

periods as (
    -- Every possible period (0 .. number of months - 1), dense.
    select row_number() over (order by month) - 1 as period
    from months
),

at_origin as (
    -- Each customer as seen at each origin month from its cohort month on.
    select
        months.month as origin_month,
        customers.segment,
        customers.first_lost_period,
        least(
            customers.age_months,
            {{ dbt.datediff('customers.cohort_month', 'months.month', 'month') }}
        ) as age_months
    from customers
    inner join months
        on customers.cohort_month <= months.month
),

seen as (
    select
        origin_month,
        segment,
        age_months,
        case when first_lost_period <= age_months then first_lost_period end as first_lost_period
    from at_origin
),

grouped as (
    select
        origin_month,
        segment,
        age_months,
        first_lost_period
    from seen

    union all

    select
        origin_month,
        'all' as segment,
        age_months,
        first_lost_period
    from seen
),

group_ages as (
    select
        origin_month,
        segment,
        max(age_months) as max_age_months
    from grouped
    group by
        origin_month,
        segment
),

outcomes as (
    -- Each customer ends in exactly one cell: lost at a period, or censored
    -- (alive) at its age.
    select
        origin_month,
        segment,
        coalesce(first_lost_period, age_months) as period,
        {{ count_where('first_lost_period is not null') }} as customers_lost,
        {{ count_where('first_lost_period is null') }} as customers_censored
    from grouped
    group by
        origin_month,
        segment,
        coalesce(first_lost_period, age_months)
),

dense as (
    select
        group_ages.origin_month,
        group_ages.segment,
        periods.period,
        coalesce(outcomes.customers_lost, 0) as customers_lost,
        coalesce(outcomes.customers_censored, 0) as customers_censored
    from group_ages
    inner join periods
        on periods.period <= group_ages.max_age_months
    left join outcomes
        on
            group_ages.origin_month = outcomes.origin_month
            and group_ages.segment = outcomes.segment
            and periods.period = outcomes.period
),

with_risk as (
    -- At risk in period k = everyone whose outcome lies at k or later.
    select
        origin_month,
        segment,
        period,
        customers_lost,
        customers_censored,
        sum(customers_lost + customers_censored) over (
            partition by origin_month, segment
            order by period desc
            rows between unbounded preceding and current row
        ) as customers_at_risk
    from dense
),

final as (
    select
        origin_month,
        segment,
        cast(period as {{ dbt.type_int() }}) as period,
        cast(customers_at_risk as {{ dbt.type_bigint() }}) as customers_at_risk,
        cast(customers_lost as {{ dbt.type_bigint() }}) as customers_lost,
        cast(customers_censored as {{ dbt.type_bigint() }}) as customers_censored,
        cast(customers_at_risk - customers_lost as {{ dbt.type_bigint() }}) as customers_surviving
    from with_risk
    where period >= 1 and customers_at_risk > 0
)

select * from final
