-- Customer churn and retention per period (month, quarter, year) for the
-- whole business (segment 'all') and each segment (docs/definitions.md).
--   customer retention rate  = (customers at end - customers gained) / customers at start
--   logo churn rate          = churned customers / customers at start
--   churn cost (annualised)  = churned MRR x 12
-- Counts are movements: a customer who churns twice in a quarter counts
-- twice, so customers_start + customers_gained - churned = customers_end.
-- Every rate is its formula over the row's own counts, for every period
-- type (over a quarter or a year a churn of a customer gained during the
-- period counts too, so logo churn can exceed 1 there). The share of the
-- customers at start still paying at the end is its own measure,
-- retained_customers_rate = retained_customers / customers_start.
-- Churn is also split by whether the business can act on its reason
-- (is_churn_controllable from the seed churn_reason_mapping).
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

per_customer as (
    -- Whether each customer was paying at the period's start and at its end.
    select
        expanded.period_type,
        expanded.period_start,
        expanded.segment_group,
        expanded.customer_id,
        max(case when expanded.month = expanded.period_start and expanded.previous_mrr > 0 then 1 else 0 end)
            as paid_at_start,
        max(case when expanded.month = period_bounds.last_month and expanded.mrr > 0 then 1 else 0 end)
            as paid_at_end
    from expanded
    inner join period_bounds
        on
            expanded.period_type = period_bounds.period_type
            and expanded.period_start = period_bounds.period_start
    group by expanded.period_type, expanded.period_start, expanded.segment_group, expanded.customer_id
),

retained as (
    select
        period_type,
        period_start,
        segment_group,
        {{ count_where('paid_at_start = 1 and paid_at_end = 1') }} as retained_customers
    from per_customer
    group by period_type, period_start, segment_group
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
        {{ count_where("expanded.movement = 'churn' and expanded.is_churn_controllable") }}
            as controllable_churned_customers,
        {{ count_where("expanded.movement = 'churn' and not expanded.is_churn_controllable") }}
            as uncontrollable_churned_customers,
        cast(
            sum(case when expanded.movement = 'churn' and expanded.is_churn_controllable
                    then expanded.previous_mrr
                else 0
            end) as decimal(18, 2)
        ) as controllable_churned_mrr,
        cast(
            sum(case when expanded.movement = 'churn' then expanded.previous_mrr else 0 end)
            as decimal(18, 2)
        ) as churned_mrr
    from expanded
    inner join period_bounds
        on
            expanded.period_type = period_bounds.period_type
            and expanded.period_start = period_bounds.period_start
    group by expanded.period_type, expanded.period_start, expanded.segment_group
),

with_rates as (
    select
        final.*,
        retained.retained_customers,
        cast(
            {{ safe_divide('final.churned_customers', 'final.customers_start') }}
            as {{ type_double() }}
        ) as logo_churn_rate,
        cast(
            {{ safe_divide('final.customers_end - final.customers_gained', 'final.customers_start') }}
            as {{ type_double() }}
        ) as customer_retention_rate,
        cast(
            {{ safe_divide('retained.retained_customers', 'final.customers_start') }}
            as {{ type_double() }}
        ) as retained_customers_rate,
        cast(final.churned_mrr * 12 as decimal(18, 2)) as churn_cost_annualized
    from final
    inner join retained
        on
            final.period_type = retained.period_type
            and final.period_start = retained.period_start
            and final.segment = retained.segment_group
)

select * from with_rates
