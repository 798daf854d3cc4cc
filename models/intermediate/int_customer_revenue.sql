-- What each customer has paid and had refunded, in the reporting currency:
-- each invoice converts at the fx rate of the month it was paid (issued,
-- when it has no payment date; months outside the fx table take its nearest
-- month). Invoices dated after as_of_date do not count yet.
with invoices as (
    select * from {{ ref('stg_invoices') }}
),

fx as (
    select * from {{ ref('int_fx_rates_monthly') }}
),

fx_months as (
    select
        min(month) as first_month,
        max(month) as last_month
    from fx
),

dated as (
    select
        customer_id,
        currency,
        amount_paid,
        amount_refunded,
        cast({{ dbt.date_trunc('month', 'coalesce(paid_at, issued_at)') }} as date) as revenue_month
    from invoices
    where
        coalesce(paid_at, issued_at) < {{ dbt.dateadd('day', 1, as_of_date()) }}
        and (amount_paid != 0 or amount_refunded != 0)
),

converted as (
    select
        dated.customer_id,
        {{ to_reporting_currency('dated.amount_paid', 'fx.rate_to_reporting') }} as amount_paid,
        {{ to_reporting_currency('dated.amount_refunded', 'fx.rate_to_reporting') }} as amount_refunded
    from dated
    cross join fx_months
    inner join fx
        on
            dated.currency = fx.currency
            and fx.month = least(greatest(dated.revenue_month, fx_months.first_month), fx_months.last_month)
),

final as (
    select
        customer_id,
        {{ count_where('amount_paid > 0') }} as paid_invoices,
        {{ round_money('sum(amount_paid)') }} as amount_paid,
        {{ round_money('sum(amount_refunded)') }} as amount_refunded
    from converted
    group by customer_id
)

select * from final
