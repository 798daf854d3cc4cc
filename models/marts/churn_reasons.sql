-- Why customers churned: churned customers and MRR per period, segment,
-- churn type (voluntary / involuntary) and cancel reason, with the reason's
-- category and whether the business can act on it (seed
-- churn_reason_mapping). Companion of churn_summary; its counts add up to
-- churn_summary.churned_customers.
with customer_months as (
    select * from {{ ref('fct_mrr') }}
    where movement = 'churn'
),

expanded as (
    {{ expand_periods_and_segments('customer_months') }}
),

final as (
    select
        period_type,
        period_start,
        segment_group as segment,
        churn_type,
        churn_reason,
        churn_category,
        is_churn_controllable as is_controllable,
        cast(count(*) as {{ dbt.type_bigint() }}) as churned_customers,
        cast(sum(previous_mrr) as decimal(18, 2)) as churned_mrr,
        cast(sum(previous_mrr) * 12 as decimal(18, 2)) as churn_cost_annualized
    from expanded
    group by
        period_type, period_start, segment_group, churn_type, churn_reason, churn_category,
        is_churn_controllable
)

select * from final
