{{ config(pre_hook="{{ landing_file_check('subscriptions') }}") }}
-- depends_on: {{ ref('landing_files') }}
-- Clean subscription periods (one row per period of constant plan, price,
-- quantity and status; period_end exclusive, null = still running).
with base as (
    select * from {{ ref('base_subscriptions') }}
    where quarantine_reason_code is null
),

final as (
    select
        subscription_id,
        customer_id,
        plan_id,
        billing_interval,
        amount,
        coalesce(quantity, 1) as quantity,
        currency,
        status,
        period_start,
        period_end,
        cancel_reason
    from base
)

select * from final
