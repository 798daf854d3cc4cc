{{ config(pre_hook="{{ landing_file_check('marketing_spend') }}") }}
-- depends_on: {{ ref('landing_files') }}
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
