{{ config(materialized='table', enabled=source_system() == 'stripe') }}
-- Stripe invoices as stg_invoices rows (docs/stripe.md): amounts from minor
-- units; an open invoice with a payment attempt is failed. Refunds are not
-- read yet (amount_refunded 0).
with invoices as (
    select * from {{ ref('base_stripe_invoice') }}
    where quarantine_reason_code is null
),

final as (
    select
        id as invoice_id,
        customer_id,
        subscription_id,
        created as issued_at,
        period_start,
        period_end,
        {{ stripe_money('amount_due', 'currency') }} as amount_due,
        {{ stripe_money('coalesce(amount_paid, 0)', 'currency') }} as amount_paid,
        cast(0 as decimal(18, 2)) as amount_refunded,
        currency,
        case
            when status = 'open' and attempt_count > 0 then 'failed'
            else status
        end as status,
        coalesce(attempt_count, 1) as attempt_count,
        status_transitions_paid_at as paid_at
    from invoices
)

select * from final
