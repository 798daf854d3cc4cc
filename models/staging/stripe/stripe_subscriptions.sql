{{ config(materialized='table', enabled=source_system() == 'stripe') }}
-- Stripe subscriptions and their items as stg_subscriptions periods
-- (docs/stripe.md):
--   amount   the sum over the items of price per billing_interval x quantity
--            (items of different intervals: each per month, billing_interval month);
--   plan_id  the price of the largest item (per month), quantity that item's quantity;
--   periods  a trialing period (trial_start to trial_end), then a paid period
--            from trial_end (or start_date) to ended_at: canceled when it ended,
--            else the Stripe status (unpaid as past_due; a past-due one is
--            active until its current period began, past_due from then). A
--            subscription still trialing has no paid period yet.
--   cancel_at  cancel_at, else current_period_end when cancel_at_period_end,
--            else ended_at when a requested cancellation took effect.
{%- set period_columns = ['id', 'customer_id', 'plan_id', 'billing_interval', 'amount', 'quantity', 'currency',
                          'period_status', 'period_start', 'period_end', 'cancel_reason', 'canceled_at',
                          'effective_cancel_at'] %}

with subscriptions as (
    select * from {{ ref('base_stripe_subscription') }}
    where quarantine_reason_code is null
),

items as (
    select
        subscription_items.subscription_id,
        subscription_items.id as item_id,
        staged_plans.plan_id,
        coalesce(subscription_items.quantity, 1) as quantity,
        staged_plans.billing_interval,
        staged_plans.currency,
        staged_plans.list_price * coalesce(subscription_items.quantity, 1) as item_amount
    from {{ ref('stripe_subscription_items') }} as subscription_items
    inner join {{ ref('stg_plans') }} as staged_plans
        on coalesce(subscription_items.price_id, subscription_items.plan_id) = staged_plans.plan_id
    where subscription_items.quarantine_reason_code is null
),

ranked_items as (
    select
        *,
        row_number() over (
            partition by subscription_id
            order by {{ monthly_normalised('item_amount', 'billing_interval') }} desc, item_id asc
        ) as item_rank
    from items
),

amounts as (
    select
        subscription_id,
        count(distinct billing_interval) as intervals,
        min(billing_interval) as billing_interval,
        sum(item_amount) as amount,
        {{ round_money('sum(' ~ monthly_normalised('item_amount', 'billing_interval') ~ ')') }} as monthly_amount,
        max(currency) as currency,
        max(case when item_rank = 1 then plan_id end) as plan_id,
        max(case when item_rank = 1 then quantity end) as quantity
    from ranked_items
    group by subscription_id
),

shaped as (
    select
        subscriptions.*,
        amounts.plan_id,
        case when amounts.intervals = 1 then amounts.billing_interval else 'month' end as billing_interval,
        cast(
            case when amounts.intervals = 1 then amounts.amount else amounts.monthly_amount end as decimal(18, 2)
        ) as amount,
        amounts.quantity,
        amounts.currency,
        subscriptions.status = 'trialing'
        or (subscriptions.trial_start is not null and subscriptions.trial_end > subscriptions.trial_start)
            as has_trial,
        coalesce(
            subscriptions.cancellation_details_feedback,
            case
                when subscriptions.cancellation_details_reason in ('payment_failed', 'payment_disputed')
                    then subscriptions.cancellation_details_reason
            end
        ) as cancel_reason,
        coalesce(
            subscriptions.cancel_at,
            case when subscriptions.cancel_at_period_end then subscriptions.current_period_end end,
            -- a requested cancellation that took effect: when it ended
            case when subscriptions.canceled_at is not null then subscriptions.ended_at end
        ) as effective_cancel_at
    from subscriptions
    inner join amounts
        on subscriptions.id = amounts.subscription_id
),

trial_periods as (
    select
        *,
        'trialing' as period_status,
        coalesce(trial_start, start_date) as period_start,
        case
            when ended_at is not null and (trial_end is null or ended_at < trial_end) then ended_at
            when status = 'trialing' then null
            else trial_end
        end as period_end
    from shaped
    where has_trial
),

paid as (
    select
        *,
        case when has_trial then trial_end else start_date end as paid_start,
        -- A subscription past due (or unpaid) fell behind when its current
        -- period began (the renewal invoice failed): active before that.
        case
            when ended_at is null and status in ('past_due', 'unpaid')
                and current_period_start > case when has_trial then trial_end else start_date end
                then current_period_start
        end as delinquent_since
    from shaped
    where
        status != 'trialing'
        and (not has_trial or ended_at is null or ended_at > trial_end)
),

paid_periods as (
    select
        *,
        case
            when ended_at is not null then 'canceled'
            when status = 'unpaid' then 'past_due'
            else status
        end as period_status,
        coalesce(delinquent_since, paid_start) as period_start,
        ended_at as period_end
    from paid
),

paid_before_delinquency as (
    select
        *,
        'active' as period_status,
        paid_start as period_start,
        delinquent_since as period_end
    from paid
    where delinquent_since is not null
),

periods as (
    select {{ period_columns | join(', ') }} from trial_periods
    union all
    select {{ period_columns | join(', ') }} from paid_before_delinquency
    union all
    select {{ period_columns | join(', ') }} from paid_periods
),

final as (
    select
        id as subscription_id,
        customer_id,
        plan_id,
        billing_interval,
        amount,
        quantity,
        currency,
        period_status as status,
        period_start,
        period_end,
        cancel_reason,
        canceled_at,
        effective_cancel_at as cancel_at,
        cast(null as decimal(18, 2)) as list_amount
    from periods
)

select * from final
