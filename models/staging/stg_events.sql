with base as (
    select * from {{ ref('base_events') }}
    where quarantine_reason_code is null
),

final as (
    select
        event_id,
        customer_id,
        user_id,
        event_name,
        occurred_at,
        duration_seconds,
        feature
    from base
)

select * from final
