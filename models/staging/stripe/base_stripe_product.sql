{{ config(materialized='table', enabled=source_system() == 'stripe') }}
-- Every row of Stripe's product file (optional: it gives the prices their
-- plan_name), typed, with the reason it is quarantined (null when clean).
with landing as (
    select * from {{ landing_relation('product') }}
),

parsed as (
    {{ parse_landing_columns('product', 'landing') }}
),

classified as (
    select
        *,
        {{ quarantine_classification([
            ('livemode = false', 'test_mode', "'livemode is false: a Stripe test-mode object, not business'"),
        ]) }}
    from parsed
),

final as (
    {{ flag_duplicate_keys('classified', ['id']) }}
)

select * from final
