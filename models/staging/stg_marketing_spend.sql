with base as (
    select * from {{ ref('base_marketing_spend') }}
    where quarantine_reason_code is null
),

final as (
    select
        month,
        acquisition_channel,
        amount
    from base
)

select * from final
