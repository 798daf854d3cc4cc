-- Per segment and month: the MRR waterfall totals and the trailing rates the
-- forecast made at the end of that month uses, over the last
-- forecast_trailing_months months (the month included):
--   arrivals      new + reactivation MRR (and customers) per month: the mean
--                 (a flat trailing trend) and the sample standard deviation
--   net expansion (expansion - contraction) / (starting - churned) MRR, the
--                 monthly growth of the MRR of customers who stay (at constant
--                 exchange rates; fx is not forecast)
-- Months before a segment's first customer count as zero.
{%- set window = var('forecast_trailing_months') | int %}

with customer_months as (
    select * from {{ ref('fct_mrr') }}
),

months as (
    select * from {{ ref('int_months') }}
),

totals as (
    {{ mrr_movement_totals('customer_months', ['segment']) }}
),

segments as (
    select distinct segment
    from customer_months
),

dense as (
    select
        months.month,
        segments.segment,
        row_number() over (partition by segments.segment order by months.month) as month_number,
        cast(coalesce(totals.starting_mrr, 0) as {{ type_double() }}) as starting_mrr,
        cast(coalesce(totals.ending_mrr, 0) as {{ type_double() }}) as ending_mrr,
        cast(coalesce(totals.churned_mrr, 0) as {{ type_double() }}) as churned_mrr,
        cast(coalesce(totals.expansion_mrr, 0) - coalesce(totals.contraction_mrr, 0) as {{ type_double() }})
            as net_expansion_mrr,
        cast(coalesce(totals.new_mrr, 0) + coalesce(totals.reactivation_mrr, 0) as {{ type_double() }})
            as arrival_mrr,
        cast(coalesce(totals.new_customers, 0) + coalesce(totals.reactivated_customers, 0) as {{ type_double() }})
            as arrival_customers,
        coalesce(totals.customers_end, 0) as customers_end
    from months
    cross join segments
    left join totals
        on
            months.month = totals.month
            and segments.segment = totals.segment
),

windowed as (
    select
        month,
        segment,
        month_number,
        ending_mrr,
        customers_end,
        avg(arrival_mrr) over trailing_window as arrival_mrr,
        coalesce(stddev_samp(arrival_mrr) over trailing_window, 0) as arrival_mrr_stddev,
        avg(arrival_customers) over trailing_window as arrival_customers,
        coalesce(stddev_samp(arrival_customers) over trailing_window, 0) as arrival_customers_stddev,
        sum(net_expansion_mrr) over trailing_window as window_net_expansion_mrr,
        sum(starting_mrr - churned_mrr) over trailing_window as window_retained_mrr,
        count(*) over trailing_window as window_months
    from dense
    window trailing_window as (
        partition by segment
        order by month
        rows between {{ window - 1 }} preceding and current row
    )
),

final as (
    select
        month,
        segment,
        cast(month_number as {{ dbt.type_int() }}) as month_number,
        cast(ending_mrr as decimal(18, 2)) as ending_mrr,
        cast(customers_end as {{ dbt.type_bigint() }}) as customers_end,
        cast(window_months as {{ dbt.type_int() }}) as window_months,
        cast(arrival_mrr as {{ type_double() }}) as arrival_mrr,
        cast(arrival_mrr_stddev as {{ type_double() }}) as arrival_mrr_stddev,
        cast(arrival_customers as {{ type_double() }}) as arrival_customers,
        cast(arrival_customers_stddev as {{ type_double() }}) as arrival_customers_stddev,
        -- Kept above -1 so that (1 + rate)^h stays defined.
        cast(
            greatest(coalesce({{ safe_divide('window_net_expansion_mrr', 'window_retained_mrr') }}, 0), -0.99)
            as {{ type_double() }}
        ) as net_expansion_rate
    from windowed
)

select * from final
