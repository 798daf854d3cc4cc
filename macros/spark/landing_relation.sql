{#-
    spark__landing_relation(table_name): the Spark reader behind
    landing_relation() (macros/raw/landing_relation.sql), returning the same
    subquery: every raw contract column as text (missing optional columns as
    null), `_raw_row_number`, `_source_file`, `_read_problem`, `_raw_line`.

    How it reads, at execute time, on the connection that runs the model:
    1. Which file: a `binaryFile` listing of raw_data_dir filtered to
       <table>.{csv,parquet} (only the paths are read, not the contents).
       Works for any path Spark can list: local, hdfs://, s3a://, abfss://,
       dbfs:/. Both files present stops the build, as on DuckDB.
    2. CSV: the header is parsed by Spark's own CSV reader (first record,
       header off); then a temporary view `landing_<table>` reads every
       field as text by position (c1..cN) with RFC 4180 quoting ("" inside
       quotes, quoted newlines) and a `_corrupt_record` column: a row with
       more or fewer fields than the header is kept with its raw text and a
       read problem, so it is quarantined instead of failing the build.
       Parquet: a temporary view over the file; columns matched by name,
       every value cast to text; nested columns stop the build.
    3. Row numbers follow the file order (monotonically_increasing_id grows
       with the position in the file; the CSV file is read whole, not split).

    An empty field reads as '' (Spark's CSV reader says null; DuckDB's reader
    and the quarantined raw record say ''), a missing optional column as null.

    Differences from the DuckDB reader (documented in the README): files
    must be UTF-8 (other bytes read as U+FFFD instead of falling back to
    Latin-1 / UTF-16), the raw text of an unreadable row is the line as in
    the file, and there is no cap on unreadable rows.
-#}


