-- Subscription periods with their amount normalised to one month in the
-- period's own currency (quarter / 3, year / 12). Trials and pauses carry no
-- MRR. A period without billing_interval takes its plan's.
with subscriptions as (
    select * from {{ ref('stg_subscriptions') }}
),

plans as (
    select * from {{ ref('stg_plans') }}
),

joined as (
    select
        subscriptions.subscription_id,
        subscriptions.customer_id,
        subscriptions.plan_id,
        coalesce(subscriptions.billing_interval, plans.billing_interval) as billing_interval,
        subscriptions.amount,
        subscriptions.quantity,
        subscriptions.currency,
        subscriptions.status,
        subscriptions.period_start,
        subscriptions.period_end,
        subscriptions.cancel_reason,
        subscriptions.status in {{ mrr_bearing_statuses() }} as is_mrr_bearing
    from subscriptions
    inner join plans
        on subscriptions.plan_id = plans.plan_id
),

final as (
    select
        *,
        case
            when is_mrr_bearing then {{ monthly_normalised('amount', 'billing_interval') }}
            else 0
        end as monthly_amount
    from joined
)

select * from final
