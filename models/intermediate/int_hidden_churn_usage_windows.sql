-- Usage of each paying customer at each snapshot in two windows (summed in
-- int_usage_snapshot_windows from the daily rollup): recent = the
-- hidden_churn_recent_window_days days through the snapshot day; baseline =
-- the hidden_churn_baseline_window_days days before those. A window's
-- covered days are the days of it on or after the customer's history start
-- (first subscription or first activity), so rates of a young customer are
-- per day it existed. Also the last active day.
{%- set recent_days = var('hidden_churn_recent_window_days') | int %}
{%- set baseline_days = var('hidden_churn_baseline_window_days') | int %}
{%- set days_of_history = dbt.datediff('history_start_date', 'snapshot_date', 'day') %}

with snapshots as (
    select * from {{ ref('int_hidden_churn_snapshots') }}
),

windows as (
    select * from {{ ref('int_usage_snapshot_windows') }}
),

monthly as (
    select * from {{ ref('int_usage_monthly') }}
),

activity_bounds as (
    -- First and last active day up to the snapshot (monthly rows of months
    -- starting on or before the snapshot hold no later days: a snapshot is
    -- a month end or as_of_date).
    select
        snapshots.customer_id,
        snapshots.snapshot_date,
        min(monthly.first_active_date) as first_active_date,
        max(monthly.last_active_date) as last_active_date
    from snapshots
    inner join monthly
        on
            snapshots.customer_id = monthly.customer_id
            and snapshots.snapshot_date >= monthly.month
    group by snapshots.customer_id, snapshots.snapshot_date
),

with_history as (
    select
        snapshots.customer_id,
        snapshots.snapshot_date,
        case
            when activity_bounds.first_active_date is null then snapshots.first_subscribed_date
            when snapshots.first_subscribed_date is null then activity_bounds.first_active_date
            else least(snapshots.first_subscribed_date, activity_bounds.first_active_date)
        end as history_start_date,
        activity_bounds.last_active_date
    from snapshots
    left join activity_bounds
        on
            snapshots.customer_id = activity_bounds.customer_id
            and snapshots.snapshot_date = activity_bounds.snapshot_date
),

coverage as (
    select
        *,
        {{ days_of_history }} + 1 as history_days
    from with_history
),

final as (
    select
        coverage.customer_id,
        coverage.snapshot_date,
        coverage.history_start_date,
        cast(coverage.history_days as {{ dbt.type_bigint() }}) as history_days,
        cast({{ clamp('coverage.history_days', 0, recent_days) }} as {{ dbt.type_bigint() }})
            as recent_days_covered,
        cast({{ clamp('coverage.history_days - ' ~ recent_days, 0, baseline_days) }} as {{ dbt.type_bigint() }})
            as baseline_days_covered,
        coverage.last_active_date,
        cast(coalesce(windows.recent_active_days, 0) as {{ dbt.type_bigint() }}) as recent_active_days,
        cast(coalesce(windows.recent_logins, 0) as {{ dbt.type_bigint() }}) as recent_logins,
        cast(coalesce(windows.recent_sessions, 0) as {{ dbt.type_bigint() }}) as recent_sessions,
        cast(coalesce(windows.recent_session_seconds, 0) as {{ type_double() }}) / 60
            as recent_session_minutes,
        cast(coalesce(windows.recent_valuable_actions, 0) as {{ dbt.type_bigint() }})
            as recent_valuable_actions,
        cast(coalesce(windows.recent_user_days, 0) as {{ dbt.type_bigint() }}) as recent_user_days,
        cast(coalesce(windows.recent_active_users, 0) as {{ dbt.type_bigint() }}) as recent_active_users,
        cast(coalesce(windows.baseline_active_days, 0) as {{ dbt.type_bigint() }}) as baseline_active_days,
        cast(coalesce(windows.baseline_logins, 0) as {{ dbt.type_bigint() }}) as baseline_logins,
        cast(coalesce(windows.baseline_sessions, 0) as {{ dbt.type_bigint() }}) as baseline_sessions,
        cast(coalesce(windows.baseline_session_seconds, 0) as {{ type_double() }}) / 60
            as baseline_session_minutes,
        cast(coalesce(windows.baseline_valuable_actions, 0) as {{ dbt.type_bigint() }})
            as baseline_valuable_actions,
        cast(coalesce(windows.baseline_user_days, 0) as {{ dbt.type_bigint() }}) as baseline_user_days
    from coverage
    left join windows
        on
            coverage.customer_id = windows.customer_id
            and coverage.snapshot_date = windows.snapshot_date
)

select * from final
