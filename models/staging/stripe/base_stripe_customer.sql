{{ config(materialized='table', enabled=source_system() == 'stripe') }}
-- Every row of Stripe's customer file, typed, with the reason it is
-- quarantined (null when clean). Test-mode customers are listed, not staged.
with landing as (
    select * from {{ landing_relation('customer') }}
),

parsed as (
    {{ parse_landing_columns('customer', 'landing') }}
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
