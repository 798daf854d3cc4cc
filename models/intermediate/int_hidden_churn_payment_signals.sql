-- Billing warning signs per paying customer and snapshot: failed payment
-- attempts on invoices issued in the recent window (the last
-- hidden_churn_recent_window_days days through the snapshot day). Attempts
-- that did not collect = attempt_count, less the successful one for a paid
-- invoice (and the one still pending for an open invoice). The landing data
-- only has the final attempt_count, so attempts made after the snapshot on
-- an invoice issued before it are counted too.
{%- set recent_days = var('hidden_churn_recent_window_days') | int %}

with snapshots as (
    select * from {{ ref('int_hidden_churn_snapshots') }}
),

invoices as (
    select * from {{ ref('stg_invoices') }}
    where status != 'void'
),

failed_attempts as (
    select
        snapshots.customer_id,
        snapshots.snapshot_date,
        sum(
            case
                when invoices.status in ('paid', 'open') then greatest(invoices.attempt_count - 1, 0)
                else greatest(invoices.attempt_count, 1)
            end
        ) as failed_payment_attempts,
        {{ count_where("invoices.status in ('failed', 'uncollectible')") }} as failed_invoices
    from snapshots
    inner join invoices
        on
            snapshots.customer_id = invoices.customer_id
            and invoices.issued_at < {{ dbt.dateadd('day', 1, 'snapshots.snapshot_date') }}
            and invoices.issued_at >= {{ dbt.dateadd('day', 1 - recent_days, 'snapshots.snapshot_date') }}
    group by snapshots.customer_id, snapshots.snapshot_date
),

final as (
    select
        snapshots.customer_id,
        snapshots.snapshot_date,
        cast(coalesce(failed_attempts.failed_payment_attempts, 0) as {{ dbt.type_bigint() }})
            as failed_payment_attempts,
        cast(coalesce(failed_attempts.failed_invoices, 0) as {{ dbt.type_bigint() }}) as failed_invoices
    from snapshots
    left join failed_attempts
        on
            snapshots.customer_id = failed_attempts.customer_id
            and snapshots.snapshot_date = failed_attempts.snapshot_date
)

select * from final
