{{ config(pre_hook="{{ landing_file_check('customers') }}") }}
-- depends_on: {{ ref('landing_files') }}
-- Clean customers. Unknown segment / channel become 'unknown' so every
-- customer lands in exactly one group.
with base as (
    select * from {{ ref('base_customers') }}
    where quarantine_reason_code is null
),

final as (
    select
        customer_id,
        created_at,
        company_name,
        country,
        coalesce(segment, 'unknown') as segment,
        coalesce(acquisition_channel, 'unknown') as acquisition_channel
    from base
)

select * from final
