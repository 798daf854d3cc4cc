{{ config(enabled=source_system() != 'stripe') }}
with landing as (
    select * from {{ landing_relation('invoices') }}
),

parsed as (
    {{ parse_landing_columns('invoices', 'landing') }}
),

customers as (
    select customer_id from {{ ref('stg_customers') }}
),

subscriptions as (
    select distinct subscription_id from {{ ref('stg_subscriptions') }}
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
            ('parsed.amount_refunded > parsed.amount_paid', 'invalid_value',
             "'amount_refunded is larger than amount_paid'"),
            ('known_currencies.currency is null', 'unknown_currency',
             dbt.concat(["'currency has no fx rate to the reporting currency: '", 'parsed.currency'])),
            ('customers.customer_id is null', 'unknown_customer',
             dbt.concat(["'customer_id not in customers: '", 'parsed.customer_id'])),
            ('parsed.subscription_id is not null and subscriptions.subscription_id is null',
             'unknown_subscription',
             dbt.concat(["'subscription_id not in subscriptions: '", 'parsed.subscription_id'])),
        ]) }}
    from parsed
    left join known_currencies
        on parsed.currency = known_currencies.currency
    left join customers
        on parsed.customer_id = customers.customer_id
    left join subscriptions
        on parsed.subscription_id = subscriptions.subscription_id
),

final as (
    {{ flag_duplicate_keys('classified', ['invoice_id']) }}
)

select * from final
