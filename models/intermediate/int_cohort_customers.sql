-- One row per customer who ever paid: the cohort (first month with MRR), how
-- long the customer has been observed, when the customer was first lost, and
-- the current paying run. Logo survival: a customer is lost the first month
-- its MRR is 0 (after the churn grace window of fct_mrr); a later
-- reactivation does not bring the customer back into the survival curve. For
-- the remaining lifetime of a paying customer, a reactivation starts a new
-- run whose age counts from the month of the reactivation.
with customer_months as (
    select * from {{ ref('fct_mrr') }}
),

with_period as (
    select
        customer_id,
        segment,
        acquisition_channel,
        cohort_month,
        month,
        mrr,
        movement,
        {{ dbt.datediff('cohort_month', 'month', 'month') }} as period  -- noqa: LT05
    from customer_months
),

latest_month as (
    select
        customer_id,
        max(month) as last_month
    from with_period
    group by customer_id
),

summarised as (
    select
        with_period.customer_id,
        with_period.segment,
        with_period.acquisition_channel,
        with_period.cohort_month,
        latest_month.last_month,
        max(with_period.period) as age_months,
        min(case when with_period.mrr = 0 then with_period.period end) as first_lost_period,
        sum(case when with_period.period = 0 then with_period.mrr else 0 end) as starting_mrr,
        sum(case when with_period.month = latest_month.last_month then with_period.mrr else 0 end)
            as current_mrr,
        {{ count_where('with_period.mrr > 0') }} as paid_months,
        max(case when with_period.movement in ('new', 'reactivation') then with_period.month end)
            as current_run_start_month
    from with_period
    inner join latest_month
        on with_period.customer_id = latest_month.customer_id
    group by
        with_period.customer_id,
        with_period.segment,
        with_period.acquisition_channel,
        with_period.cohort_month,
        latest_month.last_month
),

final as (
    select
        customer_id,
        segment,
        acquisition_channel,
        cohort_month,
        age_months,
        first_lost_period,
        cast(starting_mrr as decimal(18, 2)) as starting_mrr,
        cast(current_mrr as decimal(18, 2)) as current_mrr,
        current_mrr > 0 as is_active,
        paid_months,
        case when current_mrr > 0 then current_run_start_month end as current_run_start_month,
        case
            when current_mrr > 0 then {{ dbt.datediff('current_run_start_month', 'last_month', 'month') }}
        end as current_run_age_months
    from summarised
)

select * from final
