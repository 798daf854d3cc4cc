{{ config(
    materialized='incremental',
    unique_key=['customer_id', 'usage_date'],
    incremental_strategy=usage_incremental_strategy(),
    on_schema_change='fail',
    pre_hook="{% if is_incremental() %}delete from {{ this }} where usage_date > {{ as_of_date() }}{% endif %}"
) }}
-- Product usage per customer per UTC day with any event, through as_of_date.
-- Incremental: a run re-aggregates only the days from usage_lookback_days
-- before the newest stored day onwards (late events land in that window) and
-- replaces those customer-days, so a new day of events costs a day of work.
-- Days after as_of_date are removed first (the pre-hook), so a run with an
-- earlier as_of_date gives the same table as a full refresh. Changing
-- valuable_events, or events arriving later than the lookback, needs a
-- --full-refresh.
{%- set lookback_days = var('usage_lookback_days') | int %}
{#- The first day re-aggregated: the lookback before the newest stored day. -#}
{%- set reprocess_from = dbt.dateadd(
    'day', -1 * lookback_days, "coalesce(max(usage_date), cast('1900-01-01' as date))"
) %}

with events as (
    select * from {{ ref('stg_events') }}
    where occurred_at < {{ dbt.dateadd('day', 1, as_of_date()) }}
    {% if is_incremental() %}
        and occurred_at >= (select cast({{ reprocess_from }} as timestamp) from {{ this }})
    {% endif %}
),

classified as (
    select
        customer_id,
        user_id,
        event_name,
        cast(occurred_at as date) as usage_date,
        case
            when event_name = 'session' then cast(coalesce(duration_seconds, 0) as decimal(18, 3))
            else 0
        end as session_seconds,
        {{ is_valuable_event('event_name', 'feature') }} as is_valuable
    from events
),

final as (
    -- Sums are exact (integers and decimals), so a re-aggregated day is
    -- identical to the stored one.
    select
        customer_id,
        usage_date,
        {{ count_where("event_name = 'login'") }} as logins,
        {{ count_where("event_name = 'session'") }} as sessions,
        cast(sum(session_seconds) as decimal(18, 3)) as session_seconds,
        cast(sum(session_seconds) / 60 as {{ type_double() }}) as session_minutes,
        {{ count_where("event_name = 'feature_used'") }} as feature_uses,
        {{ count_where('is_valuable') }} as valuable_actions,
        cast(count(*) as {{ dbt.type_bigint() }}) as events,
        cast(count(distinct user_id) as {{ dbt.type_bigint() }}) as active_users,
        {{ distinct_set_agg('user_id') }} as active_user_ids
    from classified
    group by customer_id, usage_date
)

select * from final
