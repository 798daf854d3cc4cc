-- Landing event rows per UTC day of occurred_at, and the rows whose time
-- is missing or does not parse as one row with a null day. An incremental run
-- compares these counts with what base_events holds per day and
-- re-processes from the first day that differs: events that arrived later
-- than the lookback, or a new copy of an old event, are never missed. Only
-- an incremental run needs it: a full build leaves it empty (no extra pass).
{%- set needed = stored_base_events() is not none %}

with landing as (
    select * from {{ landing_relation('events') }}
),

times as (
    select {{ safe_cast_timestamp_utc(clean_text('occurred_at')) }} as parsed_at
    from landing
    where {{ 'true' if needed else 'false' }}
),

days as (
    -- The same bounds as the typed occurred_at of base_events.
    select
        cast({{ in_range('parsed_at', "cast('1900-01-01' as timestamp)",
                         "cast('9999-12-31 23:59:59.999999' as timestamp)", true) }} as date) as usage_date
    from times
),

final as (
    select
        usage_date,
        cast(count(*) as {{ dbt.type_bigint() }}) as landing_rows
    from days
    group by usage_date
)

select * from final
