-- The landing events base_events kept one by one (a failed check, an
-- unknown customer, or an event_id that occurs more than once in the file),
-- typed and judged exactly like the rows of every other landing table: the
-- row's own problem first, then being an exact copy of an earlier row, then
-- an unknown customer, then a key shared with different values (every
-- copy). Rows without a reason are clean events (e.g. the first of exact
-- copies); stg_event_user_days counts them.
{%- set spec = raw_contract()['events'] %}

with reviewed as (
    select * from {{ ref('base_events') }}
    where row_kind = 'event'
),

landing as (
    -- The raw values back from base_events' JSON, as the landing reader
    -- gives them.
    select
        {%- for column in spec.columns %}
            {{ json_text_field('_review_record', column.name) }} as {{ column.name }},
        {%- endfor %}
        _raw_row_number,
        {{ json_text_field('_review_record', '_source_file') }} as _source_file,
        {{ json_text_field('_review_record', '_read_problem') }} as _read_problem,
        {{ json_text_field('_review_record', '_raw_line') }} as _raw_line
    from reviewed
),

parsed as (
    {{ parse_landing_columns('events', 'landing') }}
),

customers as (
    select customer_id from {{ ref('stg_customers') }}
),

classified as (
    select
        parsed.*,
        {{ quarantine_classification([
            ('customers.customer_id is null', 'unknown_customer',
             dbt.concat(["'customer_id not in customers: '", 'parsed.customer_id'])),
        ]) }}
    from parsed
    left join customers
        on parsed.customer_id = customers.customer_id
),

flagged as (
    {{ flag_duplicate_keys('classified', ['event_id']) }}
),

final as (
    select
        flagged._raw_row_number,
        flagged._source_file,
        flagged._raw_record,
        flagged.event_id,
        flagged.customer_id,
        flagged.user_id,
        flagged.event_name,
        flagged.occurred_at,
        cast(flagged.occurred_at as date) as usage_date,
        flagged.duration_seconds,
        flagged.feature,
        reviewed.logins,
        reviewed.sessions,
        reviewed.session_seconds,
        reviewed.feature_uses,
        reviewed.valuable_actions,
        reviewed.events,
        flagged.quarantine_reason_code,
        flagged.quarantine_reason
    from flagged
    inner join reviewed
        on flagged._raw_row_number = reviewed._raw_row_number
)

select * from final
