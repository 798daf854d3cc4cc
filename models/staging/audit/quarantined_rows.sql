-- Every landing row that did not pass the raw contract, with the reason.
-- Exact copies of an earlier row are listed too (reason exact_duplicate):
-- nothing from the landing files is lost without a trace. Events are read
-- from base_event_exceptions (base_events keeps only the rows that need a
-- verdict one by one). The tables are those of the source system
-- (landing_tables(): the contract files, or the Stripe objects).
{%- set tables = landing_tables() %}

with
{%- for table in tables %}
    {{ table.table }} as (
        select
            '{{ table.table }}' as source_table,
            _source_file as source_file,
            _raw_row_number as raw_row_number,
            quarantine_reason_code,
            quarantine_reason,
            _raw_record as raw_record
        from {{ ref(table.base) }}
        where quarantine_reason_code is not null
    ),
{%- endfor %}

final as (
    {%- for table in tables %}
        select * from {{ table.table }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
)

select * from final
