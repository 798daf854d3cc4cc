-- int_forecast_starting_points: every customer paying at the end of a month
-- (fct_mrr, MRR above 0) is in the month's starting point with its MRR, so
-- that no customer drops out of the forecast (e.g. for want of a run age).
-- Months and segments whose customers or MRR differ are returned.
with paying as (
    select
        month,
        segment,
        count(*) as customers,
        sum(mrr) as mrr
    from {{ ref('fct_mrr') }}
    where mrr > 0
    group by
        month,
        segment
),

starting_points as (
    select
        origin_month as month,
        segment,
        sum(customers) as customers,
        sum(mrr) as mrr
    from {{ ref('int_forecast_starting_points') }}
    where run_age_months is not null
    group by
        origin_month,
        segment
)

select
    coalesce(paying.month, starting_points.month) as month,
    coalesce(paying.segment, starting_points.segment) as segment,
    paying.customers as paying_customers,
    starting_points.customers as starting_point_customers,
    paying.mrr as paying_mrr,
    starting_points.mrr as starting_point_mrr
from paying
full outer join starting_points
    on
        paying.month = starting_points.month
        and paying.segment = starting_points.segment
where
    paying.customers is null
    or starting_points.customers is null
    or paying.customers <> starting_points.customers
    or abs(paying.mrr - starting_points.mrr) > 0.005
