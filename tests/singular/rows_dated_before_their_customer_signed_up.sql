{{ config(severity='warn') }}
-- Clean rows dated before their customer's created_at: a subscription
-- period starting, an invoice issued, or a day of product usage before the
-- signup. They are kept (created_at is often the day the customer record
-- was created, e.g. by a CRM import after billing had started, and
-- dropping the rows would drop real revenue) but reported by this warning,
-- one row per table with how many rows and the earliest such date.
with customers as (
    select customer_id, created_at from {{ ref('stg_customers') }}
),

subscriptions as (
    select
        'subscriptions' as source_table,
        count(*) as rows_before_signup,
        min(cast(subscriptions.period_start as date)) as earliest_date
    from {{ ref('stg_subscriptions') }} as subscriptions
    inner join customers
        on subscriptions.customer_id = customers.customer_id
    where subscriptions.period_start < customers.created_at
),

invoices as (
    select
        'invoices' as source_table,
        count(*) as rows_before_signup,
        min(cast(invoices.issued_at as date)) as earliest_date
    from {{ ref('stg_invoices') }} as invoices
    inner join customers
        on invoices.customer_id = customers.customer_id
    where invoices.issued_at < customers.created_at
),

event_days as (
    select
        'events' as source_table,
        count(*) as rows_before_signup,
        min(event_days.usage_date) as earliest_date
    from {{ ref('stg_event_user_days') }} as event_days
    inner join customers
        on event_days.customer_id = customers.customer_id
    where event_days.usage_date < cast(customers.created_at as date)
),

final as (
    select * from subscriptions
    union all
    select * from invoices
    union all
    select * from event_days
)

select * from final
where rows_before_signup > 0
