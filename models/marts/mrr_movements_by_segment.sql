-- The MRR waterfall per month, customer segment and plan. A customer-month
-- counts under the plan of its largest subscription that month (the last
-- plan for a churn month), so a plan change moves MRR between plans.
with customer_months as (
    select * from {{ ref('fct_mrr') }}
),

totals as (
    {{ mrr_movement_totals('customer_months', ['segment', 'plan_id']) }}
),

final as (
    select
        *,
        {{ mrr_movement_ratios() }}
    from totals
)

select * from final
