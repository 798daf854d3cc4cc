-- One row per landing table: the file read, its format and encoding, and
-- its number of data records counted independently of the reader that
-- reads the values (CSV: one scan of the file's lines by the record rule
-- of macros/raw/landing_records.sql; Parquet: the row count in the file's
-- metadata). The tables are those of the source system (landing_tables():
-- the contract files, or the Stripe objects, docs/stripe.md). The stg_ models check the rows read against this count
-- (landing_file_check) before anything is built from them.
{%- set tables = landing_tables() | map(attribute='table') | list %}

with
{%- for table in tables %}
    {%- set found = landing_read(table) %}
    {{ table }} as (
        select
            '{{ table }}' as source_table,
            {{ landing_literal(found.file) if found.file else 'cast(null as ' ~ dbt.type_string() ~ ')' }}
                as source_file,
            {{ landing_literal(found.format) if found.format else 'cast(null as ' ~ dbt.type_string() ~ ')' }}
                as file_format,
            {{ landing_literal(found.encoding) if found.encoding else 'cast(null as ' ~ dbt.type_string() ~ ')' }}
                as file_encoding,
            cast({{ found.records }} as {{ dbt.type_bigint() }}) as file_records
    ),
{%- endfor %}

final as (
    {%- for table in tables %}
        select * from {{ table }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
)

select * from final
