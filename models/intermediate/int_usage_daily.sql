{{ config(
    materialized=usage_materialization(),
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_reprocessed_rows(usage_reprocess_from()) }}"
) }}
-- Product usage per customer per UTC day with any event (all days in the
-- landing data; readers keep the days through as_of_date). Incremental: a
-- run re-aggregates the days from where base_events re-processed events
-- in its newest run (macros/usage/incremental_usage.sql), so a new day of
-- events costs a day of work and the table equals a full refresh.
-- depends_on: {{ ref('base_events') }}
{%- set reprocess_from = usage_reprocess_from() %}

with user_days as (
    select * from {{ ref('stg_event_user_days') }}
    {%- if reprocess_from is not none %}
    where usage_date >= cast('{{ reprocess_from }}' as date)
    {%- endif %}
),

final as (
    -- Sums are exact (integers and decimals), so a re-aggregated day is
    -- identical to the stored one.
    select
        customer_id,
        usage_date,
        cast(sum(logins) as {{ dbt.type_bigint() }}) as logins,
        cast(sum(sessions) as {{ dbt.type_bigint() }}) as sessions,
        cast(sum(session_seconds) as decimal(18, 3)) as session_seconds,
        cast(sum(session_seconds) as {{ type_double() }}) / 60 as session_minutes,
        cast(sum(feature_uses) as {{ dbt.type_bigint() }}) as feature_uses,
        cast(sum(valuable_actions) as {{ dbt.type_bigint() }}) as valuable_actions,
        cast(sum(events) as {{ dbt.type_bigint() }}) as events,
        cast(count(distinct user_id) as {{ dbt.type_bigint() }}) as active_users
    from user_days
    group by customer_id, usage_date
)

select * from final
