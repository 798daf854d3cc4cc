-- One row per customer per month (docs/definitions.md): MRR at the month's evaluation
-- day, the change from last month and its movement, with the customer's
-- attributes for slicing. Months at zero after a churn are kept. The part
-- of mrr_change that comes from exchange rates alone is fx_impact_mrr; the
-- movement is the rest (at this month's rates). list_mrr is MRR before
-- discounts, discount_mrr = list_mrr - mrr; a discount that ends raises mrr
-- (an expansion) while discount_mrr falls (discount_change_mrr < 0).
with customer_months as (
    select * from {{ ref('int_customer_months') }}
),

customers as (
    select * from {{ ref('stg_customers') }}
),

churn_events as (
    select * from {{ ref('int_churn_events') }}
),

final as (
    select
        customer_months.customer_id,
        customer_months.month,
        customer_months.mrr,
        customer_months.previous_mrr,
        cast(customer_months.mrr - customer_months.previous_mrr as decimal(18, 2)) as mrr_change,
        customer_months.fx_impact_mrr,
        customer_months.movement,
        customer_months.list_mrr,
        customer_months.discount_mrr,
        cast(customer_months.discount_mrr - customer_months.previous_discount_mrr as decimal(18, 2))
            as discount_change_mrr,
        customer_months.plan_id,
        customers.company_name,
        customers.segment,
        customers.acquisition_channel,
        customers.country,
        min(customer_months.month) over (partition by customer_months.customer_id) as cohort_month,
        customer_months.is_in_grace,
        churn_events.churn_type,
        churn_events.churn_reason,
        churn_events.is_controllable as is_churn_controllable,
        churn_events.churn_category
    from customer_months
    inner join customers
        on customer_months.customer_id = customers.customer_id
    left join churn_events
        on
            customer_months.customer_id = churn_events.customer_id
            and customer_months.month = churn_events.month
)

select * from final
