-- Product usage per customer per calendar month, rolled up from
-- int_usage_daily (never from raw events); distinct users over the month
-- from stg_event_user_days. Only months with activity appear; a missing
-- month means no usage. user_days = the daily active users summed.
{{ usage_period_rollup('month', 'month') }}
