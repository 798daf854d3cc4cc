with landing as (
    select * from {{ landing_relation('events') }}
),

parsed as (
    {{ parse_landing_columns('events', 'landing') }}
),

customers as (
    select customer_id from {{ ref('stg_customers') }}
),

classified as (
    select
        parsed.*,
        {{ quarantine_classification([
            ('customers.customer_id is null', 'unknown_customer',
             dbt.concat(["'customer_id not in customers: '", 'parsed.customer_id'])),
        ]) }}
    from parsed
    left join customers
        on parsed.customer_id = customers.customer_id
),

final as (
    {{ flag_duplicate_keys('classified', ['event_id']) }}
)

select * from final
