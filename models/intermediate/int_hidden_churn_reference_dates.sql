-- The customers whose usage usage_before_churn lines up, each with the day
-- its weeks count back from (week -1 = the 7 days before reference_date):
--   churned   every churn (MRR stopped, as in fct_mrr) on or before
--             as_of_date; reference = the first day without MRR.
--   retained  customers paying at the retention reference day who did not
--             churn between it and as_of_date, and had been paying for the
--             whole usage_before_churn_weeks weeks before it.
--   new       the same, but whose first paid day falls in those weeks.
-- The retention reference day is one fixed calendar date for everyone, no
-- randomness: the last snapshot (month end) at least hidden_churn_horizon_days
-- before as_of_date, so a retained customer is one seen to keep paying for
-- a full horizon after it, just as the backtest counts a non-churner.
-- history_start_date (first subscription, a trial included) bounds the
-- weeks a customer can contribute.
{%- set horizon_days = var('hidden_churn_horizon_days') | int %}
{%- set weeks = var('usage_before_churn_weeks') | int %}

with churn_events as (
    select * from {{ ref('int_churn_events') }}
),

customer_months as (
    select * from {{ ref('int_customer_months') }}
),

months as (
    select * from {{ ref('int_months') }}
),

periods as (
    select * from {{ ref('int_subscription_periods_normalised') }}
),

history as (
    select
        customer_id,
        cast(min(period_start) as date) as history_start_date,
        cast(min(case when is_mrr_bearing then period_start end) as date) as first_paid_date
    from periods
    group by customer_id
),

churns as (
    select
        customer_id,
        cast(coalesce(stopped_at, month) as date) as churn_date
    from churn_events
),

retention_reference as (
    select
        max(evaluated_on) as reference_date,
        max(month) as reference_month
    from months
    where {{ dbt.dateadd('day', horizon_days, 'evaluated_on') }} <= {{ as_of_date() }}
),

churned_since_reference as (
    select distinct churns.customer_id
    from churns
    cross join retention_reference
    where churns.churn_date > retention_reference.reference_date
),

survivors as (
    select
        customer_months.customer_id,
        retention_reference.reference_date
    from customer_months
    inner join retention_reference
        on customer_months.month = retention_reference.reference_month
    left join churned_since_reference
        on customer_months.customer_id = churned_since_reference.customer_id
    where
        customer_months.mrr > 0
        and churned_since_reference.customer_id is null
),

reference_rows as (
    select
        churns.customer_id,
        'churned' as cohort,
        churns.churn_date as reference_date
    from churns
    where churns.churn_date <= {{ as_of_date() }}

    union all

    select
        survivors.customer_id,
        case
            when history.first_paid_date <= {{ dbt.dateadd('day', -7 * weeks, 'survivors.reference_date') }}
                then 'retained'
            else 'new'
        end as cohort,
        survivors.reference_date
    from survivors
    inner join history
        on survivors.customer_id = history.customer_id
),

final as (
    select
        reference_rows.customer_id,
        reference_rows.cohort,
        reference_rows.reference_date,
        history.history_start_date
    from reference_rows
    inner join history
        on reference_rows.customer_id = history.customer_id
)

select * from final
