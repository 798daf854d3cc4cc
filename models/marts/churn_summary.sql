-- Customer churn and retention per period (month, quarter, year) for the
-- whole business (segment 'all') and each segment (SPEC §4).
--   logo churn rate          = churned customers / customers at start
--   customer retention rate  = (customers at end - customers gained) / customers at start
--   churn cost (annualised)  = churned MRR x 12
-- Counts are movements: a customer who churns twice in a quarter counts
-- twice, so customers_start + customers_gained - churned = customers_end.
with customer_months as (
    select * from {{ ref('fct_mrr') }}
),

expanded as (
    {{ expand_periods_and_segments('customer_months') }}
),

period_bounds as (
    select
        period_type,
        period_start,
        max(month) as last_month
    from expanded
    group by period_type, period_start
),

final as (
    select
        expanded.period_type,
        expanded.period_start,
        expanded.segment_group as segment,
        {{ count_where('expanded.month = expanded.period_start and expanded.previous_mrr > 0') }}
            as customers_start,
        {{ count_where("expanded.movement in ('new', 'reactivation')") }} as customers_gained,
        {{ count_where('expanded.month = period_bounds.last_month and expanded.mrr > 0') }}
            as customers_end,
        {{ count_where("expanded.movement = 'churn'") }} as churned_customers,
        {{ count_where("expanded.movement = 'churn' and expanded.churn_type = 'voluntary'") }}
            as voluntary_churned_customers,
        {{ count_where("expanded.movement = 'churn' and expanded.churn_type = 'involuntary'") }}
            as involuntary_churned_customers,
        cast(sum(case when expanded.movement = 'churn' then expanded.previous_mrr else 0 end)
            as decimal(18, 2)) as churned_mrr
    from expanded
    inner join period_bounds
        on
            expanded.period_type = period_bounds.period_type
            and expanded.period_start = period_bounds.period_start
    group by expanded.period_type, expanded.period_start, expanded.segment_group
),

with_rates as (
    select
        *,
        cast({{ safe_divide('churned_customers', 'customers_start') }} as {{ type_double() }})
            as logo_churn_rate,
        cast({{ safe_divide('customers_end - customers_gained', 'customers_start') }}
            as {{ type_double() }}) as customer_retention_rate,
        cast(churned_mrr * 12 as decimal(18, 2)) as churn_cost_annualized
    from final
)

select * from with_rates
