{#-
    landing_file_check(table_name): a SQL statement (run as the pre-hook of
    the table's stg_ model, so before anything is built from the file) that
    stops the build with ONE line naming the file when the file failed as
    a whole rather than row by row:
      - the rows read differ from the file's records counted independently
        (audit.landing_files): a row was lost or invented by the reader;
      - more than `landing_max_failed_share` of the file's rows are not
        readable CSV (e.g. every row ends in an extra comma);
      - a required column is empty or does not parse in more than that
        share of the rows (e.g. a date format the contract does not read).
    Counts come from the base_ model (events: base_events' folded count plus
    base_event_exceptions), not from a new read of the file.
-#}
{% macro landing_file_check(table_name) %}
    {{ return(adapter.dispatch('landing_file_check', 'subscription_metrics')(table_name)) }}
{% endmacro %}

{% macro default__landing_file_check(table_name) %}
    {{ return(landing_file_check_sql(table_name)) }}
{% endmacro %}

{#- Spark evaluates a query only when its rows are fetched, and a hook's rows
    never are: the check runs here, through run_query (which fetches), when
    the hook is rendered before the model is built; the hook itself is a
    no-op. -#}
{% macro spark__landing_file_check(table_name) %}
    {%- if execute -%}
        {%- set problem = run_query(landing_file_check_sql(table_name, raise_error=false)).rows[0][0] -%}
        {%- if problem is not none -%}
            {{ exceptions.raise_compiler_error(problem) }}
        {%- endif -%}
    {%- endif -%}
    {{ return('select 1 as landing_file_checked') }}
{% endmacro %}

{#- The check as a query: with `raise_error`, the first problem raises an
    error in SQL; without, its one-line message is the query's value (null:
    no problem). -#}
{% macro landing_file_check_sql(table_name, raise_error=true) %}
    {%- set base_model = 'base_' ~ table_name -%}
    {%- set stripe_objects = {'customers': 'customer', 'plans': 'price', 'subscriptions': 'subscription',
                              'invoices': 'invoice'} -%}
    {%- if source_system() == 'stripe' and table_name in stripe_objects -%}
        {#- The Stripe object the stg_ model is built from (docs/stripe.md). -#}
        {%- set base_model = 'base_stripe_' ~ stripe_objects[table_name] -%}
        {%- set table_name = stripe_price_object() if table_name == 'plans' else stripe_objects[table_name] -%}
    {%- endif -%}
    {%- set spec = landing_spec(table_name) -%}
    {%- set share = var('landing_max_failed_share') -%}
    {%- set rows_sql -%}
        {%- if table_name == 'events' -%}
        select quarantine_reason_code, quarantine_reason, _raw_row_number, 1 as read_rows
        from {{ ref('base_event_exceptions') }}
        union all
        select cast(null as {{ dbt.type_string() }}), cast(null as {{ dbt.type_string() }}),
            cast(null as {{ dbt.type_bigint() }}), events
        from {{ ref('base_events') }}
        where row_kind = 'user_day'
        {%- else -%}
        select quarantine_reason_code, quarantine_reason, _raw_row_number, 1 as read_rows
        from {{ ref(base_model) }}
        {%- endif -%}
    {%- endset -%}
    {%- set failures = [('not readable CSV', "quarantine_reason like 'row is not readable CSV%'", none)] -%}
    {%- for column in spec.columns if column.required -%}
        {%- do failures.append((
            "empty or not a valid " ~ type_description(column.type) if column.type not in ('string', 'code', 'upper_code')
                else "empty",
            "quarantine_reason_code in ('missing_required', 'unparseable_value') and quarantine_reason like '"
                ~ column.name ~ " %'",
            column.name)) -%}
    {%- endfor -%}
    select
        case
            when counted.read_rows != files.file_records
                then {{ (raise_error_sql if raise_error else as_is)(dbt.concat([
                    sql_text('Landing data: '), "files.source_file",
                    sql_text(': the reader read '), dbt.cast("counted.read_rows", dbt.type_string()),
                    sql_text(' rows but the file holds '), dbt.cast("files.file_records", dbt.type_string()),
                    sql_text(' records (counted line by line); no row may be lost, so the file is rejected.')])) }}
            {%- for what, condition, column in failures %}
            when counted.failed_{{ loop.index }} > {{ share }} * files.file_records
                then {{ (raise_error_sql if raise_error else as_is)(dbt.concat([
                    sql_text('Landing data: '), "files.source_file",
                    sql_text((" column '" ~ column ~ "'" if column else '') ~ ': '),
                    dbt.cast("counted.failed_" ~ loop.index, dbt.type_string()),
                    sql_text(' of '), dbt.cast("files.file_records", dbt.type_string()),
                    sql_text(' rows are ' ~ what ~ ' (more than the share landing_max_failed_share = ' ~ share
                        ~ ' allows: the file is rejected as a whole); first, row '),
                    dbt.cast("counted.first_row_" ~ loop.index, dbt.type_string()),
                    sql_text(': '), "counted.first_reason_" ~ loop.index])) }}
            {%- endfor %}
        end as landing_file_problem
    from (
        select
            coalesce(sum(read_rows), 0) as read_rows
            {%- for what, condition, column in failures %},
            sum(case when {{ condition }} then 1 else 0 end) as failed_{{ loop.index }},
            min(case when {{ condition }} then _raw_row_number end) as first_row_{{ loop.index }},
            min_by(case when {{ condition }} then quarantine_reason end,
                case when {{ condition }} then _raw_row_number end) as first_reason_{{ loop.index }}
            {%- endfor %}
        from ({{ rows_sql }}) as landing_rows
    ) as counted
    cross join (
        select source_file, file_records
        from {{ ref('landing_files') }}
        where source_table = '{{ table_name }}'
    ) as files
{% endmacro %}


{#- An expression that stops the query with `message` (a text expression). -#}
{% macro as_is(expression) %}{{ return(expression) }}{% endmacro %}


{% macro raise_error_sql(message) %}
    {{ return(adapter.dispatch('raise_error_sql', 'subscription_metrics')(message)) }}
{% endmacro %}

{% macro default__raise_error_sql(message) -%}
    error({{ message }})
{%- endmacro %}

{% macro spark__raise_error_sql(message) -%}
    raise_error({{ message }})
{%- endmacro %}


{#- A text as a string literal of the adapter's SQL. -#}
{% macro sql_text(text) %}
    {{ return(adapter.dispatch('sql_text', 'subscription_metrics')(text)) }}
{% endmacro %}

{% macro default__sql_text(text) -%}
    {{ landing_literal(text) }}
{%- endmacro %}

{% macro spark__sql_text(text) -%}
    {{ spark_string_literal(text) }}
{%- endmacro %}
