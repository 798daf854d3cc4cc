-- Logo survival counts per group (each segment and 'all') and period since
-- the cohort month, pooled over cohorts, each cohort censored at its own
-- age. A customer is at risk in period k when alive at k - 1 and observed
-- at k; lost at k when k is the first month at zero MRR (reactivations are
-- not counted back); censored at k when still alive at its last observed
-- period k. These are the sufficient statistics of the sBG likelihood.
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

grouped as (
    select
        segment,
        age_months,
        first_lost_period
    from customers

    union all

    select
        'all' as segment,
        age_months,
        first_lost_period
    from customers
),

group_ages as (
    select
        segment,
        max(age_months) as max_age_months
    from grouped
    group by segment
),

outcomes as (
    -- Each customer ends in exactly one cell: lost at a period, or censored
    -- (alive) at its age.
    select
        segment,
        coalesce(first_lost_period, age_months) as period,
        {{ count_where('first_lost_period is not null') }} as customers_lost,
        {{ count_where('first_lost_period is null') }} as customers_censored
    from grouped
    group by
        segment,
        coalesce(first_lost_period, age_months)
),

dense as (
    select
        group_ages.segment,
        periods.period,
        coalesce(outcomes.customers_lost, 0) as customers_lost,
        coalesce(outcomes.customers_censored, 0) as customers_censored
    from group_ages
    inner join periods
        on periods.period <= group_ages.max_age_months
    left join outcomes
        on
            group_ages.segment = outcomes.segment
            and periods.period = outcomes.period
),

with_risk as (
    -- At risk in period k = everyone whose outcome lies at k or later.
    select
        segment,
        period,
        customers_lost,
        customers_censored,
        sum(customers_lost + customers_censored) over (
            partition by segment
            order by period desc
            rows between unbounded preceding and current row
        ) as customers_at_risk
    from dense
),

final as (
    select
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
