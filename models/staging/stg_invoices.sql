{{ config(pre_hook="{{ landing_file_check('invoices') }}") }}
-- sqlfluff:indentation:template_blocks_indent:False
-- depends_on: {{ ref('landing_files') }}
{%- if source_system() == 'stripe' %}
-- Stripe path (var source_system, docs/stripe.md): the same rows mapped from
-- Stripe's objects.
-- depends_on: {{ ref('base_stripe_invoice') }}
select
    invoice_id,
    customer_id,
    subscription_id,
    issued_at,
    period_start,
    period_end,
    amount_due,
    amount_paid,
    amount_refunded,
    currency,
    status,
    attempt_count,
    paid_at
from {{ ref('stripe_invoices') }}
{%- else %}
with base as (
    select * from {{ ref('base_invoices') }}
    where quarantine_reason_code is null
),

final as (
    select
        invoice_id,
        customer_id,
        subscription_id,
        issued_at,
        period_start,
        period_end,
        amount_due,
        coalesce(amount_paid, 0) as amount_paid,
        coalesce(amount_refunded, 0) as amount_refunded,
        currency,
        status,
        coalesce(attempt_count, 1) as attempt_count,
        paid_at
    from base
)

select * from final
{%- endif %}
