{{ config(
    materialized=usage_materialization(),
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook=usage_reader_pre_hooks("delete_reprocessed_rows(usage_reprocess_from())")
) }}
-- Product usage per customer per UTC day with any event (all days in the
-- landing data; readers keep the days through as_of_date). Incremental: a
-- run re-aggregates the days base_events re-processed in its batches since
-- the one this model last read (usage_reprocess_from,
-- macros/usage/incremental_usage.sql), so a new day of events costs a day
-- of work and the table equals a full refresh.
-- depends_on: {{ ref('base_events') }}
{%- set reprocess_from = usage_reprocess_from() %}

with user_days as (
    select * from {{ ref('stg_event_user_days') }}
    {%- if reprocess_from is not none %}
    where usage_date >= cast('{{ reprocess_from }}' as date)
    {%- endif %}
),

checked_days as (
    -- The customer-days with an event base_events checked one by one: only
    -- there can a user have two rows (a folded one and a checked event).
    select distinct
        customer_id,
        usage_date
    from {{ ref('base_event_exceptions') }}
    where
        quarantine_reason_code is null
        and usage_date >= cast('{{ reprocess_from or "1900-01-01" }}' as date)
),

day_totals as (
    -- Sums are exact (integers and decimals), so a re-aggregated day is
    -- identical to the stored one. Counting user rows is exact except on a
    -- checked day (a distinct count over 30 million user-days costs five
    -- times a plain count).
    select
        customer_id,
        usage_date,
        cast(sum(logins) as {{ dbt.type_bigint() }}) as logins,
        cast(sum(sessions) as {{ dbt.type_bigint() }}) as sessions,
        cast(sum(session_seconds) as decimal(18, 3)) as session_seconds,
        cast(sum(feature_uses) as {{ dbt.type_bigint() }}) as feature_uses,
        cast(sum(valuable_actions) as {{ dbt.type_bigint() }}) as valuable_actions,
        cast(sum(events) as {{ dbt.type_bigint() }}) as events,
        count(user_id) as user_rows
    from user_days
    group by customer_id, usage_date
),

checked_day_users as (
    -- Reads the user-days again rather than sharing the CTE above: DuckDB
    -- materialises a CTE used twice (30 million rows).
    select
        user_days.customer_id,
        user_days.usage_date,
        count(distinct user_days.user_id) as active_users
    from {{ ref('stg_event_user_days') }} as user_days
    inner join checked_days
        on
            user_days.customer_id = checked_days.customer_id
            and user_days.usage_date = checked_days.usage_date
    group by user_days.customer_id, user_days.usage_date
),

final as (
    select
        day_totals.customer_id,
        day_totals.usage_date,
        day_totals.logins,
        day_totals.sessions,
        day_totals.session_seconds,
        cast(day_totals.session_seconds as {{ type_double() }}) / 60 as session_minutes,
        day_totals.feature_uses,
        day_totals.valuable_actions,
        day_totals.events,
        cast(coalesce(checked_day_users.active_users, day_totals.user_rows) as {{ dbt.type_bigint() }})
            as active_users
    from day_totals
    left join checked_day_users
        on
            day_totals.customer_id = checked_day_users.customer_id
            and day_totals.usage_date = checked_day_users.usage_date
)

select * from final
