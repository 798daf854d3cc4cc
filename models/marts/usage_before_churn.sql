-- Usage in the weeks before churn (docs/definitions.md): the average weekly usage of
-- churned customers lined up on the day their MRR stopped, next to retained
-- and new customers lined up on one fixed reference day (see
-- int_hidden_churn_reference_dates). Week -k = the 7 days from
-- reference - 7k to reference - 7k + 6. A customer counts in a week only when
-- it had a subscription (a trial included) for that whole week; a week
-- without events counts as zero usage. Built from the daily usage rollup.
{%- set weeks = var('usage_before_churn_weeks') | int %}
{%- set days_before = dbt.datediff('daily.usage_date', 'aligned_customers.reference_date', 'day') %}
{%- set days_before_user_day = dbt.datediff('user_days.usage_date', 'aligned_customers.reference_date', 'day') %}

with aligned_customers as (
    select * from {{ ref('int_hidden_churn_reference_dates') }}
),

daily as (
    select * from {{ ref('int_usage_daily') }}
    where usage_date <= {{ as_of_date() }}
),

week_numbers as (
    {{ integer_rows('week_number', 1, weeks) }}
),

aligned_days as (
    select
        aligned_customers.customer_id,
        aligned_customers.cohort,
        aligned_customers.reference_date,
        -- 1 to 7 days before the reference day is week 1, 8 to 14 week 2, ...
        cast(floor(({{ days_before }} + 6) / 7.0) as integer) as week_number,
        daily.logins,
        daily.sessions,
        daily.session_seconds,
        daily.valuable_actions
    from aligned_customers
    inner join daily
        on
            aligned_customers.customer_id = daily.customer_id
            and aligned_customers.reference_date > daily.usage_date
            and {{ dbt.dateadd('day', -7 * weeks, 'aligned_customers.reference_date') }} <= daily.usage_date
),

customer_weeks as (
    select
        customer_id,
        cohort,
        reference_date,
        week_number,
        cast(count(*) as {{ dbt.type_bigint() }}) as active_days,
        sum(logins) as logins,
        sum(sessions) as sessions,
        cast(sum(session_seconds) as {{ type_double() }}) / 60 as session_minutes,
        sum(valuable_actions) as valuable_actions
    from aligned_days
    group by customer_id, cohort, reference_date, week_number
),

week_users as (
    -- Distinct users of each customer-week, from the user-days.
    select
        aligned_customers.customer_id,
        aligned_customers.reference_date,
        cast(floor(({{ days_before_user_day }} + 6) / 7.0) as integer) as week_number,
        cast(count(distinct user_days.user_id) as {{ dbt.type_bigint() }}) as active_users
    from aligned_customers
    inner join {{ ref('stg_event_user_days') }} as user_days
        on
            aligned_customers.customer_id = user_days.customer_id
            and aligned_customers.reference_date > user_days.usage_date
            and {{ dbt.dateadd('day', -7 * weeks, 'aligned_customers.reference_date') }} <= user_days.usage_date
            and user_days.usage_date <= {{ as_of_date() }}
    group by
        aligned_customers.customer_id,
        aligned_customers.reference_date,
        cast(floor(({{ days_before_user_day }} + 6) / 7.0) as integer)
),

grid as (
    -- Every customer and week it existed for, usage or not.
    select
        aligned_customers.customer_id,
        aligned_customers.cohort,
        aligned_customers.reference_date,
        week_numbers.week_number
    from aligned_customers
    cross join week_numbers
    where
        {{ dbt.dateadd('day', '-7 * week_numbers.week_number', 'aligned_customers.reference_date') }}
        >= aligned_customers.history_start_date
),

filled as (
    select
        grid.cohort,
        grid.week_number,
        coalesce(customer_weeks.active_days, 0) as active_days,
        coalesce(customer_weeks.logins, 0) as logins,
        coalesce(customer_weeks.sessions, 0) as sessions,
        coalesce(customer_weeks.session_minutes, 0) as session_minutes,
        coalesce(customer_weeks.valuable_actions, 0) as valuable_actions,
        coalesce(week_users.active_users, 0) as active_users
    from grid
    left join customer_weeks
        on
            grid.customer_id = customer_weeks.customer_id
            and grid.reference_date = customer_weeks.reference_date
            and grid.cohort = customer_weeks.cohort
            and grid.week_number = customer_weeks.week_number
    left join week_users
        on
            grid.customer_id = week_users.customer_id
            and grid.reference_date = week_users.reference_date
            and grid.week_number = week_users.week_number
),

final as (
    select
        cohort,
        cast(-1 * week_number as integer) as relative_week,
        cast(count(*) as {{ dbt.type_bigint() }}) as customers,
        cast(avg(cast(active_days as {{ type_double() }})) as {{ type_double() }}) as avg_active_days,
        cast(avg(cast(logins as {{ type_double() }})) as {{ type_double() }}) as avg_logins,
        cast(avg(cast(sessions as {{ type_double() }})) as {{ type_double() }}) as avg_sessions,
        cast(avg(cast(session_minutes as {{ type_double() }})) as {{ type_double() }}) as avg_session_minutes,
        cast(avg(cast(valuable_actions as {{ type_double() }})) as {{ type_double() }}) as avg_valuable_actions,
        cast(avg(cast(active_users as {{ type_double() }})) as {{ type_double() }}) as avg_active_users,
        avg(cast(case when active_days > 0 then 1 else 0 end as {{ type_double() }})) as share_active
    from filled
    group by cohort, week_number
)

select * from final
