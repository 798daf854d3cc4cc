-- Where the ledger's months and quarters meet the monthly waterfall they
-- agree: a month or quarter of mrr_waterfall (whole business) starts with
-- mrr_movements' starting MRR of its first month and ends with the ending
-- MRR of its last month (less what the churn grace window carries over in a
-- gap, which no day shows), and its fx impact is the months' fx impact.
with movements as (
    select
        movements.*,
        {{ dbt.date_trunc('quarter', 'movements.month') }} as quarter_start,
        movements.ending_mrr - coalesce(carried.mrr, 0) as observed_ending_mrr
    from {{ ref('mrr_movements') }} as movements
    left join (
        select
            month,
            sum(mrr) as mrr
        from {{ ref('fct_mrr') }}
        where is_in_grace
        group by month
    ) as carried
        on movements.month = carried.month
),

with_previous as (
    select
        *,
        coalesce(lag(observed_ending_mrr) over (order by month), 0) as observed_starting_mrr
    from movements
),

expected as (
    select
        'month' as grain,
        month as period_start,
        observed_starting_mrr as starting_mrr,
        observed_ending_mrr as ending_mrr,
        fx_impact_mrr
    from with_previous

    union all

    select
        'quarter' as grain,
        cast(quarter_start as date) as period_start,
        sum(case when month = cast(quarter_start as date) then observed_starting_mrr else 0 end) as starting_mrr,
        sum(case when month = max_month then observed_ending_mrr else 0 end) as ending_mrr,
        sum(fx_impact_mrr) as fx_impact_mrr
    from (
        select
            *,
            max(month) over (partition by quarter_start) as max_month
        from with_previous
    ) as quarter_months
    group by quarter_start
),

waterfall as (
    select * from {{ ref('mrr_waterfall') }}
    where segment = 'all' and grain in ('month', 'quarter')
)

select
    coalesce(expected.grain, waterfall.grain) as grain,
    coalesce(expected.period_start, waterfall.period_start) as period_start,
    expected.starting_mrr as expected_starting_mrr,
    waterfall.starting_mrr,
    expected.ending_mrr as expected_ending_mrr,
    waterfall.ending_mrr,
    expected.fx_impact_mrr as expected_fx_impact_mrr,
    waterfall.fx_impact_mrr
from expected
full outer join waterfall
    on
        expected.grain = waterfall.grain
        and expected.period_start = waterfall.period_start
where
    coalesce(expected.starting_mrr, -1) != coalesce(waterfall.starting_mrr, -1)
    or coalesce(expected.ending_mrr, -1) != coalesce(waterfall.ending_mrr, -1)
    or coalesce(expected.fx_impact_mrr, -1) != coalesce(waterfall.fx_impact_mrr, -1)
