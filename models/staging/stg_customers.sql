{{ config(pre_hook="{{ landing_file_check('customers') }}") }}
-- sqlfluff:indentation:template_blocks_indent:False
-- depends_on: {{ ref('landing_files') }}
{%- if source_system() == 'stripe' %}
-- Stripe path (var source_system, docs/stripe.md): the same rows mapped from
-- Stripe's objects.
-- depends_on: {{ ref('base_stripe_customer') }}
select
    customer_id,
    created_at,
    company_name,
    country,
    segment,
    acquisition_channel
from {{ ref('stripe_customers') }}
{%- else %}
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
{%- endif %}
