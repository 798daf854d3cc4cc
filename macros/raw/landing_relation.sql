{#-
    landing_relation(table_name): a subquery over the landing file
    <raw_data_dir>/<table_name>.csv or .parquet holding, for every column of
    the raw contract, the raw value (missing optional columns as null) plus
    `_raw_row_number` (1-based position in the file) and `_source_file`.
    Extra columns in the file are ignored. A missing required table or
    required column stops the build with one clear line.
-#}
{% macro landing_relation(table_name) %}
    {{ return(adapter.dispatch('landing_relation', 'subscription_metrics')(table_name)) }}
{% endmacro %}


{% macro raw_data_dir() %}
    {%- set dir = var('raw_data_dir') | string -%}
    {{ return(dir.rstrip('/')) }}
{% endmacro %}


{#- The columns a landing file has, lower-cased, as a list; [] when no file. -#}
{% macro duckdb__landing_file(table_name) %}
    {%- set dir = raw_data_dir() -%}
    {%- set found = run_query(
        "select file from glob('" ~ dir ~ "/" ~ table_name ~ ".csv') "
        ~ "union all select file from glob('" ~ dir ~ "/" ~ table_name ~ ".parquet') "
        ~ "order by file"
    ) -%}
    {%- set files = found.columns[0].values() | list -%}
    {%- if files | length > 1 -%}
        {{ exceptions.raise_compiler_error(
            "Landing data: both " ~ table_name ~ ".csv and " ~ table_name
            ~ ".parquet exist in " ~ dir ~ "; keep one of them.") }}
    {%- endif -%}
    {{ return(files[0] if files else none) }}
{% endmacro %}


{% macro duckdb__landing_reader(path) %}
    {%- if path.endswith('.parquet') -%}
        read_parquet('{{ path }}')
    {%- else -%}
        read_csv('{{ path }}', header = true, all_varchar = true, auto_detect = true)
    {%- endif -%}
{% endmacro %}


{% macro duckdb__landing_relation(table_name) %}
    {%- set spec = raw_contract()[table_name] -%}
    {%- if not execute -%}
        {#- Parsing: no files are read. -#}
        {{ return(empty_landing_relation(spec)) }}
    {%- endif -%}
    {%- set path = duckdb__landing_file(table_name) -%}
    {%- if path is none -%}
        {%- if spec.optional -%}
            {{ return(empty_landing_relation(spec)) }}
        {%- endif -%}
        {{ exceptions.raise_compiler_error(
            "Landing data: required file " ~ table_name ~ ".csv (or .parquet) not found in "
            ~ raw_data_dir() ~ " (set the dbt var raw_data_dir, or generate demo data with "
            ~ "`python scripts/generate_data.py --scale demo`).") }}
    {%- endif -%}
    {%- set described = run_query("describe select * from " ~ duckdb__landing_reader(path)) -%}
    {%- set file_columns = {} -%}
    {%- for name in described.columns[0].values() -%}
        {%- do file_columns.update({(name | trim | lower): name}) -%}
    {%- endfor -%}
    {%- set selects = [] -%}
    {%- for column in spec.columns -%}
        {%- if column.name in file_columns -%}
            {%- do selects.append('"' ~ file_columns[column.name] ~ '" as ' ~ column.name) -%}
        {%- elif column.required -%}
            {{ exceptions.raise_compiler_error(
                "Landing data: " ~ path ~ " has no column '" ~ column.name
                ~ "', which the raw contract requires (found: "
                ~ (file_columns.keys() | list | join(', ')) ~ ").") }}
        {%- else -%}
            {%- do selects.append('cast(null as varchar) as ' ~ column.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set sql -%}
        (
            select
                {{ selects | join(',\n                ') }},
                row_number() over () as _raw_row_number,
                '{{ path }}' as _source_file
            from {{ duckdb__landing_reader(path) }}
        )
    {%- endset -%}
    {{ return(sql) }}
{% endmacro %}


{% macro empty_landing_relation(spec) %}
    {%- set sql -%}
        (
            select
                {%- for column in spec.columns %}
                cast(null as {{ dbt.type_string() }}) as {{ column.name }},
                {%- endfor %}
                cast(null as {{ dbt.type_bigint() }}) as _raw_row_number,
                cast(null as {{ dbt.type_string() }}) as _source_file
            where 1 = 0
        )
    {%- endset -%}
    {{ return(sql) }}
{% endmacro %}
