-- Usage of each paying customer at each snapshot in two windows, from the
-- daily rollup: recent = the hidden_churn_recent_window_days days through
-- the snapshot day; baseline = the hidden_churn_baseline_window_days days
-- before those. A window's covered days are the days of it on or after the
-- customer's history start (first subscription or first activity), so rates
-- of a young customer are per day it existed. Also the last active day.
{%- set recent_days = var('hidden_churn_recent_window_days') | int %}
{%- set baseline_days = var('hidden_churn_baseline_window_days') | int %}
{%- set window_days = recent_days + baseline_days %}
{%- set days_of_history = dbt.datediff('history_start_date', 'snapshot_date', 'day') %}

with snapshots as (
    select * from {{ ref('int_hidden_churn_snapshots') }}
),

daily as (
    select * from {{ ref('int_usage_daily') }}
    where usage_date <= {{ as_of_date() }}
),

monthly as (
    select * from {{ ref('int_usage_monthly') }}
),

daily_snapshots as (
    {{ with_snapshot_days('daily', ['customer_id', 'usage_date', 'logins', 'sessions', 'session_seconds',
                                    'valuable_actions', 'active_users'], window_days) }}
),

user_day_snapshots as (
    {{ with_snapshot_days(ref('stg_event_user_days'), ['customer_id', 'usage_date', 'user_id'], recent_days) }}
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

window_days as (
    select
        snapshots.customer_id,
        snapshots.snapshot_date,
        daily_snapshots.usage_date > {{ dbt.dateadd('day', -1 * recent_days, 'snapshots.snapshot_date') }}
            as is_recent,
        daily_snapshots.logins,
        daily_snapshots.sessions,
        daily_snapshots.session_seconds,
        daily_snapshots.valuable_actions,
        daily_snapshots.active_users
    from snapshots
    inner join daily_snapshots
        on
            snapshots.customer_id = daily_snapshots.customer_id
            and snapshots.snapshot_date = daily_snapshots.snapshot_date
),

window_totals as (
    select
        customer_id,
        snapshot_date,
        {{ count_where('is_recent') }} as recent_active_days,
        sum(case when is_recent then logins else 0 end) as recent_logins,
        sum(case when is_recent then sessions else 0 end) as recent_sessions,
        sum(case when is_recent then session_seconds else 0 end) as recent_session_seconds,
        sum(case when is_recent then valuable_actions else 0 end) as recent_valuable_actions,
        sum(case when is_recent then active_users else 0 end) as recent_user_days,
        {{ count_where('not is_recent') }} as baseline_active_days,
        sum(case when not is_recent then logins else 0 end) as baseline_logins,
        sum(case when not is_recent then sessions else 0 end) as baseline_sessions,
        sum(case when not is_recent then session_seconds else 0 end) as baseline_session_seconds,
        sum(case when not is_recent then valuable_actions else 0 end) as baseline_valuable_actions,
        sum(case when not is_recent then active_users else 0 end) as baseline_user_days
    from window_days
    group by customer_id, snapshot_date
),

recent_users as (
    -- Distinct users over the recent window, from the user-days.
    select
        snapshots.customer_id,
        snapshots.snapshot_date,
        cast(count(distinct user_day_snapshots.user_id) as {{ dbt.type_bigint() }}) as recent_active_users
    from snapshots
    inner join user_day_snapshots
        on
            snapshots.customer_id = user_day_snapshots.customer_id
            and snapshots.snapshot_date = user_day_snapshots.snapshot_date
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
        cast(coalesce(window_totals.recent_active_days, 0) as {{ dbt.type_bigint() }}) as recent_active_days,
        cast(coalesce(window_totals.recent_logins, 0) as {{ dbt.type_bigint() }}) as recent_logins,
        cast(coalesce(window_totals.recent_sessions, 0) as {{ dbt.type_bigint() }}) as recent_sessions,
        cast(coalesce(window_totals.recent_session_seconds, 0) as {{ type_double() }}) / 60
            as recent_session_minutes,
        cast(coalesce(window_totals.recent_valuable_actions, 0) as {{ dbt.type_bigint() }})
            as recent_valuable_actions,
        cast(coalesce(window_totals.recent_user_days, 0) as {{ dbt.type_bigint() }}) as recent_user_days,
        cast(coalesce(recent_users.recent_active_users, 0) as {{ dbt.type_bigint() }}) as recent_active_users,
        cast(coalesce(window_totals.baseline_active_days, 0) as {{ dbt.type_bigint() }}) as baseline_active_days,
        cast(coalesce(window_totals.baseline_logins, 0) as {{ dbt.type_bigint() }}) as baseline_logins,
        cast(coalesce(window_totals.baseline_sessions, 0) as {{ dbt.type_bigint() }}) as baseline_sessions,
        cast(coalesce(window_totals.baseline_session_seconds, 0) as {{ type_double() }}) / 60
            as baseline_session_minutes,
        cast(coalesce(window_totals.baseline_valuable_actions, 0) as {{ dbt.type_bigint() }})
            as baseline_valuable_actions,
        cast(coalesce(window_totals.baseline_user_days, 0) as {{ dbt.type_bigint() }}) as baseline_user_days
    from coverage
    left join window_totals
        on
            coverage.customer_id = window_totals.customer_id
            and coverage.snapshot_date = window_totals.snapshot_date
    left join recent_users
        on
            coverage.customer_id = recent_users.customer_id
            and coverage.snapshot_date = recent_users.snapshot_date
)

select * from final
