{{ config(enabled=source_system() != 'stripe') }}
-- Clean subscription periods that overlap the next clean period of the same
-- subscription: still open, or ending after the next period starts. The rule
-- (the same on every engine): the later period supersedes the earlier one
-- from its start, so the earlier period ends where the next one starts.
-- The row stays clean; stg_subscriptions uses corrected_period_end and
-- audit.corrected_values lists every correction with its reason.
with clean_periods as (
    select
        _raw_row_number,
        _source_file,
        _raw_record,
        subscription_id,
        period_start,
        period_end
    from {{ ref('base_subscriptions') }}
    where quarantine_reason_code is null
),

with_next_start as (
    select
        *,
        min(period_start) over (
            partition by subscription_id
            order by period_start
            rows between 1 following and unbounded following
        ) as next_period_start
    from clean_periods
),

final as (
    select
        _raw_row_number,
        _source_file,
        _raw_record,
        subscription_id,
        period_start,
        period_end,
        next_period_start as corrected_period_end,
        'overlapping_period' as correction_reason_code,
        {{ dbt.concat([
            "'period overlaps the next period of the subscription (starting '",
            dbt.cast('next_period_start', dbt.type_string()),
            "'): period_end set to that start, was '",
            "coalesce(" ~ dbt.cast('period_end', dbt.type_string()) ~ ", 'open')"]) }} as correction_reason
    from with_next_start
    where
        next_period_start is not null
        and (period_end is null or period_end > next_period_start)
)

select * from final
