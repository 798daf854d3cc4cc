{{ config(materialized='table', enabled=source_system() == 'stripe') }}
-- Every row of Stripe's subscription_item file with its final verdict: its
-- own (base_stripe_subscription_item), else unknown_subscription when its
-- subscription is not clean (absent, test mode, quarantined).
with items as (
    select * from {{ ref('base_stripe_subscription_item') }}
),

subscriptions as (
    select id from {{ ref('base_stripe_subscription') }}
    where quarantine_reason_code is null
),

final as (
    select
        items._raw_row_number,
        items._source_file,
        items._raw_record,
        items.id,
        items.subscription_id,
        items.price_id,
        items.plan_id,
        items.quantity,
        case
            when items.quarantine_reason_code is not null then items.quarantine_reason_code
            when subscriptions.id is null then 'unknown_subscription'
        end as quarantine_reason_code,
        case
            when items.quarantine_reason_code is not null then items.quarantine_reason
            when subscriptions.id is null
                then {{ dbt.concat(["'subscription_id not among the clean subscriptions: '",
                                    'items.subscription_id']) }}
        end as quarantine_reason
    from items
    left join subscriptions
        on items.subscription_id = subscriptions.id
)

select * from final
