{{ config(pre_hook="{{ landing_file_check('plans') }}") }}
-- depends_on: {{ ref('landing_files') }}
with base as (
    select * from {{ ref('base_plans') }}
    where quarantine_reason_code is null
),

final as (
    select
        plan_id,
        plan_name,
        tier,
        billing_interval,
        list_price,
        currency
    from base
)

select * from final
