with landing as (
    select * from {{ landing_relation('marketing_spend') }}
),

parsed as (
    {{ parse_landing_columns('marketing_spend', 'landing') }}
),

classified as (
    select
        *,
        {{ quarantine_classification([]) }}
    from parsed
),

final as (
    {{ flag_duplicate_keys('classified', ['month', 'acquisition_channel']) }}
)

select * from final
