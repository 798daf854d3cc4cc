with landing as (
    select * from {{ landing_relation('fx_rates') }}
),

parsed as (
    {{ parse_landing_columns('fx_rates', 'landing') }}
),

classified as (
    select
        *,
        {{ quarantine_classification([
            ("length(currency) != 3", 'unknown_currency',
             dbt.concat(["'currency is not a 3-letter ISO code: '", 'currency'])),
        ]) }}
    from parsed
),

final as (
    {{ flag_duplicate_keys('classified', ['currency', 'rate_date']) }}
)

select * from final
