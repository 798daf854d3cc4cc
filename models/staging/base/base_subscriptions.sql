{{ config(enabled=source_system() != 'stripe') }}
with landing as (
    select * from {{ landing_relation('subscriptions') }}
),

parsed as (
    {{ parse_landing_columns('subscriptions', 'landing') }}
),

customers as (
    select customer_id from {{ ref('stg_customers') }}
),

plans as (
    select plan_id from {{ ref('stg_plans') }}
),

known_currencies as (
    {{ known_currencies() }}
),

classified as (
    select
        parsed.*,
        {{ quarantine_classification([
            ('parsed.period_end < parsed.period_start', 'end_before_start',
             "'period_end is before period_start'"),
            ('parsed.cancel_at < parsed.canceled_at', 'end_before_start',
             "'cancel_at is before canceled_at'"),
            ('parsed.list_amount < parsed.amount', 'invalid_value',
             "'list_amount is below amount (a discount cannot be negative)'"),
            ("parsed.status = 'canceled' and parsed.period_end is null", 'invalid_value',
             "'a canceled period must have a period_end'"),
            ('known_currencies.currency is null', 'unknown_currency',
             dbt.concat(["'currency has no fx rate to the reporting currency: '", 'parsed.currency'])),
            ('customers.customer_id is null', 'unknown_customer',
             dbt.concat(["'customer_id not in customers: '", 'parsed.customer_id'])),
            ('plans.plan_id is null', 'unknown_plan',
             dbt.concat(["'plan_id not in plans: '", 'parsed.plan_id'])),
        ]) }}
    from parsed
    left join known_currencies
        on parsed.currency = known_currencies.currency
    left join customers
        on parsed.customer_id = customers.customer_id
    left join plans
        on parsed.plan_id = plans.plan_id
),

final as (
    {{ flag_duplicate_keys('classified', ['subscription_id', 'period_start']) }}
)

select * from final