{#- A text as a Spark SQL string literal: Spark escapes with backslashes
    (two quotes in a row would be read as two adjacent literals). -#}
{% macro spark_string_literal(text) -%}
    '{{ (text | string) | replace("\\", "\\\\") | replace("'", "\\'") }}'
{%- endmacro %}


{#- The landing file of a table as {'path': what Spark reads, 'name': the
    path as given (raw_data_dir/file, as DuckDB reports it), 'length':
    bytes}, or none when there is none. -#}
{% macro spark_landing_file(table_name) %}
    {%- set listing = 'landing_files_' ~ table_name -%}
    {%- do run_query(
        "create or replace temporary view " ~ listing ~ " using binaryFile options ("
        ~ "path " ~ spark_string_literal(raw_data_dir()) ~ ", "
        ~ "pathGlobFilter " ~ spark_string_literal(table_name ~ ".{csv,parquet}") ~ ")"
    ) -%}
    {%- set found = run_query("select path, length from " ~ listing ~ " order by path") -%}
    {%- if found.rows | length > 1 -%}
        {{ exceptions.raise_compiler_error(
            "Landing data: both " ~ table_name ~ ".csv and " ~ table_name
            ~ ".parquet exist in " ~ raw_data_dir() ~ "; keep one of them.") }}
    {%- endif -%}
    {%- if found.rows | length == 0 -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set path = found.rows[0][0] -%}
    {{ return({
        'path': path,
        'name': raw_data_dir() ~ '/' ~ path.split('/')[-1],
        'length': found.rows[0][1],
    }) }}
{% endmacro %}


{#- How many files raw_data_dir holds, for validate_vars (a `binaryFile`
    listing: paths only). A directory that does not exist stops the run
    with Spark's PATH_NOT_FOUND error. -#}
{% macro spark__landing_dir_file_count(directory) %}
    {%- do run_query(
        "create or replace temporary view landing_dir_listing using binaryFile options ("
        ~ "path " ~ spark_string_literal(directory) ~ ")") -%}
    {%- set listed = run_query("select count(*) from landing_dir_listing") -%}
    {{ return(listed.rows[0][0]) }}
{% endmacro %}


{#- CSV dialect options shared by the header probe and the reader. -#}
{% macro spark_csv_options(file) -%}
    path {{ spark_string_literal(file.path) }},
    sep ',',
    quote '"',
    escape '"',
    multiLine 'true',
    encoding 'UTF-8',
    mode 'PERMISSIVE'
{%- endmacro %}


{#- The header fields of a CSV file, as Spark's CSV parser splits them. -#}
{% macro spark_csv_header(table_name, file) %}
    {%- set probe = 'landing_' ~ table_name ~ '_header' -%}
    {%- do run_query(
        "create or replace temporary view " ~ probe ~ " using csv options ("
        ~ spark_csv_options(file) ~ ", header 'false')"
    ) -%}
    {%- set first = run_query("select * from " ~ probe ~ " limit 1") -%}
    {%- if first.rows | length == 0 -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set header = [] -%}
    {%- for value in first.rows[0] -%}
        {%- set text = (value or '') | string -%}
        {%- if loop.first -%}
            {%- set text = modules.re.sub('^\\ufeff', '', text) -%}
        {%- endif -%}
        {%- do header.append(text) -%}
    {%- endfor -%}
    {{ return(header) }}
{% endmacro %}


{#- The number of fields of a raw CSV line: its commas outside quoted
    fields, plus one. -#}
{% macro spark_csv_field_count(line) -%}
    size(split(regexp_replace({{ line }}, '"([^"]|"")*"', ''), ',', -1))
{%- endmacro %}


{% macro spark_csv_landing_relation(table_name, spec, file) %}
    {%- set column_names = spec.columns | map(attribute='name') | join(',') -%}
    {%- set header = spark_csv_header(table_name, file) if file.length > 0 else [] -%}
    {%- if header | length == 0 or header | join('') | trim == '' -%}
        {{ exceptions.raise_compiler_error(
            "Landing data: " ~ file.name ~ " is empty: it has no header row (a file with no rows needs at least "
            ~ "the header line: " ~ column_names ~ ").") }}
    {%- endif -%}
    {#- contract column -> 1-based position in the file -#}
    {%- set positions = {} -%}
    {%- for name in header -%}
        {%- set key = name | trim | lower -%}
        {%- if key in positions -%}
            {{ exceptions.raise_compiler_error(
                "Landing data: " ~ file.name ~ " has column '" ~ key ~ "' more than once in its header "
                ~ "(column names are matched case-insensitively); keep one.") }}
        {%- endif -%}
        {%- do positions.update({key: loop.index}) -%}
    {%- endfor -%}
    {%- for column in spec.columns if column.required and column.name not in positions -%}
        {{ exceptions.raise_compiler_error(
            "Landing data: " ~ file.name ~ " has no column '" ~ column.name
            ~ "', which the raw contract requires (found: " ~ (header | map('trim') | join(', ')) ~ ").") }}
    {%- endfor -%}
    {%- set view = 'landing_' ~ table_name -%}
    {%- set fields = [] -%}
    {%- for position in range(1, header | length + 1) -%}
        {%- do fields.append('c' ~ position ~ ' string') -%}
    {%- endfor -%}
    {%- do fields.append('_corrupt_record string') -%}
    {%- do run_query(
        "create or replace temporary view " ~ view ~ " (" ~ fields | join(', ') ~ ") using csv options ("
        ~ spark_csv_options(file) ~ ", header 'true', columnNameOfCorruptRecord '_corrupt_record')"
    ) -%}
    {%- set sql -%}
        (
            select
                {%- for column in spec.columns %}
                {% if column.name in positions -%}
                case when _corrupt_record is null then coalesce(c{{ positions[column.name] }}, '') end
                {%- else -%}
                cast(null as string)
                {%- endif %} as {{ column.name }},
                {%- endfor %}
                cast(row_number() over (order by monotonically_increasing_id()) as bigint) as _raw_row_number,
                {{ spark_string_literal(file.name) }} as _source_file,
                case
                    when _corrupt_record is null then cast(null as string)
                    when {{ spark_csv_field_count('_corrupt_record') }} < {{ header | length }}
                        then 'row is not readable CSV: fewer fields than the {{ header | length }} of the header'
                            || ' (a missing delimiter, or an unterminated quote running on)'
                    else 'row is not readable CSV: more fields than the {{ header | length }} of the header'
                end as _read_problem,
                _corrupt_record as _raw_line
            from {{ view }}
        )
    {%- endset -%}
    {{ return(sql) }}
{% endmacro %}


{% macro spark_parquet_landing_relation(table_name, spec, file) %}
    {%- set view = 'landing_' ~ table_name -%}
    {%- do run_query(
        "create or replace temporary view " ~ view ~ " using parquet options (path "
        ~ spark_string_literal(file.path) ~ ")"
    ) -%}
    {%- set described = run_query("describe " ~ view) -%}
    {%- set file_columns = {} -%}
    {%- for row in described.rows if row[0] and not row[0].startswith('#') -%}
        {%- set key = row[0] | trim | lower -%}
        {%- if key in file_columns -%}
            {{ exceptions.raise_compiler_error(
                "Landing data: " ~ file.name ~ " has column '" ~ key ~ "' more than once "
                ~ "(column names are matched case-insensitively); keep one.") }}
        {%- endif -%}
        {%- do file_columns.update({key: {'name': row[0], 'type': row[1] | string}}) -%}
    {%- endfor -%}
    {%- set selects = [] -%}
    {%- for column in spec.columns -%}
        {%- if column.name in file_columns -%}
            {%- set found = file_columns[column.name] -%}
            {%- if modules.re.match('(struct|array|map)<', found.type | lower) -%}
                {{ exceptions.raise_compiler_error(
                    "Landing data: " ~ file.name ~ " column '" ~ column.name ~ "' has the nested type "
                    ~ found.type ~ "; the raw contract expects a plain " ~ column.type ~ " value.") }}
            {%- endif -%}
            {%- do selects.append('cast(`' ~ found.name | replace('`', '``') ~ '` as string) as ' ~ column.name) -%}
        {%- elif column.required -%}
            {{ exceptions.raise_compiler_error(
                "Landing data: " ~ file.name ~ " has no column '" ~ column.name
                ~ "', which the raw contract requires (found: "
                ~ (file_columns.values() | map(attribute='name') | join(', ')) ~ ").") }}
        {%- else -%}
            {%- do selects.append('cast(null as string) as ' ~ column.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set sql -%}
        (
            select
                {{ selects | join(',\n                ') }},
                cast(row_number() over (order by monotonically_increasing_id()) as bigint) as _raw_row_number,
                {{ spark_string_literal(file.name) }} as _source_file,
                cast(null as string) as _read_problem,
                cast(null as string) as _raw_line
            from {{ view }}
        )
    {%- endset -%}
    {{ return(sql) }}
{% endmacro %}


{% macro spark__landing_relation(table_name) %}
    {%- set spec = raw_contract()[table_name] -%}
    {%- if not execute -%}
        {#- Parsing: no files are read. -#}
        {{ return(empty_landing_relation(spec)) }}
    {%- endif -%}
    {%- set file = spark_landing_file(table_name) -%}
    {%- if file is none -%}
        {%- if spec.optional -%}
            {{ return(empty_landing_relation(spec)) }}
        {%- endif -%}
        {{ exceptions.raise_compiler_error(
            "Landing data: required file " ~ table_name ~ ".csv (or .parquet) not found in "
            ~ raw_data_dir() ~ " (set the dbt var raw_data_dir, or generate demo data with "
            ~ "`python scripts/generate_data.py --scale demo`).") }}
    {%- endif -%}
    {%- if file.path.endswith('.parquet') -%}
        {{ return(spark_parquet_landing_relation(table_name, spec, file)) }}
    {%- endif -%}
    {{ return(spark_csv_landing_relation(table_name, spec, file)) }}
{% endmacro %}

