{#-
    usage_period_rollup(period, period_column): product usage per customer
    per calendar `period` ('week': ISO weeks starting Monday; 'month'),
    through as_of_date, as column `period_column`: sums from int_usage_daily,
    active_users = distinct users over the period (from stg_event_user_days),
    user_days = the daily active users summed. Only periods with activity.
    Incremental where int_usage_daily is: a run re-aggregates only the
    periods from period_rollup_reprocess_from() on (a new day: its week or
    month), after its pre-hook deleted them.
-#}
{% macro usage_period_rollup(period, period_column) %}
    {{- config(
        materialized=usage_materialization(),
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook=usage_reader_pre_hooks("delete_reprocessed_rows(period_rollup_reprocess_from('" ~ period
                                        ~ "'), day_column='" ~ period_column ~ "')")
    ) }}
    {%- set period_start = 'cast(' ~ dbt.date_trunc(period, 'usage_date') ~ ' as date)' -%}
    {%- set reprocess_from = period_rollup_reprocess_from(period) -%}
    {%- set days = 'usage_date <= ' ~ as_of_date() -%}
    {%- if reprocess_from is not none -%}
        {%- set days = days ~ " and usage_date >= cast('" ~ reprocess_from ~ "' as date)" -%}
    {%- endif %}
-- depends_on: {{ ref('base_events') }} (runs after its batch: usage_reprocess_from)
with daily as (
    select * from {{ ref('int_usage_daily') }}
    where {{ days }}
),

period_users as (
    select
        customer_id,
        {{ period_start }} as period_start,
        cast(count(distinct user_id) as {{ dbt.type_bigint() }}) as active_users
    from {{ ref('stg_event_user_days') }}
    where {{ days }}
    group by customer_id, {{ period_start }}
),

period_totals as (
    select
        customer_id,
        {{ period_start }} as period_start,
        cast(count(*) as {{ dbt.type_bigint() }}) as active_days,
        cast(sum(logins) as {{ dbt.type_bigint() }}) as logins,
        cast(sum(sessions) as {{ dbt.type_bigint() }}) as sessions,
        cast(sum(session_seconds) as {{ type_double() }}) / 60 as session_minutes,
        cast(sum(feature_uses) as {{ dbt.type_bigint() }}) as feature_uses,
        cast(sum(valuable_actions) as {{ dbt.type_bigint() }}) as valuable_actions,
        cast(sum(events) as {{ dbt.type_bigint() }}) as events,
        cast(sum(active_users) as {{ dbt.type_bigint() }}) as user_days,
        min(usage_date) as first_active_date,
        max(usage_date) as last_active_date
    from daily
    group by customer_id, {{ period_start }}
),

final as (
    select
        period_totals.customer_id,
        period_totals.period_start as {{ period_column }},
        period_totals.active_days,
        period_totals.logins,
        period_totals.sessions,
        period_totals.session_minutes,
        period_totals.feature_uses,
        period_totals.valuable_actions,
        period_totals.events,
        cast(coalesce(period_users.active_users, 0) as {{ dbt.type_bigint() }}) as active_users,
        period_totals.user_days,
        period_totals.first_active_date,
        period_totals.last_active_date
    from period_totals
    left join period_users
        on
            period_totals.customer_id = period_users.customer_id
            and period_totals.period_start = period_users.period_start
)

select * from final
{% endmacro %}
