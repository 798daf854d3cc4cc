-- The business's MRR at the end of every day (docs/daily-mrr.md), for the
-- whole business (segment 'all') and per segment, from the first month with
-- MRR through as_of_date: the running sum of the ledger's changes over a day
-- spine (no customer x day grid), with the day's movements.
with ledger as (
    select * from {{ ref('mrr_ledger') }}
),

months as (
    select * from {{ ref('int_months') }}
),

bounds as (
    select
        min(month) as first_day,
        max(evaluated_on) as last_day
    from months
),

days as (
    {{ day_series('first_day', 'last_day', 'bounds') }}
),

segments as (
    select distinct segment from ledger

    union all

    select 'all' as segment
),

ledger_by_segment as (
    select
        segment,
        movement_date,
        movement,
        mrr_change
    from ledger

    union all

    select
        'all' as segment,
        movement_date,
        movement,
        mrr_change
    from ledger
),

day_totals as (
    select
        segment,
        movement_date,
        sum(mrr_change) as mrr_change,
        sum(case when movement = 'new' then mrr_change else 0 end) as new_mrr,
        sum(case when movement = 'expansion' then mrr_change else 0 end) as expansion_mrr,
        sum(case when movement = 'contraction' then -mrr_change else 0 end) as contraction_mrr,
        sum(case when movement = 'churn' then -mrr_change else 0 end) as churned_mrr,
        sum(case when movement = 'reactivation' then mrr_change else 0 end) as reactivation_mrr,
        sum(case when movement = 'fx' then mrr_change else 0 end) as fx_impact_mrr,
        {{ count_where("movement = 'new'") }} as new_customers,
        {{ count_where("movement = 'churn'") }} as churned_customers,
        {{ count_where("movement = 'reactivation'") }} as reactivated_customers
    from ledger_by_segment
    group by segment, movement_date
),

grid as (
    select
        days.date_day,
        segments.segment,
        coalesce(day_totals.mrr_change, 0) as mrr_change,
        coalesce(day_totals.new_mrr, 0) as new_mrr,
        coalesce(day_totals.expansion_mrr, 0) as expansion_mrr,
        coalesce(day_totals.contraction_mrr, 0) as contraction_mrr,
        coalesce(day_totals.churned_mrr, 0) as churned_mrr,
        coalesce(day_totals.reactivation_mrr, 0) as reactivation_mrr,
        coalesce(day_totals.fx_impact_mrr, 0) as fx_impact_mrr,
        coalesce(day_totals.new_customers, 0) as new_customers,
        coalesce(day_totals.churned_customers, 0) as churned_customers,
        coalesce(day_totals.reactivated_customers, 0) as reactivated_customers
    from days
    cross join segments
    left join day_totals
        on
            days.date_day = day_totals.movement_date
            and segments.segment = day_totals.segment
),

final as (
    select
        date_day as mrr_date,
        segment,
        cast(sum(mrr_change) over (
            partition by segment order by date_day rows between unbounded preceding and current row
        ) as decimal(18, 2)) as mrr,
        cast(sum(new_customers + reactivated_customers - churned_customers) over (
            partition by segment order by date_day rows between unbounded preceding and current row
        ) as {{ dbt.type_bigint() }}) as customers,
        cast(mrr_change as decimal(18, 2)) as mrr_change,
        cast(new_mrr as decimal(18, 2)) as new_mrr,
        cast(expansion_mrr as decimal(18, 2)) as expansion_mrr,
        cast(contraction_mrr as decimal(18, 2)) as contraction_mrr,
        cast(churned_mrr as decimal(18, 2)) as churned_mrr,
        cast(reactivation_mrr as decimal(18, 2)) as reactivation_mrr,
        cast(fx_impact_mrr as decimal(18, 2)) as fx_impact_mrr,
        cast(new_customers as {{ dbt.type_bigint() }}) as new_customers,
        cast(churned_customers as {{ dbt.type_bigint() }}) as churned_customers,
        cast(reactivated_customers as {{ dbt.type_bigint() }}) as reactivated_customers
    from grid
)

select * from final
