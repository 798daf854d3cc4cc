-- Every value of a clean landing row that the warehouse changed, with the
-- reason: today the period_end of a subscription period that overlaps the
-- next period of the same subscription (set to that period's start, see
-- base_subscription_overlaps). The row itself stays clean (it is counted in
-- clean_rows of audit.raw_row_reconciliation, not in quarantine).
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

final as (
    select * from subscriptions
)

select * from final
