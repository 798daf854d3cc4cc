-- One row per customer per month, with its MRR movement, from the customer's first month with MRR
-- through the month of as_of_date, zero-filled, with the churn grace window
-- applied: when a customer's MRR stops and comes back (on or before
-- as_of_date) within churn_grace_days days, the months in between keep the
-- last MRR seen, so the gap is neither a churn nor a reactivation.
-- Exchange-rate effects are kept apart from the movements: for a customer
-- paying in both months, fx_impact_mrr = the previous month's subscriptions
-- at this month's rates - previous_mrr, and the movement (expansion,
-- contraction, flat) compares mrr with that restated amount, i.e. at this
-- month's rates. mrr - previous_mrr = movement change + fx_impact_mrr.
-- depends_on: {{ ref("int_subscription_periods_normalised") }}
{%- set grace_days = var('churn_grace_days') | int %}

with customer_mrr as (
    select * from {{ ref('int_customer_mrr_monthly') }}
),

months as (
    select * from {{ ref('int_months') }}
),

first_paid as (
    select
        customer_id,
        min(month) as first_month
    from customer_mrr
    where mrr > 0
    group by customer_id
),

grid as (
    select
        first_paid.customer_id,
        months.month,
        months.evaluated_before,
        coalesce(customer_mrr.mrr, 0) as observed_mrr,
        coalesce(customer_mrr.list_mrr, 0) as observed_list_mrr,
        customer_mrr.prior_mrr_at_current_fx,
        customer_mrr.plan_id as observed_plan_id
    from first_paid
    inner join months
        on months.month >= first_paid.first_month
    left join customer_mrr
        on
            first_paid.customer_id = customer_mrr.customer_id
            and months.month = customer_mrr.month
),

with_history as (
    select
        *,
        {{ last_non_null_before('case when observed_mrr > 0 then observed_mrr end',
                                'customer_id', 'month') }} as last_positive_mrr,
        {{ last_non_null_before('case when observed_mrr > 0 then observed_list_mrr end',
                                'customer_id', 'month') }} as last_positive_list_mrr,
        {{ last_non_null_before('observed_plan_id', 'customer_id', 'month') }} as last_plan_id
    from grid
),

{% if grace_days > 0 %}
periods as (
    select * from {{ ref('int_subscription_periods_normalised') }}
    where is_mrr_bearing
),

stops as (
    -- When the MRR of a zero month stopped: the latest end of a paying period.
    select
        with_history.customer_id,
        with_history.month,
        max(periods.period_end) as stopped_at
    from with_history
    inner join periods
        on
            with_history.customer_id = periods.customer_id
            and periods.period_end <= with_history.evaluated_before
    where with_history.observed_mrr = 0
    group by with_history.customer_id, with_history.month
),

restarts as (
    -- When it came back: the first paying period starting at or after the
    -- stop, known by as_of_date.
    select
        stops.customer_id,
        stops.month,
        stops.stopped_at,
        min(periods.period_start) as restarted_at
    from stops
    inner join periods
        on
            stops.customer_id = periods.customer_id
            and periods.period_start >= stops.stopped_at
            and periods.period_start < {{ dbt.dateadd('day', 1, as_of_date()) }}
    group by stops.customer_id, stops.month, stops.stopped_at
),

graced as (
    select
        customer_id,
        month
    from restarts
    where restarted_at <= {{ dbt.dateadd('day', grace_days, 'stopped_at') }}
),
{% endif %}

filled as (
    select
        with_history.customer_id,
        with_history.month,
        with_history.observed_mrr,
        with_history.prior_mrr_at_current_fx,
        {%- if grace_days > 0 %}
        case
            when graced.customer_id is not null then coalesce(with_history.last_positive_mrr, 0)
            else with_history.observed_mrr
        end as mrr,
        case
            when graced.customer_id is not null then coalesce(with_history.last_positive_list_mrr, 0)
            else with_history.observed_list_mrr
        end as list_mrr,
        {%- else %}
            with_history.observed_mrr as mrr,
            with_history.observed_list_mrr as list_mrr,
        {%- endif %}
        {%- if grace_days > 0 %}
        graced.customer_id is not null as is_in_grace,
        {%- else %}
            false as is_in_grace,
        {%- endif %}
        coalesce(with_history.observed_plan_id, with_history.last_plan_id) as plan_id
    from with_history
    {%- if grace_days > 0 %}
    left join graced
        on
            with_history.customer_id = graced.customer_id
            and with_history.month = graced.month
    {%- endif %}
),

with_previous as (
    select
        *,
        coalesce(lag(mrr) over (partition by customer_id order by month), 0) as previous_mrr,
        coalesce(lag(list_mrr - mrr) over (partition by customer_id order by month), 0)
            as previous_discount_mrr,
        row_number() over (partition by customer_id order by month) = 1 as is_first_month
    from filled
),

with_fx as (
    -- Only a customer paying in both months (and not bridged by the grace
    -- window, whose months repeat the last MRR as it was) has an fx impact.
    select
        *,
        case
            when mrr > 0 and previous_mrr > 0 and observed_mrr > 0 and not is_in_grace
                then coalesce(prior_mrr_at_current_fx, previous_mrr) - previous_mrr
            else 0
        end as fx_impact_mrr
    from with_previous
),

final as (
    select
        customer_id,
        month,
        observed_mrr,
        mrr,
        is_in_grace,
        plan_id,
        previous_mrr,
        cast(list_mrr as decimal(18, 2)) as list_mrr,
        cast(list_mrr - mrr as decimal(18, 2)) as discount_mrr,
        cast(previous_discount_mrr as decimal(18, 2)) as previous_discount_mrr,
        cast(fx_impact_mrr as decimal(18, 2)) as fx_impact_mrr,
        {{ mrr_movement('mrr', 'previous_mrr', 'is_first_month', 'previous_mrr + fx_impact_mrr') }} as movement
    from with_fx
)

select * from final
