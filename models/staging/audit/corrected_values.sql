-- sqlfluff:indentation:template_blocks_indent:False
-- Every value of a clean landing row that the warehouse changed, with the
-- reason: today the period_end of a subscription period that overlaps the
-- next period of the same subscription (set to that period's start, see
-- base_subscription_overlaps). The row itself stays clean (it is counted in
-- clean_rows of audit.raw_row_reconciliation, not in quarantine).
{% if source_system() == 'stripe' %}
-- Stripe path: no value is corrected yet (docs/stripe.md).
with subscriptions as (
    select
        cast(null as {{ dbt.type_string() }}) as source_table,
        cast(null as {{ dbt.type_string() }}) as source_file,
        cast(null as {{ dbt.type_bigint() }}) as raw_row_number,
        cast(null as {{ dbt.type_string() }}) as column_name,
        cast(null as {{ dbt.type_string() }}) as value_as_landed,
        cast(null as {{ dbt.type_string() }}) as corrected_value,
        cast(null as {{ dbt.type_string() }}) as correction_reason_code,
        cast(null as {{ dbt.type_string() }}) as correction_reason,
        cast(null as {{ dbt.type_string() }}) as raw_record
    where 1 = 0
),
{% else %}
with subscriptions as (
    select
        'subscriptions' as source_table,
        _source_file as source_file,
        _raw_row_number as raw_row_number,
        'period_end' as column_name,
        {{ dbt.cast('period_end', dbt.type_string()) }} as value_as_landed,
        {{ dbt.cast('corrected_period_end', dbt.type_string()) }} as corrected_value,
        correction_reason_code,
        correction_reason,
        _raw_record as raw_record
    from {{ ref('base_subscription_overlaps') }}
),
{% endif %}

final as (
    select * from subscriptions
)

select * from final
