{{ config(materialized='table', enabled=source_system() == 'stripe') }}
-- Every row of Stripe's subscription file, typed, with the reason it is
-- quarantined (null when clean), judged with its items: a subscription
-- whose amount would be wrong (no clean item, a quarantined item, items in
-- different currencies) is quarantined as a whole (docs/stripe.md).
with landing as (
    select * from {{ landing_relation('subscription') }}
),

parsed as (
    {{ parse_landing_columns('subscription', 'landing') }}
),

customers as (
    select customer_id from {{ ref('stg_customers') }}
),

subscription_items as (
    -- Exact copies of an item are not a problem of the subscription.
    select
        item_rows.subscription_id,
        sum(case when item_rows.quarantine_reason_code is null then 1 else 0 end) as clean_items,
        min(case
            when item_rows.quarantine_reason_code is not null and item_rows.quarantine_reason_code != 'exact_duplicate'
                then item_rows.id
        end) as first_bad_item,
        count(distinct case when item_rows.quarantine_reason_code is null then staged_plans.currency end) as currencies
    from {{ ref('base_stripe_subscription_item') }} as item_rows
    left join {{ ref('stg_plans') }} as staged_plans
        on coalesce(item_rows.price_id, item_rows.plan_id) = staged_plans.plan_id
    group by item_rows.subscription_id
),

classified as (
    select
        parsed.*,
        {{ quarantine_classification([
            ('parsed.livemode = false', 'test_mode',
             "'livemode is false: a Stripe test-mode object, not business'"),
            ("parsed.status in ('incomplete', 'incomplete_expired')", 'not_started',
             dbt.concat(["'status '", 'parsed.status',
                         "': the first payment never succeeded, the subscription never started'"])),
            ('parsed.ended_at < parsed.start_date', 'end_before_start', "'ended_at is before start_date'"),
            ('parsed.trial_end < parsed.trial_start', 'end_before_start', "'trial_end is before trial_start'"),
            ('parsed.cancel_at < parsed.canceled_at', 'end_before_start', "'cancel_at is before canceled_at'"),
            ("parsed.status = 'canceled' and parsed.ended_at is null", 'invalid_value',
             "'a canceled subscription must have ended_at'"),
            ('customers.customer_id is null', 'unknown_customer',
             dbt.concat(["'customer_id not in customers: '", 'parsed.customer_id'])),
            ('subscription_items.first_bad_item is not null', 'invalid_item',
             dbt.concat(["'subscription item '", 'subscription_items.first_bad_item',
                         "' is quarantined: the amount would be wrong'"])),
            ('coalesce(subscription_items.clean_items, 0) = 0', 'invalid_item', "'no clean subscription item'"),
            ('subscription_items.currencies > 1', 'invalid_item', "'items in different currencies'"),
        ]) }}
    from parsed
    left join customers
        on parsed.customer_id = customers.customer_id
    left join subscription_items
        on parsed.id = subscription_items.subscription_id
),

final as (
    {{ flag_duplicate_keys('classified', ['id']) }}
)

select * from final
