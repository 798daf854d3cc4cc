-- Hashes of the event_ids whose events base_events must check one by one:
-- ids that occur more than once in the landing events file. A full build
-- counts every id (reading the event_id column only). An incremental run
-- counts only the ids of the events it may re-process (from
-- events_lookback_from(), macros/usage/incremental_usage.sql, by the raw
-- text of occurred_at, without parsing it) against the
-- whole file, and keeps the ids already checked one by one (their copies
-- all lie in earlier runs' data). A hash collision only sends a few more
-- events down the per-row path.
-- depends_on: {{ ref('base_event_days') }}
{%- set lookback_from = events_lookback_from() %}

-- The landing file is read by subqueries, not by a shared CTE: DuckDB
-- materialises a CTE used twice, which for 100 million rows costs more
-- than reading the file twice.
with keys as (
    -- Rows without an event_id share one hash, so they are checked one by
    -- one too (they are quarantined as missing_required anyway).
    select {{ key_hash(clean_text('event_id')) }} as event_key_hash
    from {{ landing_relation('events') }}
),

-- Jinja between the CTEs confuses sqlfluff's indentation of this block.
-- noqa: disable=LT02
{%- if lookback_from is none %}

final as (
    {{ repeated_values('keys', 'event_key_hash') }}
)

{%- else %}

reprocessed_keys as (
    select distinct {{ key_hash(clean_text('event_id')) }} as event_key_hash
    from {{ landing_relation('events') }}
    where {{ event_time_text_may_reach('occurred_at', lookback_from) }}
),

repeated_in_file as (
    select keys.event_key_hash
    from keys
    inner join reprocessed_keys
        on keys.event_key_hash = reprocessed_keys.event_key_hash
    group by keys.event_key_hash
    having count(*) > 1
),

checked_before as (
    select distinct
        {{ key_hash(clean_text(json_text_field('_review_record', 'event_id'))) }} as event_key_hash
    from {{ stored_base_events() }}
    where row_kind = 'event'
),

final as (
    select event_key_hash from repeated_in_file
    union
    select event_key_hash from checked_before
)

{%- endif %}
-- noqa: enable=LT02

select * from final
