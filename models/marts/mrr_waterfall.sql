-- MRR waterfalls per week, month and quarter (column grain), for the whole
-- business (segment 'all') and per segment, summed from daily_mrr and so
-- from the movement ledger (docs/daily-mrr.md). Starting and ending MRR are
-- the daily MRR of the day before the period and of its last day (as_of_date
-- for the current period), so they meet mrr_movements where the periods end
-- on the same day; the gross movements count every change inside the period.
with daily as (
    select * from {{ ref('daily_mrr') }}
),

by_grain as (
    {%- for grain in ['week', 'month', 'quarter'] %}
        select
            '{{ grain }}' as grain,
            cast({{ dbt.date_trunc(grain, 'mrr_date') }} as date) as period_start,
            daily.*
        from daily
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

totals as (
    select
        grain,
        period_start,
        segment,
        max(mrr_date) as period_end,
        sum(mrr_change) as mrr_change,
        sum(new_mrr) as new_mrr,
        sum(expansion_mrr) as expansion_mrr,
        sum(contraction_mrr) as contraction_mrr,
        sum(churned_mrr) as churned_mrr,
        sum(reactivation_mrr) as reactivation_mrr,
        sum(fx_impact_mrr) as fx_impact_mrr,
        sum(new_customers) as new_customers,
        sum(churned_customers) as churned_customers,
        sum(reactivated_customers) as reactivated_customers,
        sum(new_customers + reactivated_customers - churned_customers) as customer_change
    from by_grain
    group by grain, period_start, segment
),

final as (
    select
        totals.grain,
        totals.period_start,
        totals.period_end,
        totals.segment,
        cast(period_end_day.mrr - totals.mrr_change as decimal(18, 2)) as starting_mrr,
        cast(totals.new_mrr as decimal(18, 2)) as new_mrr,
        cast(totals.expansion_mrr as decimal(18, 2)) as expansion_mrr,
        cast(totals.contraction_mrr as decimal(18, 2)) as contraction_mrr,
        cast(totals.churned_mrr as decimal(18, 2)) as churned_mrr,
        cast(totals.reactivation_mrr as decimal(18, 2)) as reactivation_mrr,
        cast(totals.fx_impact_mrr as decimal(18, 2)) as fx_impact_mrr,
        cast(period_end_day.mrr as decimal(18, 2)) as ending_mrr,
        cast(totals.mrr_change as decimal(18, 2)) as net_new_mrr,
        cast(period_end_day.customers - totals.customer_change as {{ dbt.type_bigint() }}) as customers_start,
        cast(period_end_day.customers as {{ dbt.type_bigint() }}) as customers_end,
        cast(totals.new_customers as {{ dbt.type_bigint() }}) as new_customers,
        cast(totals.churned_customers as {{ dbt.type_bigint() }}) as churned_customers,
        cast(totals.reactivated_customers as {{ dbt.type_bigint() }}) as reactivated_customers
    from totals
    inner join daily as period_end_day
        on
            totals.segment = period_end_day.segment
            and totals.period_end = period_end_day.mrr_date
)

select * from final
