-- Every churn (a customer-month whose MRR fell to 0) with when the MRR
-- stopped, why, and its classification. The cancel reason decides when the
-- seed churn_reason_mapping lists it (churn type, controllable or not,
-- category); otherwise the invoice rule gives the type: involuntary when a
-- failed or uncollectible invoice was issued in the
-- involuntary_churn_window_days days before the stop, else voluntary (and
-- controllability is unknown, category 'unclassified'). A stop made by
-- past_due_churn_days has the reason past_due.
with customer_months as (
    select * from {{ ref('int_customer_months') }}
),

months as (
    select * from {{ ref('int_months') }}
),

periods as (
    select * from {{ ref('int_subscription_periods_normalised') }}
),

invoices as (
    select * from {{ ref('stg_invoices') }}
),

reason_mapping as (
    select * from {{ ref('churn_reason_mapping') }}
),

churns as (
    select
        customer_months.customer_id,
        customer_months.month,
        customer_months.previous_mrr as churned_mrr,
        months.evaluated_before
    from customer_months
    inner join months
        on customer_months.month = months.month
    where customer_months.movement = 'churn'
),

stops as (
    select
        churns.customer_id,
        churns.month,
        max(periods.period_end) as stopped_at
    from churns
    inner join periods
        on
            churns.customer_id = periods.customer_id
            and periods.is_mrr_bearing
            and periods.period_end <= churns.evaluated_before
    group by churns.customer_id, churns.month
),

reasons as (
    -- The cancel reason of the paying period that ended at the stop, else
    -- of a pause that began there (a pause that ended in a cancellation
    -- carries the reason); a pause without reason reads as 'paused'.
    select
        stops.customer_id,
        stops.month,
        max(case when periods.is_mrr_bearing and periods.period_end = stops.stopped_at
                then periods.cancel_reason
        end) as cancel_reason,
        max(case when periods.status = 'paused' and periods.period_start = stops.stopped_at
                then periods.cancel_reason
        end) as pause_cancel_reason,
        max(case when periods.status = 'paused' and periods.period_start = stops.stopped_at
                then 1
            else 0
        end) as was_paused,
        max(case when periods.is_past_due_cut and periods.period_start = stops.stopped_at
                then 1
            else 0
        end) as was_past_due_cut
    from stops
    inner join periods
        on stops.customer_id = periods.customer_id
    group by stops.customer_id, stops.month
),

payment_failures as (
    select
        stops.customer_id,
        stops.month,
        count(*) as failed_invoices
    from stops
    inner join invoices
        on
            stops.customer_id = invoices.customer_id
            and invoices.status in ('failed', 'uncollectible')
            and invoices.issued_at <= stops.stopped_at
            and invoices.issued_at
            >= {{ dbt.dateadd('day', -1 * (var('involuntary_churn_window_days') | int), 'stops.stopped_at') }}
    group by stops.customer_id, stops.month
),

classified as (
    select
        churns.customer_id,
        churns.month,
        churns.churned_mrr,
        stops.stopped_at,
        coalesce(payment_failures.failed_invoices, 0) as failed_invoices_before_churn,
        case
            when coalesce(payment_failures.failed_invoices, 0) > 0 then 'involuntary'
            else 'voluntary'
        end as invoice_rule_churn_type,
        coalesce(
            case when reasons.was_past_due_cut = 1 then 'past_due' end,
            reasons.cancel_reason,
            reasons.pause_cancel_reason,
            case when reasons.was_paused = 1 then 'paused' end,
            'unknown'
        ) as churn_reason
    from churns
    left join stops
        on
            churns.customer_id = stops.customer_id
            and churns.month = stops.month
    left join reasons
        on
            churns.customer_id = reasons.customer_id
            and churns.month = reasons.month
    left join payment_failures
        on
            churns.customer_id = payment_failures.customer_id
            and churns.month = payment_failures.month
),

final as (
    select
        classified.customer_id,
        classified.month,
        classified.churned_mrr,
        classified.stopped_at,
        classified.failed_invoices_before_churn,
        coalesce(reason_mapping.churn_type, classified.invoice_rule_churn_type) as churn_type,
        classified.churn_reason,
        reason_mapping.is_controllable,
        coalesce(reason_mapping.category, 'unclassified') as churn_category,
        reason_mapping.cancel_reason is not null as is_reason_mapped
    from classified
    left join reason_mapping
        on classified.churn_reason = reason_mapping.cancel_reason
)

select * from final
