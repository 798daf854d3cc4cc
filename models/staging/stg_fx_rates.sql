{{ config(pre_hook="{{ landing_file_check('fx_rates') }}") }}
-- depends_on: {{ ref('landing_files') }}
with base as (
    select * from {{ ref('base_fx_rates') }}
    where quarantine_reason_code is null
),

final as (
    select
        currency,
        rate_date,
        rate_to_reporting
    from base
)

select * from final
