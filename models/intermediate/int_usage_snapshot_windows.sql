{{ config(
    materialized=usage_materialization(),
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook=usage_reader_pre_hooks("delete_snapshot_windows()")
) }}
-- Usage of every customer with activity in the two windows that end on a
-- snapshot day (each month's evaluation day in int_months: its last day, or
-- as_of_date): recent = the hidden_churn_recent_window_days days through
-- the snapshot day; baseline = the hidden_churn_baseline_window_days days
-- before those. The heavy part of int_hidden_churn_usage_windows, kept
-- incremental: a run computes only the snapshot days from
-- snapshot_windows_reprocess_from() on (those whose windows hold a day
-- int_usage_daily re-aggregated, and new snapshot days such as a new
-- as_of_date), after its pre-hook deleted them and the snapshot days that
-- left the spine.
-- depends_on: {{ ref('base_events') }} (runs after its batch: usage_reprocess_from)
{%- set recent_days = var('hidden_churn_recent_window_days') | int %}
{%- set window_days = recent_days + (var('hidden_churn_baseline_window_days') | int) %}
{%- set reprocess_from = snapshot_windows_reprocess_from() %}

with snapshot_months as (
    select
        month,
        evaluated_on
    from {{ ref('int_months') }}
    {%- if reprocess_from is not none %}
    where evaluated_on >= cast('{{ reprocess_from }}' as date)
    {%- endif %}
),

daily as (
    select * from {{ ref('int_usage_daily') }}
    {%- if reprocess_from is not none %}
    where usage_date > {{ dbt.dateadd('day', -1 * window_days, "cast('" ~ reprocess_from ~ "' as date)") }}
    {%- endif %}
),

user_days as (
    select * from {{ ref('stg_event_user_days') }}
    {%- if reprocess_from is not none %}
    where usage_date > {{ dbt.dateadd('day', -1 * recent_days, "cast('" ~ reprocess_from ~ "' as date)") }}
    {%- endif %}
),

daily_snapshots as (
    {{ with_snapshot_days('daily', ['customer_id', 'usage_date', 'logins', 'sessions', 'session_seconds',
                                    'valuable_actions', 'active_users'], window_days, 'snapshot_months') }}
),

user_day_snapshots as (
    {{ with_snapshot_days('user_days', ['customer_id', 'usage_date', 'user_id'], recent_days, 'snapshot_months') }}
),

window_days as (
    select
        customer_id,
        snapshot_date,
        usage_date > {{ dbt.dateadd('day', -1 * recent_days, 'snapshot_date') }} as is_recent,
        logins,
        sessions,
        session_seconds,
        valuable_actions,
        active_users
    from daily_snapshots
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
        customer_id,
        snapshot_date,
        count(distinct user_id) as recent_active_users
    from user_day_snapshots
    group by customer_id, snapshot_date
),

final as (
    -- A customer with users in the recent window has days in it: every
    -- key of recent_users is one of window_totals.
    select
        window_totals.customer_id,
        window_totals.snapshot_date,
        cast(window_totals.recent_active_days as {{ dbt.type_bigint() }}) as recent_active_days,
        cast(window_totals.recent_logins as {{ dbt.type_bigint() }}) as recent_logins,
        cast(window_totals.recent_sessions as {{ dbt.type_bigint() }}) as recent_sessions,
        cast(window_totals.recent_session_seconds as decimal(18, 3)) as recent_session_seconds,
        cast(window_totals.recent_valuable_actions as {{ dbt.type_bigint() }}) as recent_valuable_actions,
        cast(window_totals.recent_user_days as {{ dbt.type_bigint() }}) as recent_user_days,
        cast(coalesce(recent_users.recent_active_users, 0) as {{ dbt.type_bigint() }}) as recent_active_users,
        cast(window_totals.baseline_active_days as {{ dbt.type_bigint() }}) as baseline_active_days,
        cast(window_totals.baseline_logins as {{ dbt.type_bigint() }}) as baseline_logins,
        cast(window_totals.baseline_sessions as {{ dbt.type_bigint() }}) as baseline_sessions,
        cast(window_totals.baseline_session_seconds as decimal(18, 3)) as baseline_session_seconds,
        cast(window_totals.baseline_valuable_actions as {{ dbt.type_bigint() }}) as baseline_valuable_actions,
        cast(window_totals.baseline_user_days as {{ dbt.type_bigint() }}) as baseline_user_days
    from window_totals
    left join recent_users
        on
            window_totals.customer_id = recent_users.customer_id
            and window_totals.snapshot_date = recent_users.snapshot_date
)

select * from final
