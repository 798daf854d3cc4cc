{{ config(
    materialized=usage_materialization(),
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook=["{{ create_incremental_batches() }}", "{{ delete_reprocessed_events() }}"]
) }}
-- The landing events folded in ONE pass (the events file is by far the
-- largest input, so it is read once, not typed row by row into a table):
--   row_kind = 'user_day': the clean events of one user of a customer on one
--     UTC day, counted and summed;
--   row_kind = 'event': one landing row that failed a check of the raw
--     contract (or names an unknown customer), or whose event_id occurs
--     more than once in the file, with its row number and raw values as
--     JSON. base_event_exceptions types and judges these like any other
--     landing table (exact copies, duplicate keys).
-- Incremental: see macros/usage/incremental_usage.sql.
{%- set spec = raw_contract()['events'] %}
{%- set checks = landing_problem_checks(spec, cleaned=true) %}
{%- set raw_columns = spec.columns | map(attribute='name') | list %}
-- depends_on: {{ ref('base_event_days') }}
{%- set reprocess_from = events_reprocess_from() %}

with landing as (
    select * from {{ landing_relation('events') }}
    {%- if reprocess_from is not none %}
    where {{ event_time_text_may_reach('occurred_at', reprocess_from) }}
    {%- endif %}
),

customers as (
    select customer_id from {{ ref('stg_customers') }}
),

repeated_keys as (
    select event_key_hash from {{ ref('base_event_repeated_keys') }}
),

cleaned as (
    -- Every value trimmed and missing-value tokens nulled once per row.
    select
        landing.*,
        {{ cleaned_text_columns(spec) }}
    from landing
),

parsed as (
    select
        cleaned.*,
        {%- for column in spec.columns if column.name in ('customer_id', 'user_id', 'event_name', 'occurred_at',
                                                          'duration_seconds', 'feature') %}
            {{ parse_text(column.name ~ '__text', column.type) }} as typed_{{ column.name }},
        {%- endfor %}
        {{ key_hash('event_id__text') }} as typed_event_key_hash,
        {{ first_problem(checks, 'code') }} is not null as has_problem
    from cleaned
),

in_window as (
    select * from parsed
    {%- if reprocess_from is not none %}
    where
        typed_occurred_at is null
        or typed_occurred_at >= cast('{{ reprocess_from }}' as timestamp)
    {%- endif %}
),

classified as (
    select
        in_window.*,
        case
            when
                in_window.has_problem
                or customers.customer_id is null
                or repeated_keys.event_key_hash is not null
                then in_window._raw_row_number
        end as review_row_number,
        case
            when in_window.typed_event_name = 'session'
                then cast(coalesce(in_window.typed_duration_seconds, 0) as decimal(18, 3))
            else 0
        end as session_seconds,
        {{ is_valuable_event('in_window.typed_event_name', 'in_window.typed_feature') }} as is_valuable
    from in_window
    left join customers
        on in_window.typed_customer_id = customers.customer_id
    left join repeated_keys
        on in_window.typed_event_key_hash = repeated_keys.event_key_hash
),

reviewed as (
    -- Rows to check one by one carry their raw values (JSON); their row
    -- number makes them one group each, and no per-row aggregates are kept
    -- for the folded groups.
    select
        *,
        case
            when review_row_number is not null
                then {{ row_as_json(raw_columns + ['_source_file', '_read_problem', '_raw_line']) }}
        end as review_record
    from classified
),

final as (
    select
        case when review_row_number is null then 'user_day' else 'event' end as row_kind,
        typed_customer_id as customer_id,
        cast(typed_occurred_at as date) as usage_date,
        typed_user_id as user_id,
        {{ count_where("typed_event_name = 'login'") }} as logins,
        {{ count_where("typed_event_name = 'session'") }} as sessions,
        cast(sum(session_seconds) as decimal(18, 3)) as session_seconds,
        {{ count_where("typed_event_name = 'feature_used'") }} as feature_uses,
        {{ count_where('is_valuable') }} as valuable_actions,
        cast(count(*) as {{ dbt.type_bigint() }}) as events,
        review_row_number as _raw_row_number,
        -- One row per group when review_row_number is set, else null: max()
        -- is that value, and grouping by the row number alone is about 15%
        -- faster than by its JSON text too.
        max(review_record) as _review_record,
        {{ run_started_literal() }} as _loaded_at,
        cast('{{ reprocess_from or "1900-01-01" }}' as date) as _reprocessed_from
    from reviewed
    group by
        typed_customer_id,
        cast(typed_occurred_at as date),
        typed_user_id,
        review_row_number
)

select * from final
