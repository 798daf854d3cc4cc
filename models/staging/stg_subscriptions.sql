{{ config(pre_hook="{{ landing_file_check('subscriptions') }}") }}
-- sqlfluff:indentation:template_blocks_indent:False
-- depends_on: {{ ref('landing_files') }}
{%- if source_system() == 'stripe' %}
-- Stripe path (var source_system, docs/stripe.md): the same rows mapped from
-- Stripe's objects.
-- depends_on: {{ ref('base_stripe_subscription') }}
select
    subscription_id,
    customer_id,
    plan_id,
    billing_interval,
    amount,
    quantity,
    currency,
    status,
    period_start,
    period_end,
    cancel_reason,
    canceled_at,
    cancel_at,
    list_amount
from {{ ref('stripe_subscriptions') }}
{%- else %}
-- Clean subscription periods (one row per period of constant plan, price,
-- quantity and status; period_end exclusive, null = still running;
-- periods of one subscription never overlap).
with base as (
    select * from {{ ref('base_subscriptions') }}
    where quarantine_reason_code is null
),

overlapping_periods as (
    select * from {{ ref('base_subscription_overlaps') }}
),

final as (
    select
        base.subscription_id,
        base.customer_id,
        base.plan_id,
        base.billing_interval,
        base.amount,
        coalesce(base.quantity, 1) as quantity,
        base.currency,
        base.status,
        base.period_start,
        -- A period overlapping the next one ends where that one starts
        -- (base_subscription_overlaps, audit.corrected_values).
        coalesce(overlapping_periods.corrected_period_end, base.period_end) as period_end,
        base.cancel_reason,
        -- Optional: when a cancellation was requested and when it takes
        -- effect (null when the landing file has no such column).
        base.canceled_at,
        base.cancel_at,
        -- Optional: the price per billing_interval before discounts (null
        -- when not given: no discount).
        base.list_amount
    from base
    left join overlapping_periods
        on base._raw_row_number = overlapping_periods._raw_row_number
)

select * from final
{%- endif %}
