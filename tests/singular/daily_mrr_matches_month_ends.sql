-- Daily MRR at each month's evaluation day (its last day, or as_of_date) is
-- the month-end MRR of the monthly marts: mrr_movements.ending_mrr for the
-- whole business, the sum of fct_mrr per segment (less the MRR the churn
-- grace window carries over in a gap, which no day shows), and the
-- customers are those with month-end MRR.
with month_ends as (
    select
        fct_mrr.month,
        months.evaluated_on,
        fct_mrr.segment,
        fct_mrr.mrr,
        fct_mrr.is_in_grace
    from {{ ref('fct_mrr') }} as fct_mrr
    inner join {{ ref('int_months') }} as months
        on fct_mrr.month = months.month
),

expected_by_segment as (
    select
        month,
        evaluated_on,
        segment,
        sum(case when is_in_grace then 0 else mrr end) as mrr,
        sum(case when mrr > 0 then 1 else 0 end) as customers
    from month_ends
    group by month, evaluated_on, segment
),

expected_all as (
    select
        movements.month,
        months.evaluated_on,
        'all' as segment,
        movements.ending_mrr - coalesce(carried.mrr, 0) as mrr,
        movements.customers_end as customers
    from {{ ref('mrr_movements') }} as movements
    inner join {{ ref('int_months') }} as months
        on movements.month = months.month
    left join (
        select
            month,
            sum(mrr) as mrr
        from month_ends
        where is_in_grace
        group by month
    ) as carried
        on movements.month = carried.month
),

expected as (
    select * from expected_by_segment
    union all
    select * from expected_all
),

daily as (
    select
        daily_mrr.mrr_date,
        daily_mrr.segment,
        daily_mrr.mrr,
        daily_mrr.customers
    from {{ ref('daily_mrr') }} as daily_mrr
    inner join {{ ref('int_months') }} as months
        on daily_mrr.mrr_date = months.evaluated_on
)

select
    coalesce(expected.evaluated_on, daily.mrr_date) as evaluated_on,
    coalesce(expected.segment, daily.segment) as segment,
    expected.mrr as expected_mrr,
    daily.mrr as daily_mrr,
    expected.customers as expected_customers,
    daily.customers as daily_customers
from expected
full outer join daily
    on
        expected.evaluated_on = daily.mrr_date
        and expected.segment = daily.segment
where
    coalesce(expected.mrr, 0) != coalesce(daily.mrr, 0)
    or coalesce(expected.customers, 0) != coalesce(daily.customers, 0)
