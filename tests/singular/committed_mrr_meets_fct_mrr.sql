-- committed_mrr starts from the same month-end MRR as fct_mrr (summed over
-- customers, months bridged by the churn grace window included), and its
-- scheduled churn never counts more customers than were paying that month
-- (a customer in a grace gap has no subscription in effect to cancel).
with customer_months as (
    select
        month,
        sum(mrr) as mrr,
        sum(case when mrr > 0 and not is_in_grace then 1 else 0 end) as paying_customers
    from {{ ref('fct_mrr') }}
    group by month
)

select
    committed.month,
    committed.mrr,
    customer_months.mrr as fct_mrr_mrr,
    committed.scheduled_churn_customers,
    customer_months.paying_customers
from {{ ref('committed_mrr') }} as committed
left join customer_months
    on committed.month = customer_months.month
where
    customer_months.month is null
    or committed.mrr != customer_months.mrr
    or committed.scheduled_churn_customers > customer_months.paying_customers
