{{ config(materialized='table', enabled=source_system() == 'stripe') }}
-- Every row of Stripe's price file, typed, with the reason it is
-- quarantined (null when clean). Only recurring prices with a unit amount
-- can be a plan (docs/stripe.md).
with landing as (
    select * from {{ landing_relation('price') }}
),

parsed as (
    {{ parse_landing_columns('price', 'landing') }}
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
            ('parsed.unit_amount is null', 'invalid_value',
             "'unit_amount is empty (tiered prices are not mapped yet)'"),
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
