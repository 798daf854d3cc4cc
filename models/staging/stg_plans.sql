{{ config(pre_hook="{{ landing_file_check('plans') }}") }}
-- sqlfluff:indentation:template_blocks_indent:False
-- depends_on: {{ ref('landing_files') }}
{%- if source_system() == 'stripe' %}
-- Stripe path (var source_system, docs/stripe.md): the same rows mapped from
-- Stripe's objects.
-- depends_on: {{ ref('base_stripe_price') }}
select
    plan_id,
    plan_name,
    tier,
    billing_interval,
    list_price,
    currency
from {{ ref('stripe_plans') }}
{%- else %}
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
{%- endif %}
