-- The movement ledger adds up to the month-end snapshots: for every customer
-- and month, the ledger's changes sum to the change of the MRR observed at
-- the month's evaluation day, and (outside months bridged by the churn grace
-- window, whose MRR is carried over rather than observed) to
-- fct_mrr.mrr_change, its fx rows to fct_mrr.fx_impact_mrr. A customer-month
-- fct_mrr does not have (a join-and-leave before the first month-end with
-- MRR) nets to zero.
with ledger as (
    select
        customer_id,
        month,
        sum(mrr_change) as ledger_change,
        sum(case when movement = 'fx' then mrr_change else 0 end) as ledger_fx
    from {{ ref('mrr_ledger') }}
    group by customer_id, month
),

customer_months as (
    select
        customer_id,
        month,
        observed_mrr - coalesce(
            lag(observed_mrr) over (partition by customer_id order by month), 0
        ) as observed_change,
        is_in_grace or coalesce(
            lag(is_in_grace) over (partition by customer_id order by month), false
        ) as touches_grace
    from {{ ref('int_customer_months') }}
),

snapshots as (
    select
        fct_mrr.customer_id,
        fct_mrr.month,
        fct_mrr.mrr_change,
        fct_mrr.fx_impact_mrr,
        customer_months.observed_change,
        customer_months.touches_grace
    from {{ ref('fct_mrr') }} as fct_mrr
    inner join customer_months
        on
            fct_mrr.customer_id = customer_months.customer_id
            and fct_mrr.month = customer_months.month
),

compared as (
    select
        coalesce(snapshots.customer_id, ledger.customer_id) as customer_id,
        coalesce(snapshots.month, ledger.month) as month,
        coalesce(ledger.ledger_change, 0) as ledger_change,
        coalesce(ledger.ledger_fx, 0) as ledger_fx,
        coalesce(snapshots.observed_change, 0) as observed_change,
        snapshots.mrr_change,
        snapshots.fx_impact_mrr,
        coalesce(snapshots.touches_grace, false) as touches_grace
    from snapshots
    full outer join ledger
        on
            snapshots.customer_id = ledger.customer_id
            and snapshots.month = ledger.month
)

select *
from compared
where
    ledger_change != observed_change
    or (not touches_grace and ledger_change != coalesce(mrr_change, 0))
    or (not touches_grace and ledger_fx != coalesce(fx_impact_mrr, 0))
