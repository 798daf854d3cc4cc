-- Cohort retention (docs/definitions.md): customers grouped by the month of their first
-- MRR, followed month by month. Logo retention counts the customers paying
-- in the period (reactivated customers count again); survival counts those
-- who have paid every month since the cohort month (the curve the sBG
-- projection is fitted to). Revenue retention is the cohort's MRR against
-- its MRR in the cohort month, so it exceeds 1 when expansion outweighs
-- churn. One row per segment ('all' plus each segment), cohort and period.
with customer_months as (
    select * from {{ ref('fct_mrr') }}
),

cohort_customers as (
    select * from {{ ref('int_cohort_customers') }}
),

customer_periods as (
    select
        customer_months.customer_id,
        customer_months.cohort_month,
        customer_months.month,
        {{ dbt.datediff('customer_months.cohort_month', 'customer_months.month', 'month') }} as period,  -- noqa: LT05
        customer_months.mrr,
        cohort_customers.starting_mrr,
        cohort_customers.segment,
        cohort_customers.first_lost_period
    from customer_months
    inner join cohort_customers
        on customer_months.customer_id = cohort_customers.customer_id
),

grouped as (
    select
        segment,
        customer_id,
        cohort_month,
        month,
        period,
        mrr,
        starting_mrr,
        first_lost_period
    from customer_periods

    union all

    select
        'all' as segment,
        customer_id,
        cohort_month,
        month,
        period,
        mrr,
        starting_mrr,
        first_lost_period
    from customer_periods
),

aggregated as (
    select
        segment,
        cohort_month,
        period,
        month,
        cast(count(*) as {{ dbt.type_bigint() }}) as cohort_customers,
        {{ count_where('mrr > 0') }} as active_customers,
        {{ count_where('first_lost_period is null or first_lost_period > period') }} as surviving_customers,
        cast(sum(starting_mrr) as decimal(18, 2)) as cohort_starting_mrr,
        cast(sum(mrr) as decimal(18, 2)) as mrr
    from grouped
    group by
        segment,
        cohort_month,
        period,
        month
),

final as (
    select
        segment,
        cohort_month,
        cast(period as {{ dbt.type_int() }}) as period,
        month,
        cohort_customers,
        active_customers,
        surviving_customers,
        cast({{ safe_divide('active_customers', 'cohort_customers') }} as {{ type_double() }})
            as logo_retention_rate,
        cast({{ safe_divide('surviving_customers', 'cohort_customers') }} as {{ type_double() }})
            as survival_rate,
        cohort_starting_mrr,
        mrr,
        cast({{ safe_divide('mrr', 'cohort_starting_mrr') }} as {{ type_double() }}) as revenue_retention_rate
    from aggregated
)

select * from final
