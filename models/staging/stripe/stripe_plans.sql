{{ config(materialized='table', enabled=source_system() == 'stripe') }}
-- Stripe prices as stg_plans rows (docs/stripe.md): the unit amount from
-- minor units, per the contract billing_interval its Stripe interval maps
-- to (month x1 = month, month x3 = quarter, year x1 / month x12 = year,
-- any other normalised to one month).
with prices as (
    select * from {{ ref('base_stripe_price') }}
    where quarantine_reason_code is null
),

products as (
    select
        id,
        name
    from {{ ref('base_stripe_product') }}
    where quarantine_reason_code is null
),

intervals as (
    select
        prices.*,
        coalesce(prices.recurring_interval_count, 1) as price_interval_count,
        products.name as product_name
    from prices
    left join products
        on prices.product_id = products.id
),

final as (
    select
        id as plan_id,
        coalesce(product_name, nickname, id) as plan_name,
        cast(null as {{ dbt.type_string() }}) as tier,
        {{ stripe_billing_interval('recurring_interval', 'price_interval_count') }} as billing_interval,
        {{ stripe_price_per_interval(stripe_money('unit_amount', 'currency'), 'recurring_interval',
                                     'price_interval_count') }} as list_price,
        currency
    from intervals
)

select * from final
