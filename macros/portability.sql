{#-
    Engine differences live here, behind adapter.dispatch: a default
    implementation (DuckDB and most engines) and overrides per adapter.
-#}

{#- try_cast: null instead of an error when the value does not convert. -#}
{% macro safe_cast(expression, type) %}
    {{ return(adapter.dispatch('safe_cast', 'subscription_metrics')(expression, type)) }}
{% endmacro %}

{% macro default__safe_cast(expression, type) -%}
    try_cast({{ expression }} as {{ type }})
{%- endmacro %}

{#- DuckDB reads a date from the first characters it recognises and ignores
    the rest ('2026-01-01x' and '2026/01/01' are 2026-01-01): a date text
    must have the ISO shape first (text_cast_shape), as on Spark. -#}
{% macro duckdb__safe_cast(expression, type) -%}
    {%- if (type | string | lower | trim) == 'date' -%}
    case
        when regexp_matches(trim(cast({{ expression }} as varchar)), '{{ text_cast_shape(type) }}')
            then try_cast(trim(cast({{ expression }} as varchar)) as date)
    end
    {%- else -%}
    try_cast({{ expression }} as {{ type }})
    {%- endif -%}
{%- endmacro %}


{#- Text shapes a value must have before it may be cast. Spark's cast is
    more lenient than DuckDB's try_cast for numbers (it reads '2025' as
    2025-01-01, '2025-11' as a date, '12d' as a double) and both engines read
    a date from its first characters ('2026-01-01x'); requiring the ISO /
    plain decimal shape first makes the same landing values unparseable on
    both engines, so they are quarantined alike. None: no shape check. -#}
{% macro text_cast_shape(type) %}
    {%- set base = (type | string | lower | trim).split('(')[0] | trim -%}
    {%- if base in ('date', 'timestamp', 'timestamp_ltz', 'timestamp_ntz') -%}
        {{ return('^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([T ][0-9]{1,2}:[0-9]{2}.*)?$') }}
    {%- elif base in ('decimal', 'numeric', 'double', 'float', 'real', 'bigint', 'int', 'integer',
                      'smallint', 'tinyint') -%}
        {{ return('^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$') }}
    {%- endif -%}
    {{ return(none) }}
{% endmacro %}


{#- ISO-8601 text to a UTC timestamp without time zone; naive text is UTC. -#}
{% macro safe_cast_timestamp_utc(expression) %}
    {{ return(adapter.dispatch('safe_cast_timestamp_utc', 'subscription_metrics')(expression)) }}
{% endmacro %}

{% macro default__safe_cast_timestamp_utc(expression) -%}
    cast(try_cast({{ expression }} as timestamptz) as timestamp)
{%- endmacro %}

{#- DuckDB: text without a numeric UTC offset (no '+', no '-' after the date
    part) is cast as a plain timestamp (naive text is UTC; a 'Z' or 'UTC'
    suffix is accepted and means the same), the rest through TIMESTAMPTZ
    (offsets, named zones). Same values as the TIMESTAMPTZ cast row by row,
    but (a) about twice as fast on the events file (no ICU calendar for the
    common case) and (b) immune to a DuckDB 1.4 bug: after a row with a
    named zone ('… EST'), TIMESTAMPTZ casts later naive rows of the same
    vector in that zone instead of the session's UTC. The plain cast
    ignores a numeric offset, hence the guard. -#}
{% macro duckdb__safe_cast_timestamp_utc(expression) -%}
    case
        when strpos({{ expression }}, '+') = 0 and strpos(substr({{ expression }}, 11), '-') = 0
            then coalesce(
                try_cast({{ expression }} as timestamp),
                cast(try_cast({{ expression }} as timestamptz) as timestamp)
            )
        else cast(try_cast({{ expression }} as timestamptz) as timestamp)
    end
{%- endmacro %}


{#- A row's raw values as one JSON text, to keep quarantined rows readable. -#}
{% macro row_as_json(columns) %}
    {{ return(adapter.dispatch('row_as_json', 'subscription_metrics')(columns)) }}
{% endmacro %}

{% macro default__row_as_json(columns) -%}
    cast(to_json(struct_pack(
        {%- for column in columns %}
        {{ column }} := cast({{ column }} as {{ dbt.type_string() }}){{ "," if not loop.last }}
        {%- endfor %}
    )) as {{ dbt.type_string() }})
{%- endmacro %}


{#- The first day of the month `months` after the month of a date, as a date. -#}
{% macro month_after(date_expression, months) -%}
    cast({{ dbt.dateadd('month', months, dbt.date_trunc('month', date_expression)) }} as date)
{%- endmacro %}


{#- Last day of the month holding `date_expression`. -#}
{% macro month_end(date_expression) -%}
    cast({{ dbt.last_day(date_expression, 'month') }} as date)
{%- endmacro %}


{#- x / y, null when y is 0 or null. -#}
{% macro safe_divide(numerator, denominator) -%}
    ({{ numerator }}) / nullif({{ denominator }}, 0)
{%- endmacro %}


{#- The as_of_date var as a date literal; today (UTC) when unset. An invalid
    value stops the build with one line (checked_as_of_date, validate_vars.sql). -#}
{% macro as_of_date() -%}
    cast('{{ checked_as_of_date() }}' as date)
{%- endmacro %}


{#- One row per month start from `start_column` to `end_column` (both dates,
    first of month), as column `month`, selected from `from_relation`. -#}
{% macro month_series(start_column, end_column, from_relation) %}
    {{ return(adapter.dispatch('month_series', 'subscription_metrics')(start_column, end_column, from_relation)) }}
{% endmacro %}

{% macro default__month_series(start_column, end_column, from_relation) -%}
    select cast(unnest(generate_series(
        cast({{ start_column }} as date), cast({{ end_column }} as date), interval 1 month
    )) as date) as month
    from {{ from_relation }}
{%- endmacro %}


{#- One row per day from `start_column` to `end_column` (both dates), as
    column `date_day`, selected from `from_relation`. -#}
{% macro day_series(start_column, end_column, from_relation) %}
    {{ return(adapter.dispatch('day_series', 'subscription_metrics')(start_column, end_column, from_relation)) }}
{% endmacro %}

{% macro default__day_series(start_column, end_column, from_relation) -%}
    select cast(unnest(generate_series(
        cast({{ start_column }} as date), cast({{ end_column }} as date), interval 1 day
    )) as date) as date_day
    from {{ from_relation }}
{%- endmacro %}


{#- The last non-null value of `expression` in the window before this row. -#}
{% macro last_non_null_before(expression, partition_by, order_by) %}
    {{ return(adapter.dispatch('last_non_null_before', 'subscription_metrics')(expression, partition_by, order_by)) }}
{% endmacro %}

{% macro default__last_non_null_before(expression, partition_by, order_by) -%}
    last_value({{ expression }} ignore nulls) over (
        partition by {{ partition_by }}
        order by {{ order_by }}
        rows between unbounded preceding and 1 preceding
    )
{%- endmacro %}


{#- A 64-bit float (dbt.type_float() is 32-bit on some engines). -#}
{% macro type_double() %}
    {{ return(adapter.dispatch('type_double', 'subscription_metrics')()) }}
{% endmacro %}

{% macro default__type_double() -%}
    double
{%- endmacro %}


{#- Appended to a FROM item: no-op by default. Spark's optimizer bounds the
    row count of every plan node (maxRows) recursively, evaluating each
    join's inputs twice; over literal rows (a unit-test fixture) or finished
    adaptive stages every bound is known, so a long chain of joins (the
    Newton steps of the sBG fit) takes exponential time to plan. On Spark a
    one-row generator hides the bound below it (the rows are unchanged). -#}
{% macro hide_row_count_bound() %}
    {{ return(adapter.dispatch('hide_row_count_bound', 'subscription_metrics')()) }}
{% endmacro %}

{% macro default__hide_row_count_bound() -%}
{%- endmacro %}


{#- A text value as an SQL string literal. Quotes are doubled; on engines
    that read backslash escapes in literals (Spark) a backslash is escaped
    too, so that e.g. the missing-value token \N stays backslash + N. -#}
{% macro text_literal(value) %}
    {{ return(adapter.dispatch('text_literal', 'subscription_metrics')(value)) }}
{% endmacro %}

{% macro default__text_literal(value) -%}
    '{{ value | string | replace("'", "''") }}'
{%- endmacro %}
