{#-
    Typing and row checks for landing rows, generated from raw_contract().

    parse_landing_columns(table_name, from_cte) selects from `from_cte` (a
    landing_relation) every contract column parsed to its type, the raw row as
    JSON text (`_raw_record`; for a row the reader could not split into
    fields, its raw text), and the first generic problem of the row
    (`_problem_code`, `_problem_detail`): a row that is not readable CSV, a
    required value missing, a value that does not parse or is out of range, a value outside its
    accepted set, a negative amount.

    Ranges (anything outside does not "fit" and is unparseable_value):
    timestamps and dates from 1900-01-01 to 9999-12-31, money up to
    ±1e12 (more overflows the money columns of the marts), numbers finite
    and up to ±1e12, integers whole and up to ±1e9.

    Missing values: an empty value, and a value (spaces trimmed) equal to
    one of the missing_value_tokens var (NULL, N/A, \N, ...; exact,
    case-sensitive match), is missing in every column, except the tokens a
    contract column lists under `keeps` (country keeps NA: Namibia).

    Plausible dates: a date or timestamp before the
    earliest_plausible_date var, or a word an engine may read as a date
    (epoch, infinity, now, today, ...), is implausible_date.
-#}

{#- The trimmed text of a column, null when empty or a missing-value token
    (one IN list on the trimmed text: cheap enough for the events file). -#}
{% macro clean_text(column, keeps=[]) -%}
    {%- set trimmed = trim_spaces('cast(' ~ column ~ ' as ' ~ dbt.type_string() ~ ')') -%}
    {%- set tokens = missing_value_tokens() | reject('in', keeps) | list -%}
    {%- if tokens | length == 0 -%}
    nullif({{ trimmed }}, '')
    {%- else -%}
    case
        when {{ trimmed }} in ('', {% for token in tokens %}{{ text_literal(token) }}{{ ", " if not loop.last }}{% endfor %})
            then null
        else {{ trimmed }}
    end
    {%- endif -%}
{%- endmacro %}


{#- The missing_value_tokens var as a list of text (validated in
    validate_vars.sql). -#}
{% macro missing_value_tokens() %}
    {{ return(var('missing_value_tokens', []) or []) }}
{% endmacro %}


{#- Words DuckDB or Spark may read as a date or timestamp (DuckDB reads
    epoch, infinity and inf; Spark's typed literals also now, today,
    yesterday, tomorrow): never a real business date. Compared lower case. -#}
{% macro special_date_words() %}
    {{ return(['epoch', 'infinity', '+infinity', '-infinity', 'inf', '+inf', '-inf',
               'now', 'today', 'yesterday', 'tomorrow', 'allballs']) }}
{% endmacro %}


{#- The earliest_plausible_date var as YYYY-MM-DD text (validated in
    validate_vars.sql). -#}
{% macro earliest_plausible_date() %}
    {{ return(checked_earliest_plausible_date()) }}
{% endmacro %}


{#- True when an already cleaned text (clean_text) of a date/timestamp
    column is an implausible date: before the earliest_plausible_date var
    (however far back: 0001-01-01 and DuckDB's -infinity too), or one of
    special_date_words() whatever the floor (DuckDB reads epoch as
    1970-01-01, Spark does not read it: the word test keeps both engines
    alike). The words are shorter than any ISO date, so the word test runs
    only on values of fewer than 10 characters. -#}
{% macro implausible_date(text, type) -%}
    {%- set parsed = safe_cast_timestamp_utc(text) if type == 'timestamp' else safe_cast(text, 'date') -%}
    ({{ parsed }} < cast('{{ earliest_plausible_date() }}' as {{ 'timestamp' if type == 'timestamp' else 'date' }})
        or (length({{ text }}) < 10
            and lower({{ text }}) in ('{{ special_date_words() | join("', '") }}')))
{%- endmacro %}


{#- The cleaned text of every contract column of a table, as
    <column>__text (a select-list fragment): computed once per row, so that
    the typing and checks below do not repeat the trimming and the token
    test for every use of a value. -#}
{% macro cleaned_text_columns(spec) -%}
    {%- for column in spec.columns %}
        {{ clean_text(column.name, column.keeps or []) }} as {{ column.name }}__text{{ "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}


{#- Leading and trailing spaces (U+0020) removed, as Spark's trim does.
    DuckDB's trim() also strips other Unicode space separators and costs
    three times a test for a space at either end, so it runs only on the
    values that have one. -#}
{% macro trim_spaces(expression) %}
    {{ return(adapter.dispatch('trim_spaces', 'subscription_metrics')(expression)) }}
{% endmacro %}

{% macro default__trim_spaces(expression) -%}
    trim({{ expression }})
{%- endmacro %}

{% macro duckdb__trim_spaces(expression) -%}
    case
        when starts_with({{ expression }}, ' ') or ends_with({{ expression }}, ' ')
            then trim({{ expression }}, ' ')
        else {{ expression }}
    end
{%- endmacro %}


{#- A landing column parsed to its contract type (text cleaned here). -#}
{% macro parse_typed(column, type, keeps=[]) -%}
    {{ parse_text(clean_text(column, keeps), type) }}
{%- endmacro %}


{#- An already cleaned text (clean_text) parsed to a contract type. -#}
{% macro parse_text(text, type) -%}
    {%- if type == 'string' -%} {{ text }}
    {%- elif type == 'code' -%} lower({{ text }})
    {%- elif type == 'upper_code' -%} upper({{ text }})
    {%- elif type == 'timestamp' -%} {{ in_range(safe_cast_timestamp_utc(text),
        "cast('1900-01-01' as timestamp)", "cast('9999-12-31 23:59:59.999999' as timestamp)", true) }}
    {%- elif type == 'date' -%} {{ in_range(safe_cast(text, 'date'),
        "cast('1900-01-01' as date)", "cast('9999-12-31' as date)", true) }}
    {%- elif type == 'money' -%} {{ in_range(safe_cast(text, 'decimal(18, 2)'), '-1e12', '1e12', true) }}
    {%- elif type == 'number' -%} {{ in_range(safe_cast(text, type_double()), '-1e12', '1e12', true) }}
    {%- elif type == 'boolean' -%}
    case
        when lower({{ text }}) in ('true', 't', '1') then true
        when lower({{ text }}) in ('false', 'f', '0') then false
    end
    {%- elif type == 'integer' -%}
    case
        when {{ safe_cast(text, 'decimal(38, 6)') }} = {{ safe_cast(text, dbt.type_bigint()) }}
            then {{ in_range(safe_cast(text, dbt.type_bigint()), '-1000000000', '1000000000', true) }}
    end
    {%- else -%} {{ exceptions.raise_compiler_error("raw_contract: unknown type " ~ type) }}
    {%- endif -%}
{%- endmacro %}


{#- `expression` when it lies in [low, high) (or [low, high] when
    `inclusive`), else null. NaN and infinities are never in range. -#}
{% macro in_range(expression, low, high, inclusive=false) -%}
    case
        when {{ expression }} >= {{ low }} and {{ expression }} {{ '<=' if inclusive else '<' }} {{ high }}
            then {{ expression }}
    end
{%- endmacro %}


{#- What a value of a type must look like, for the quarantine reason. -#}
{% macro type_description(type) -%}
    {%- set descriptions = {
        'timestamp': 'timestamp (ISO-8601, 1900-01-01 to 9999-12-31)',
        'date': 'date (YYYY-MM-DD, 1900-01-01 to 9999-12-31)',
        'money': 'money amount (a decimal number up to ±1e12)',
        'number': 'number (finite, up to ±1e12)',
        'integer': 'integer (a whole number up to ±1e9)',
        'boolean': 'boolean (true/false, t/f or 1/0)',
    } -%}
    {{- descriptions.get(type, type) -}}
{%- endmacro %}


{#- `cleaned`: the rows carry <column>__text (cleaned_text_columns);
    else each value is cleaned where it is used. -#}
{% macro landing_problem_checks(spec, cleaned=false) %}
    {#- (condition, code, detail) in priority order. -#}
    {%- set texts = {} -%}
    {%- for column in spec.columns -%}
        {%- do texts.update({column.name: (column.name ~ '__text') if cleaned
                                          else clean_text(column.name, column.keeps or [])}) -%}
    {%- endfor -%}
    {%- set checks = [('_read_problem is not null', 'unparseable_value', '_read_problem')] -%}
    {%- for column in spec.columns if column.required -%}
        {%- set trimmed = trim_spaces('cast(' ~ column.name ~ ' as ' ~ dbt.type_string() ~ ')') -%}
        {%- do checks.append((texts[column.name] ~ ' is null', 'missing_required',
            "case when nullif(" ~ trimmed ~ ", '') is null then '" ~ column.name ~ " is empty' else "
            ~ dbt.concat(["'" ~ column.name ~ " is a missing-value token: '", trimmed]) ~ " end")) -%}
    {%- endfor -%}
    {%- for column in spec.columns if column.type in ('timestamp', 'date') -%}
        {%- do checks.append((implausible_date(texts[column.name], column.type), 'implausible_date',
            dbt.concat(["'" ~ column.name ~ " is not a plausible date (before " ~ earliest_plausible_date()
                        ~ ", or a word such as epoch or infinity): '", texts[column.name]]))) -%}
    {%- endfor -%}
    {%- for column in spec.columns if column.type not in ('string', 'code', 'upper_code') -%}
        {%- do checks.append((
            '(' ~ texts[column.name] ~ ' is not null and '
                ~ parse_text(texts[column.name], column.type) ~ ' is null)',
            'unparseable_value',
            dbt.concat(["'" ~ column.name ~ " is not a valid " ~ type_description(column.type) ~ ": '",
                        texts[column.name]]))) -%}
    {%- endfor -%}
    {%- for column in spec.columns if column.accepted -%}
        {%- do checks.append((
            parse_text(texts[column.name], column.type) ~ " not in ('" ~ column.accepted | join("', '") ~ "')",
            'invalid_value',
            dbt.concat(["'" ~ column.name ~ " must be one of " ~ column.accepted | join('/') ~ ", got: '",
                        texts[column.name]]))) -%}
    {%- endfor -%}
    {%- for column in spec.columns if column.non_negative or column.positive -%}
        {%- set bound = ' < 0' if column.non_negative else ' <= 0' -%}
        {%- set code = 'negative_amount' if column.type == 'money' else 'invalid_value' -%}
        {%- do checks.append((
            parse_text(texts[column.name], column.type) ~ bound, code,
            dbt.concat(["'" ~ column.name ~ " must be " ~ ('>= 0' if column.non_negative else '> 0')
                        ~ ", got: '", texts[column.name]]))) -%}
    {%- endfor -%}
    {{ return(checks) }}
{% endmacro %}


{% macro first_problem(checks, part) -%}
    {%- if checks | length == 0 -%} cast(null as {{ dbt.type_string() }})
    {%- else -%}
    case
        {%- for condition, code, detail in checks %}
        when {{ condition }} then {{ ("'" ~ code ~ "'") if part == 'code' else detail }}
        {%- endfor %}
    end
    {%- endif -%}
{%- endmacro %}


{% macro parse_landing_columns(table_name, from_cte) %}
    {%- set spec = landing_spec(table_name) -%}
    {%- set checks = landing_problem_checks(spec, cleaned=true) -%}
    select
        _raw_row_number,
        _source_file,
        case
            when _raw_line is not null then {{ row_as_json(['_raw_line']) }}
            else {{ row_as_json(spec.columns | map(attribute='name') | list) }}
        end as _raw_record,
        row_number() over (
            partition by
                {%- for column in spec.columns %}
                {{ column.name }}{{ "," if not loop.last }}
                {%- endfor %}
            order by _raw_row_number
        ) as _copy_number,
        {%- for column in spec.columns %}
        {{ parse_text(column.name ~ '__text', column.type) }} as {{ column.name }},
        {%- endfor %}
        {{ first_problem(checks, 'code') }} as _problem_code,
        {{ first_problem(checks, 'detail') }} as _problem_detail
    from (
        select
            *,
            {{ cleaned_text_columns(spec) }}
        from {{ from_cte }}
    ) as cleaned
{% endmacro %}


{#-
    quarantine_classification(checks): the reason code and text of a row, the
    first that applies of: its generic problem, being an exact copy of an
    earlier row, then each (condition, code, detail) of `checks`.
-#}
{% macro quarantine_classification(checks) -%}
    {%- set all_checks = [
        ('_problem_code is not null', '_problem_code', '_problem_detail'),
        ('_copy_number > 1', "'exact_duplicate'", "'exact copy of an earlier row'"),
    ] -%}
    {%- for condition, code, detail in checks -%}
        {%- do all_checks.append((condition, "'" ~ code ~ "'", detail)) -%}
    {%- endfor -%}
        case
            {%- for condition, code, detail in all_checks %}
            when {{ condition }} then {{ code }}
            {%- endfor %}
        end as _first_reason_code,
        case
            {%- for condition, code, detail in all_checks %}
            when {{ condition }} then {{ detail }}
            {%- endfor %}
        end as _first_reason
{%- endmacro %}


{#-
    flag_duplicate_keys(from_cte, key_columns): rows otherwise clean whose
    primary key occurs more than once with different values are all
    quarantined as duplicate_key (we cannot know which copy is right).
-#}
{% macro flag_duplicate_keys(from_cte, key_columns) %}
    select
        *,
        case
            when _first_reason_code is null and _clean_key_count > 1 then 'duplicate_key'
            else _first_reason_code
        end as quarantine_reason_code,
        case
            when _first_reason_code is null and _clean_key_count > 1
                then {{ dbt.concat(["'" ~ key_columns | join(', ') ~ " occurs '",
                                    dbt.cast('_clean_key_count', dbt.type_string()),
                                    "' times with different values'"]) }}
            else _first_reason
        end as quarantine_reason
    from (
        select
            *,
            sum(case when _first_reason_code is null then 1 else 0 end) over (
                partition by {{ key_columns | join(', ') }}
            ) as _clean_key_count
        from {{ from_cte }}
    ) as counted
{% endmacro %}


{#- Aggregates of a base_ model: rows quarantined with a reason (exact
    copies apart) and exact copies removed. -#}
{% macro quarantine_counts() -%}
    sum(case
        when quarantine_reason_code is not null
            and quarantine_reason_code != 'exact_duplicate' then 1
        else 0
    end) as quarantined_rows,
    sum(case when quarantine_reason_code = 'exact_duplicate' then 1 else 0 end) as duplicates_removed
{%- endmacro %}
