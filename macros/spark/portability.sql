{#-
    Spark (dbt-spark; also picked up by dbt-databricks, which falls back to
    spark__ macros) overrides of the adapter.dispatch macros in
    macros/portability.sql. Each one returns what the default returns on
    DuckDB: same values, same types, for the same inputs.

    Assumes the session time zone is UTC (spark.sql.session.timeZone, set in
    profiles.yml): Spark's `timestamp` is a local-time instant shown in the
    session zone, which must be UTC to read like DuckDB's naive-UTC values.
-#}


{#- try_cast, with the shape check of text_cast_shape (macros/portability.sql) for text. Also serves dbt.safe_cast
    (unit-test fixtures): complex types keep dbt-spark's plain cast. -#}
{% macro spark__safe_cast(expression, type) -%}
    {%- set lowered = type | string | lower | trim -%}
    {%- if lowered.startswith('struct') or lowered.startswith('array') or lowered.startswith('map') -%}
        {%- set value = expression.strip('"').strip("'") if expression is string else expression %}
    cast({{ value }} as {{ type }})
    {%- else -%}
        {%- set shape = text_cast_shape(type) -%}
        {%- if shape is none -%}
    try_cast({{ expression }} as {{ type }})
        {%- else -%}
    case
        when trim(cast({{ expression }} as string)) rlike '{{ shape }}'
            then try_cast(trim(cast({{ expression }} as string)) as {{ type }})
    end
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}


{#- ISO-8601 text to a UTC timestamp; naive text is UTC (session zone UTC),
    an offset or zone is converted. -#}
{% macro spark__safe_cast_timestamp_utc(expression) -%}
    {{ spark__safe_cast(expression, 'timestamp') }}
{%- endmacro %}


{#- Spark reads backslash escapes in string literals: escape both the
    backslash and the quote. -#}
{% macro spark__text_literal(value) -%}
    '{{ value | string | replace("\\", "\\\\") | replace("'", "\\'") }}'
{%- endmacro %}


{#- to_json drops null fields by default; keep them, as DuckDB does. -#}
{% macro spark__row_as_json(columns) -%}
    to_json(
        named_struct(
            {%- for column in columns %}
            '{{ column }}', cast({{ column }} as string){{ "," if not loop.last }}
            {%- endfor %}
        ),
        map('ignoreNullFields', 'false')
    )
{%- endmacro %}


{% macro spark__month_series(start_column, end_column, from_relation) -%}
    select explode(sequence(
        cast({{ start_column }} as date), cast({{ end_column }} as date), interval 1 month
    )) as month
    from {{ from_relation }}
{%- endmacro %}


{% macro spark__day_series(start_column, end_column, from_relation) -%}
    select explode(sequence(
        cast({{ start_column }} as date), cast({{ end_column }} as date), interval 1 day
    )) as date_day
    from {{ from_relation }}
{%- endmacro %}


{% macro spark__hide_row_count_bound() -%}
    {{ ' ' }}lateral view explode(array(1)) row_count_bound as row_count_bound_hidden
{%- endmacro %}


{% macro spark__last_non_null_before(expression, partition_by, order_by) -%}
    last({{ expression }}, true) over (
        partition by {{ partition_by }}
        order by {{ order_by }}
        rows between unbounded preceding and 1 preceding
    )
{%- endmacro %}


{#-
    Model contracts. dbt checks a contract by casting null to each YAML
    data_type on the engine and comparing the result with the model's
    columns. The marts declare standard SQL names (varchar, decimal(18,2),
    double, bigint, date, boolean); Spark parses all of them except an
    unsized varchar / text, which it calls string. Translating that one name
    here keeps a single YAML per mart and the contract enforced on both
    engines (a varchar column is compared with Spark's string column).
-#}
{% macro spark_contract_type(data_type) %}
    {%- set lowered = data_type | string | lower | trim -%}
    {%- if lowered in ('varchar', 'text', 'character varying', 'char varying') -%}
        {{ return('string') }}
    {%- endif -%}
    {{ return(data_type) }}
{% endmacro %}

{% macro spark__get_empty_schema_sql(columns) %}
    {%- set translated = {} -%}
    {%- for name in columns -%}
        {%- set column = {} -%}
        {%- do column.update(columns[name]) -%}
        {%- if column.get('data_type') is not none -%}
            {%- do column.update({'data_type': spark_contract_type(column['data_type'])}) -%}
        {%- endif -%}
        {%- do translated.update({name: column}) -%}
    {%- endfor -%}
    {{ return(default__get_empty_schema_sql(translated)) }}
{% endmacro %}
