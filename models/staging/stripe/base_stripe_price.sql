{{ config(materialized='table', enabled=source_system() == 'stripe') }}
-- Every row of Stripe's price file (or, without one, its legacy plan file),
-- typed, with the reason it is quarantined (null when clean). Only recurring, licensed, per-unit prices
-- can be a plan yet (docs/stripe.md): a metered or tiered price is
-- quarantined, and so are the subscriptions using it (invalid_item), rather
-- than counted at a wrong amount.
{%- set object = stripe_price_object() %}

with landing as (
    select * from {{ landing_relation(object) }}
),

parsed_object as (
    {{ parse_landing_columns(object, 'landing') }}
),

parsed as (
    {%- if object == 'plan' %}
        -- A legacy plan (no price file): the same facts under the price's names.
        select
            *,
            amount as unit_amount,
            plan_interval as recurring_interval,
            interval_count as recurring_interval_count,
            'recurring' as type,
            usage_type as recurring_usage_type
        from parsed_object
    {%- else %}
        select * from parsed_object
    {%- endif %}
),

known_currencies as (
    {{ known_currencies() }}
),

classified as (
    select
        parsed.*,
        {{ quarantine_classification([
            ('parsed.livemode = false', 'test_mode',
             "'livemode is false: a Stripe test-mode object, not business'"),
            ("parsed.type = 'one_time' or parsed.recurring_interval is null", 'invalid_value',
             "'price is not recurring (type one_time or no recurring_interval): no subscription can use it'"),
            ("parsed.recurring_usage_type = 'metered'", 'invalid_value',
             "'a metered price (billed by usage, not by quantity) is not mapped yet'"),
            ("parsed.billing_scheme = 'tiered' or parsed.unit_amount is null", 'invalid_value',
             "'a tiered price, or one without unit_amount, is not mapped yet'"),
            ('known_currencies.currency is null', 'unknown_currency',
             dbt.concat(["'currency has no fx rate to the reporting currency: '", 'parsed.currency'])),
        ]) }}
    from parsed
    left join known_currencies
        on parsed.currency = known_currencies.currency
),

final as (
    {{ flag_duplicate_keys('classified', ['id']) }}
)

select * from final
