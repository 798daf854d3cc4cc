{{ config(pre_hook="{{ landing_file_check('events') }}") }}
-- depends_on: {{ ref('landing_files') }}
-- Clean product usage per customer, user and UTC day: the folded rows of
-- base_events plus the clean events it checked one by one. A user-day can
-- have two rows (a folded one and a checked event of the same day): sum
-- them; count distinct user_id for active users.
{%- set columns = ['customer_id', 'usage_date', 'user_id', 'logins', 'sessions', 'session_seconds',
                   'feature_uses', 'valuable_actions', 'events'] %}

with folded as (
    select {{ columns | join(', ') }}
    from {{ ref('base_events') }}
    where row_kind = 'user_day'
),

checked as (
    select {{ columns | join(', ') }}
    from {{ ref('base_event_exceptions') }}
    where quarantine_reason_code is null
),

final as (
    select * from folded
    union all
    select * from checked
)

select * from final
