{{ config(materialized='table', enabled=source_system() == 'stripe') }}
-- Every row of Stripe's subscription_item file, typed, with the reason it
-- is quarantined for itself (null when clean): its own values and its
-- price. Whether its subscription is staged is judged after the
-- subscription (stripe_subscription_items), since a subscription is judged
-- with its items.
with landing as (
    select * from {{ landing_relation('subscription_item') }}
),

parsed as (
    {{ parse_landing_columns('subscription_item', 'landing') }}
),

plans as (
    select plan_id from {{ ref('stg_plans') }}
),

classified as (
    select
        parsed.*,
        {{ quarantine_classification([
            ('parsed.price_id is null and parsed.plan_id is null', 'missing_required',
             "'price_id and plan_id are both empty'"),
            ('plans.plan_id is null', 'unknown_plan',
             dbt.concat(["'price not among the clean prices: '",
                         'coalesce(parsed.price_id, parsed.plan_id)'])),
        ]) }}
    from parsed
    left join plans
        on coalesce(parsed.price_id, parsed.plan_id) = plans.plan_id
),

final as (
    {{ flag_duplicate_keys('classified', ['id']) }}
)

select * from final
