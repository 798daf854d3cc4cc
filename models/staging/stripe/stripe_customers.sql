{{ config(materialized='table', enabled=source_system() == 'stripe') }}
-- Stripe customers as stg_customers rows (docs/stripe.md). Deleted
-- customers stay: their subscriptions and invoices are history. Stripe has
-- no segment or acquisition channel.
with customers as (
    select * from {{ ref('base_stripe_customer') }}
    where quarantine_reason_code is null
),

final as (
    select
        id as customer_id,
        created as created_at,
        coalesce(name, description) as company_name,
        address_country as country,
        'unknown' as segment,
        'unknown' as acquisition_channel
    from customers
)

select * from final
