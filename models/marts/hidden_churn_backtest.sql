-- Backtest of hidden_churn_risk (docs/definitions.md): at each past snapshot whose
-- horizon (hidden_churn_horizon_days) has fully passed by as_of_date, the
-- customers flagged at risk vs those who actually churned within the
-- horizon (their MRR stopped in the days after the snapshot, up to and
-- including snapshot + horizon; a churn is a month at MRR 0 after MRR > 0,
-- as in fct_mrr). Per snapshot, for all customers ('all') and per segment:
--   precision = flagged and churned / flagged
--   recall    = flagged and churned / churned
--   lift      = precision / base churn rate (churned / customers)
{%- set horizon_days = var('hidden_churn_horizon_days') | int %}

with risk as (
    select * from {{ ref('hidden_churn_risk') }}
),

churn_events as (
    select * from {{ ref('int_churn_events') }}
),

churn_dates as (
    -- The first day without MRR.
    select
        customer_id,
        cast(coalesce(stopped_at, month) as date) as churn_date
    from churn_events
),

past_snapshots as (
    select * from risk
    where {{ dbt.dateadd('day', horizon_days, 'snapshot_date') }} <= {{ as_of_date() }}
),

outcomes as (
    select
        past_snapshots.customer_id,
        past_snapshots.snapshot_date,
        count(churn_dates.customer_id) > 0 as churned_within_horizon
    from past_snapshots
    left join churn_dates
        on
            past_snapshots.customer_id = churn_dates.customer_id
            and past_snapshots.snapshot_date < churn_dates.churn_date
            and {{ dbt.dateadd('day', horizon_days, 'past_snapshots.snapshot_date') }} >= churn_dates.churn_date
    group by past_snapshots.customer_id, past_snapshots.snapshot_date
),

labelled as (
    select
        past_snapshots.snapshot_date,
        past_snapshots.segment,
        past_snapshots.mrr,
        past_snapshots.is_at_risk,
        outcomes.churned_within_horizon
    from past_snapshots
    inner join outcomes
        on
            past_snapshots.customer_id = outcomes.customer_id
            and past_snapshots.snapshot_date = outcomes.snapshot_date
),

by_segment as (
    -- Every row twice: in its segment and in 'all'.
    select
        snapshot_date,
        segment,
        mrr,
        is_at_risk,
        churned_within_horizon
    from labelled

    union all

    select
        snapshot_date,
        'all' as segment,
        mrr,
        is_at_risk,
        churned_within_horizon
    from labelled
),

counted as (
    select
        snapshot_date,
        segment,
        cast(count(*) as {{ dbt.type_bigint() }}) as customers,
        {{ count_where('is_at_risk') }} as flagged_customers,
        {{ count_where('churned_within_horizon') }} as churned_customers,
        {{ count_where('is_at_risk and churned_within_horizon') }} as flagged_churned_customers,
        cast(sum(mrr) as decimal(18, 2)) as mrr,
        cast(sum(case when is_at_risk then mrr else 0 end) as decimal(18, 2)) as flagged_mrr,
        cast(sum(case when churned_within_horizon then mrr else 0 end) as decimal(18, 2)) as churned_mrr,
        cast(sum(case when is_at_risk and churned_within_horizon then mrr else 0 end) as decimal(18, 2))
            as flagged_churned_mrr
    from by_segment
    group by snapshot_date, segment
),

final as (
    select
        snapshot_date,
        segment,
        {{ horizon_days }} as horizon_days,
        customers,
        flagged_customers,
        churned_customers,
        flagged_churned_customers,
        flagged_customers - flagged_churned_customers as flagged_retained_customers,
        churned_customers - flagged_churned_customers as missed_churned_customers,
        cast({{ safe_divide('churned_customers', 'customers') }} as {{ type_double() }}) as base_churn_rate,
        cast({{ safe_divide('flagged_churned_customers', 'flagged_customers') }} as {{ type_double() }})
            as precision,  -- noqa: RF04
        cast({{ safe_divide('flagged_churned_customers', 'churned_customers') }} as {{ type_double() }})
            as recall,
        cast({{ safe_divide(
            safe_divide('flagged_churned_customers', 'flagged_customers'),
            safe_divide('churned_customers', 'customers')
        ) }} as {{ type_double() }}) as lift,
        mrr,
        flagged_mrr,
        churned_mrr,
        flagged_churned_mrr
    from counted
)

select * from final
