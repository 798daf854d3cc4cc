-- Subscription periods with their amount normalised to one month in the
-- period's own currency (quarter / 3, year / 12). Trials and pauses carry no
-- MRR. A period without billing_interval takes its plan's.
--
-- Long delinquency (var past_due_churn_days, off by default): a past_due
-- subscription carries MRR only for the first past_due_churn_days days of a
-- delinquency (from the start of its past_due period; the final canceled
-- period that directly follows it continues the delinquency). A period is
-- cut there into a paying part and a part without MRR (is_past_due_cut), so
-- the customer churns at the cut (involuntary, reason past_due:
-- int_churn_events) unless another subscription keeps it paying.
{%- set past_due_days = var('past_due_churn_days', none) %}

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
        -- without a list price the period has no discount
        coalesce(subscriptions.list_amount, subscriptions.amount) as list_amount,
        subscriptions.quantity,
        subscriptions.currency,
        subscriptions.status,
        subscriptions.period_start,
        subscriptions.period_end,
        subscriptions.cancel_reason,
        subscriptions.status in {{ mrr_bearing_statuses() }} as is_mrr_bearing,
        false as is_past_due_cut
    from subscriptions
    inner join plans
        on subscriptions.plan_id = plans.plan_id
),

{% if past_due_days is not none %}
with_previous as (
    select
        *,
        lag(status) over (partition by subscription_id order by period_start) as previous_status,
        lag(period_start) over (partition by subscription_id order by period_start) as previous_start,
        lag(period_end) over (partition by subscription_id order by period_start) as previous_end
    from joined
),

delinquent as (
    -- Delinquency starts with a past_due period, or with the past_due period
    -- right before it (a plan change while past due, or the final canceled
    -- period that follows the failed payments).
    select
        *,
        case
            when status not in ('past_due', 'canceled') then null
            when previous_status = 'past_due' and previous_end = period_start then previous_start
            when status = 'past_due' then period_start
        end as delinquent_since
    from with_previous
),

with_cut as (
    select
        *,
        -- a timestamp + day interval stays a timestamp on every engine
        delinquent_since + interval '{{ past_due_days | int }}' day as cut_at
    from delinquent
),

split as (
    -- periods not delinquent long enough stay as they are
    select
        subscription_id, customer_id, plan_id, billing_interval, amount, list_amount, quantity, currency,
        status, period_start, period_end, cancel_reason, is_mrr_bearing, is_past_due_cut
    from with_cut
    where cut_at is null or (period_end is not null and period_end <= cut_at)

    union all

    -- their paying days before the cut
    select
        subscription_id, customer_id, plan_id, billing_interval, amount, list_amount, quantity, currency,
        status, period_start, cut_at as period_end, cancel_reason, is_mrr_bearing, is_past_due_cut
    from with_cut
    where cut_at is not null and (period_end is null or period_end > cut_at) and cut_at > period_start

    union all

    -- the rest, from the cut, without MRR
    select
        subscription_id, customer_id, plan_id, billing_interval, amount, list_amount, quantity, currency,
        status, greatest(period_start, cut_at) as period_start, period_end, cancel_reason,
        false as is_mrr_bearing, true as is_past_due_cut
    from with_cut
    where cut_at is not null and (period_end is null or period_end > cut_at)
),
{% endif %}

final as (
    select
        *,
        case
            when is_mrr_bearing then {{ monthly_normalised('amount', 'billing_interval') }}
            else 0
        end as monthly_amount,
        -- the same before discounts (docs/definitions.md: list MRR)
        case
            when is_mrr_bearing then {{ monthly_normalised('list_amount', 'billing_interval') }}
            else 0
        end as monthly_list_amount
    from {{ 'split' if past_due_days is not none else 'joined' }}
)

select * from final
