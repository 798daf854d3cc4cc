{{ config(enabled=source_system() != 'stripe') }}
-- Every landing row of customers, typed, with the reason it is quarantined
-- (null when clean). stg_customers keeps the clean rows.
with landing as (
    select * from {{ landing_relation('customers') }}
),

parsed as (
    {{ parse_landing_columns('customers', 'landing') }}
),

classified as (
    select
        *,
        {{ quarantine_classification([]) }}
    from parsed
),

final as (
    {{ flag_duplicate_keys('classified', ['customer_id']) }}
)

select * from final
