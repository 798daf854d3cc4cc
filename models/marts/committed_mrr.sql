-- Committed MRR (docs/daily-mrr.md), one row per month from the first month
-- with MRR through the month of as_of_date, at the month's evaluation day:
--   mrr                   month-end MRR (mrr_movements.ending_mrr)
--   scheduled_churn_mrr   MRR of subscriptions whose cancellation was
--                         requested by then (canceled_at) and takes effect
--                         later (cancel_at after the day, or not given)
--   scheduled_change_mrr  the change already signed in periods dated after
--                         as_of_date (future-dated periods): their MRR minus
--                         the MRR the subscription has now; only the month of
--                         as_of_date has it (the landing data does not say
--                         when an earlier month's later periods were signed)
--   committed_mrr         mrr + scheduled_change_mrr - scheduled_churn_mrr
--   reported_mrr          the MRR as var churn_recognition recognises churn:
--                         when it takes effect (effective: = mrr) or when it
--                         is scheduled (scheduled: mrr - scheduled_churn_mrr)
-- Amounts per customer are rounded to cents as in fct_mrr.
{%- set recognition = var('churn_recognition', 'effective') %}
{%- set reported_mrr = 'mrr - scheduled_churn_mrr' if recognition == 'scheduled' else 'mrr' %}

with periods as (
    select * from {{ ref('int_subscription_periods_normalised') }}
),

subscriptions as (
    select * from {{ ref('stg_subscriptions') }}
),

months as (
    select * from {{ ref('int_months') }}
),

fx as (
    select * from {{ ref('int_fx_rates_monthly') }}
),

movements as (
    select * from {{ ref('mrr_movements') }}
),

customers as (
    select customer_id from {{ ref('stg_customers') }}
),

cancellations as (
    -- A subscription's cancellation request: the latest one given on any of
    -- its rows.
    select
        subscription_id,
        max(canceled_at) as canceled_at,
        max(cancel_at) as cancel_at
    from subscriptions
    where canceled_at is not null
    group by subscription_id
),

in_effect as (
    -- MRR-bearing periods in effect at the end of each evaluation day (as
    -- int_customer_mrr_monthly reads them).
    select
        periods.customer_id,
        periods.subscription_id,
        months.month,
        months.evaluated_before,
        {{ to_reporting_currency('periods.monthly_amount', 'fx.rate_to_reporting') }} as mrr
    from periods
    inner join months
        on
            periods.period_start < months.evaluated_before
            and (periods.period_end is null or periods.period_end >= months.evaluated_before)
    inner join fx
        on
            periods.currency = fx.currency
            and months.month = fx.month
    where periods.is_mrr_bearing
),

scheduled_churn as (
    select
        in_effect.month,
        in_effect.customer_id,
        {{ round_money('sum(in_effect.mrr)') }} as mrr
    from in_effect
    inner join cancellations
        on in_effect.subscription_id = cancellations.subscription_id
    where
        cancellations.canceled_at < in_effect.evaluated_before
        and (cancellations.cancel_at is null or cancellations.cancel_at >= in_effect.evaluated_before)
    group by in_effect.month, in_effect.customer_id
),

latest_month as (
    select max(month) as last_month from months
),

last_month as (
    select months.*
    from months
    inner join latest_month
        on months.month = latest_month.last_month
),

next_periods as (
    -- Each subscription's first period dated after as_of_date (a period
    -- without MRR, e.g. a pause, counts at 0).
    select
        periods.customer_id,
        periods.subscription_id,
        last_month.month,
        {{ to_reporting_currency('periods.monthly_amount', 'fx.rate_to_reporting') }} as mrr,
        row_number() over (
            partition by periods.subscription_id order by periods.period_start
        ) as period_rank
    from periods
    inner join last_month
        on periods.period_start >= last_month.evaluated_before
    inner join fx
        on
            periods.currency = fx.currency
            and last_month.month = fx.month
),

scheduled_subscription_mrr as (
    select
        next_periods.month,
        next_periods.customer_id,
        next_periods.subscription_id,
        next_periods.mrr as scheduled_mrr,
        coalesce(current_mrr.mrr, 0) as current_mrr
    from next_periods
    left join in_effect as current_mrr
        on
            next_periods.subscription_id = current_mrr.subscription_id
            and next_periods.month = current_mrr.month
    where next_periods.period_rank = 1
),

scheduled_changes as (
    select
        month,
        customer_id,
        {{ round_money('sum(scheduled_mrr)') }} - {{ round_money('sum(current_mrr)') }} as mrr_change
    from scheduled_subscription_mrr
    group by month, customer_id
),

churn_totals as (
    select
        scheduled_churn.month,
        sum(scheduled_churn.mrr) as scheduled_churn_mrr,
        count(*) as scheduled_churn_customers
    from scheduled_churn
    inner join customers
        on scheduled_churn.customer_id = customers.customer_id
    group by scheduled_churn.month
),

change_totals as (
    select
        scheduled_changes.month,
        sum(scheduled_changes.mrr_change) as scheduled_change_mrr
    from scheduled_changes
    inner join customers
        on scheduled_changes.customer_id = customers.customer_id
    group by scheduled_changes.month
),

combined as (
    select
        movements.month,
        months.evaluated_on,
        movements.ending_mrr as mrr,
        coalesce(churn_totals.scheduled_churn_mrr, 0) as scheduled_churn_mrr,
        coalesce(churn_totals.scheduled_churn_customers, 0) as scheduled_churn_customers,
        coalesce(change_totals.scheduled_change_mrr, 0) as scheduled_change_mrr
    from movements
    inner join months
        on movements.month = months.month
    left join churn_totals
        on movements.month = churn_totals.month
    left join change_totals
        on movements.month = change_totals.month
),

final as (
    select
        month,
        evaluated_on,
        cast(mrr as decimal(18, 2)) as mrr,
        cast(scheduled_churn_mrr as decimal(18, 2)) as scheduled_churn_mrr,
        cast(scheduled_churn_customers as {{ dbt.type_bigint() }}) as scheduled_churn_customers,
        cast(scheduled_change_mrr as decimal(18, 2)) as scheduled_change_mrr,
        cast(mrr + scheduled_change_mrr - scheduled_churn_mrr as decimal(18, 2)) as committed_mrr,
        cast({{ reported_mrr }} as decimal(18, 2)) as reported_mrr,
        '{{ recognition }}' as churn_recognition
    from combined
)

select * from final
