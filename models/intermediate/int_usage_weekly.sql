-- Product usage per customer per ISO week (weeks start on Monday), rolled up
-- from int_usage_daily (never from raw events). Only weeks with activity
-- appear; a missing week means no usage. active_users counts distinct users
-- over the week (from the daily user sets), user_days the daily ones summed.
with daily as (
    select * from {{ ref('int_usage_daily') }}
    where usage_date <= {{ as_of_date() }}
),

final as (
    select
        customer_id,
        cast({{ dbt.date_trunc('week', 'usage_date') }} as date) as week_start,
        cast(count(*) as {{ dbt.type_bigint() }}) as active_days,
        cast(sum(logins) as {{ dbt.type_bigint() }}) as logins,
        cast(sum(sessions) as {{ dbt.type_bigint() }}) as sessions,
        cast(sum(session_seconds) / 60 as {{ type_double() }}) as session_minutes,
        cast(sum(feature_uses) as {{ dbt.type_bigint() }}) as feature_uses,
        cast(sum(valuable_actions) as {{ dbt.type_bigint() }}) as valuable_actions,
        cast(sum(events) as {{ dbt.type_bigint() }}) as events,
        {{ distinct_set_union_count('active_user_ids') }} as active_users,
        cast(sum(active_users) as {{ dbt.type_bigint() }}) as user_days,
        min(usage_date) as first_active_date,
        max(usage_date) as last_active_date
    from daily
    group by
        customer_id,
        cast({{ dbt.date_trunc('week', 'usage_date') }} as date)
)

select * from final
