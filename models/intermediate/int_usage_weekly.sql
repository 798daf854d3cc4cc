-- Product usage per customer per ISO week (weeks start on Monday), rolled up
-- from int_usage_daily (never from raw events); distinct users over the
-- week from stg_event_user_days. Only weeks with activity appear; a missing
-- week means no usage. user_days = the daily active users summed.
{{ usage_period_rollup('week', 'week_start') }}
