{{ config(enabled=source_system() != 'stripe') }}
with landing as (
    select * from {{ landing_relation('plans') }}
),

parsed as (
    {{ parse_landing_columns('plans', 'landing') }}
),

known_currencies as (
    {{ known_currencies() }}
),

classified as (
    select
        parsed.*,
        {{ quarantine_classification([
            ('known_currencies.currency is null', 'unknown_currency',
             dbt.concat(["'currency has no fx rate to the reporting currency: '", 'parsed.currency'])),
        ]) }}
    from parsed
    left join known_currencies
        on parsed.currency = known_currencies.currency
),

final as (
    {{ flag_duplicate_keys('classified', ['plan_id']) }}
)

select * from final
