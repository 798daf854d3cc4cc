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
    2. CSV: the file's lines are read (Spark's CSV source without quoting)
       and scanned once: records by the rule of
       macros/raw/landing_records.sql (a broken quote costs only its
       record), the record count for audit.landing_files, the encoding (a
       file with bytes that are not UTF-8 and no UTF-8 multi-byte character
       is read as windows-1252). A file of plain records is then read by a
       temporary view `landing_<table>` over Spark's CSV reader (RFC 4180,
       multiLine, every field as text by position, a `_corrupt_record`
       column for rows with more or fewer fields than the header); a file
       with a broken or stray quote by the record rule (fields split in
       SQL). Parquet: a temporary view over the file; columns matched by
       name, every value cast to text; nested columns and columns of the
       wrong physical type stop the build.
    3. Row numbers follow the file order (monotonically_increasing_id grows
       with the position in the file).

    An empty field reads as '' (Spark's CSV reader says null; DuckDB's reader
    and the quarantined raw record say ''), a missing optional column as null.

    Differences from the DuckDB reader: UTF-16 files are not detected; in a
    UTF-8 file with a few damaged rows, the damaged bytes read as U+FFFD and
    those rows are quarantined (DuckDB: the same rows, with the raw line);
    blank lines inside a quoted value are dropped when the file is read by
    the record rule; there is no cap on unreadable rows.
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
{% macro spark_csv_options(file, encoding='utf-8') -%}
    path {{ spark_string_literal(file.path) }},
    sep ',',
    quote '"',
    escape '"',
    multiLine 'true',
    encoding '{{ encoding }}',
    mode 'PERMISSIVE'
{%- endmacro %}


{#- The number of fields of a raw CSV line: its commas outside quoted
    fields, plus one. -#}
{% macro spark_csv_field_count(line) -%}
    size(split(regexp_replace({{ line }}, '"([^"]|"")*"', ''), ',', -1))
{%- endmacro %}


{#- A temporary view of a CSV file's physical lines (column `line`; blank
    lines are skipped by Spark's reader), decoded with `encoding`: Spark's
    CSV source with no quoting and a separator that never occurs, so one
    line = one row. Bytes that are not text in the encoding read as U+FFFD. -#}
{% macro spark_csv_lines_view(table_name, file, encoding) %}
    {%- set view = 'landing_' ~ table_name ~ '_lines_' ~ encoding | replace('-', '') -%}
    {%- do run_query(
        "create or replace temporary view " ~ view ~ " (line string) using csv options ("
        ~ "path " ~ spark_string_literal(file.path) ~ ", sep '\\u001f', quote '', escape '', header 'false', "
        ~ "encoding '" ~ encoding ~ "', mode 'PERMISSIVE', ignoreLeadingWhiteSpace 'false', "
        ~ "ignoreTrailingWhiteSpace 'false')"
    ) -%}
    {{ return(view) }}
{% endmacro %}


{#- The lines with their position (q, 1 = header) in file order. -#}
{% macro spark_numbered_lines(view) -%}
    select row_number() over (order by monotonically_increasing_id()) as q, coalesce(line, '') as line
    from {{ view }}
{%- endmacro %}


{#- One scan of the lines, as on DuckDB (duckdb__csv_line_probe): lines not
    blank, lines that are not a plain RFC 4180 record, lines with bytes that
    are not UTF-8 (U+FFFD) and lines with other non-ASCII text; a second,
    ordered scan only when some lines are not plain records. -#}
{% macro spark_csv_line_probe(view) %}
    {%- set found = run_query(
        "select count(*), "
        ~ "sum(case when instr(line, '\"') > 0 and not line rlike " ~ spark_string_literal('^' ~ csv_record_pattern() ~ '$')
        ~ " then 1 else 0 end), "
        ~ "sum(case when instr(line, '\\ufffd') > 0 then 1 else 0 end), "
        ~ "sum(case when line rlike '[^\\\\x00-\\\\x7F\\\\ufffd]' then 1 else 0 end) "
        ~ "from " ~ view ~ " where line is not null and line != ''"
    ).rows[0] -%}
    {%- set probe = {'data_lines': [(found[0] or 0) | int - 1, 0] | max, 'odd_count': 0, 'stray_count': 0,
                     'odd_positions': [], 'not_utf8': (found[2] or 0) | int, 'other_non_ascii': (found[3] or 0) | int} -%}
    {%- if (found[1] or 0) > 0 -%}
        {%- set odd = quote_count('line') ~ ' % 2 = 1' -%}
        {%- set found = run_query(
            "select sum(case when q > 1 and " ~ odd ~ " then 1 else 0 end), "
            ~ "sum(case when q > 1 and line rlike " ~ spark_string_literal(stray_quote_pattern()) ~ " then 1 else 0 end), "
            ~ "concat_ws(',', slice(sort_array(collect_list(case when q > 1 and " ~ odd ~ " then q end)), 1, "
            ~ landing_max_open_quote_lines() ~ ")) "
            ~ "from (" ~ spark_numbered_lines(view) ~ ") as file_lines where instr(line, '\"') > 0"
        ).rows[0] -%}
        {%- do probe.update({'odd_count': (found[0] or 0) | int, 'stray_count': (found[1] or 0) | int,
            'odd_positions': (found[2] or '').split(',') | reject('equalto', '') | map('int') | list}) -%}
    {%- endif -%}
    {{ return(probe) }}
{% endmacro %}


{#- Which (odd line, next odd line) pairs join into a record of `width`
    fields: {start line: 0} (Spark's line reader skips blank lines). -#}
{% macro spark_csv_valid_quote_pairs(view, odd_lines, width) %}
    {%- set pairs = landing_quote_pairs(odd_lines) -%}
    {%- if not pairs -%}
        {{ return({}) }}
    {%- endif -%}
    {%- set joined = "array_join(transform(array_sort(collect_list(struct(file_lines.q, file_lines.line))), "
        ~ "entry -> entry.line), '\\n')" -%}
    {%- set query -%}
        select pairs.span_start
        from (
            select inline(arrays_zip(array({{ pairs | map('first') | join(', ') }}),
                                     array({{ pairs | map('last') | join(', ') }}))) as (span_start, span_end)
        ) as pairs
        inner join ({{ spark_numbered_lines(view) }}) as file_lines
            on file_lines.q between pairs.span_start and pairs.span_end
        group by pairs.span_start
        having
            {{ csv_field_count(joined) }} = {{ width }}
            and {{ joined }} rlike {{ spark_string_literal('^' ~ csv_record_pattern() ~ '$') }}
    {%- endset -%}
    {%- set valid = {} -%}
    {%- for row in run_query(query).rows -%}
        {%- do valid.update({row[0] | int: 0}) -%}
    {%- endfor -%}
    {{ return(valid) }}
{% endmacro %}


{#- The rows of a CSV file by the record rule, reading lines (a file with a
    broken or stray quote): every record's fields split in SQL. -#}
{% macro spark_csv_records_by_lines(spec, file, view, encoding, positions, width, plan) -%}
    {%- set broken = plan.broken -%}
    (
        with file_lines as (
            {{ spark_numbered_lines(view) }}
        ),
        spans as (
            {%- if plan.spans %}
            select inline(arrays_zip(array({{ plan.spans | map('first') | join(', ') }}),
                                     array({{ plan.spans | map('last') | join(', ') }}))) as (span_start, span_end)
            {%- else %}
            select cast(null as bigint) as span_start, cast(null as bigint) as span_end where false
            {%- endif %}
        ),
        placed as (
            select
                file_lines.q,
                file_lines.line,
                coalesce(spans.span_start, file_lines.q) as record_start
            from file_lines
            left join spans
                on file_lines.q between spans.span_start and spans.span_end
            where file_lines.q > 1
        ),
        records as (
            select
                record_start,
                array_join(transform(array_sort(collect_list(struct(q, line))), entry -> entry.line), '\n')
                    as record_text
            from placed
            group by record_start
        ),
        fielded as (
            select
                *,
                row_number() over (order by record_start) as record_number,
                {{ csv_record_fields('record_text') }} as fields
            from records
        ),
        judged as (
            select
                *,
                case
                    {%- if broken %}
                    when record_start in ({{ broken | join(', ') }})
                        then concat('row is not readable CSV (line ', record_start, '): an unterminated quote (the '
                            || 'line ends inside a quoted field that no later line closes into a record of the '
                            || '{{ width }} fields of the header); the rows after it are read on')
                    {%- endif %}
                    when instr(record_text, '\ufffd') > 0
                        then concat('row is not readable CSV (line ', record_start, '): bytes that are not '
                            || '{{ 'Windows-1252' if encoding == 'windows-1252' else 'UTF-8' }} text')
                    when size(fields) > {{ width }}
                        then 'row is not readable CSV: more fields than the {{ width }} of the header'
                    when size(fields) < {{ width }}
                        then 'row is not readable CSV: fewer fields than the {{ width }} of the header'
                            || ' (a missing delimiter, or an unterminated quote running on)'
                end as read_problem
            from fielded
        )
        select
            {%- for column in spec.columns %}
            {% if column.name in positions -%}
            try_element_at(fields, {{ positions[column.name] }})
            {%- else -%}
            cast(null as string)
            {%- endif %} as {{ column.name }},
            {%- endfor %}
            cast(record_number as bigint) as _raw_row_number,
            {{ spark_string_literal(file.name) }} as _source_file,
            read_problem as _read_problem,
            case when read_problem is not null then record_text end as _raw_line
        from judged
    )
{%- endmacro %}


{% macro spark_csv_landing_read(table_name, spec, file) %}
    {%- set column_names = spec.columns | map(attribute='name') | join(',') -%}
    {%- set empty_message = "Landing data: " ~ file.name ~ " is empty: it has no header row (a file with no rows "
        ~ "needs at least the header line: " ~ column_names ~ ")." -%}
    {%- if file.length == 0 -%}
        {{ exceptions.raise_compiler_error(empty_message) }}
    {%- endif -%}
    {%- set encoding = 'utf-8' -%}
    {%- set view = spark_csv_lines_view(table_name, file, encoding) -%}
    {%- set probe = spark_csv_line_probe(view) -%}
    {%- if probe.not_utf8 > 0 and probe.other_non_ascii == 0 -%}
        {#- Not UTF-8 text, and no UTF-8 multi-byte character: Windows-1252. -#}
        {%- set encoding = 'windows-1252' -%}
        {%- set view = spark_csv_lines_view(table_name, file, encoding) -%}
        {%- set probe = spark_csv_line_probe(view) -%}
    {%- endif -%}
    {%- set first = run_query("select line from " ~ view ~ " limit 1").rows -%}
    {%- set header_line = modules.re.sub('^\\ufeff', '', (first[0][0] or '') if first else '') -%}
    {%- if header_line | trim == '' -%}
        {{ exceptions.raise_compiler_error(empty_message) }}
    {%- endif -%}
    {%- if '\ufffd' in header_line -%}
        {{ exceptions.raise_compiler_error(
            "Landing data: " ~ file.name ~ ": its header row is not UTF-8 text (nor Windows-1252); "
            ~ "save the file as UTF-8.") }}
    {%- endif -%}
    {%- set header = split_csv_line(header_line) -%}
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
    {%- do landing_column_aliases(spec, positions) -%}
    {%- for column in spec.columns if column.required and column.name not in positions -%}
        {{ exceptions.raise_compiler_error(
            "Landing data: " ~ file.name ~ " has no column '" ~ column.name
            ~ "', which the raw contract requires (found: " ~ (header | map('trim') | join(', ')) ~ ").") }}
    {%- endfor -%}
    {%- set width = header | length -%}
    {%- if probe.odd_count > landing_max_open_quote_lines() -%}
        {{ exceptions.raise_compiler_error(
            "Landing data: " ~ file.name ~ ": " ~ probe.odd_count ~ " lines end inside a quoted field (more than "
            ~ landing_max_open_quote_lines() ~ "); check the file's quoting (first: line "
            ~ probe.odd_positions[0] ~ ").") }}
    {%- endif -%}
    {%- set valid = spark_csv_valid_quote_pairs(view, probe.odd_positions, width) if probe.odd_positions else {} -%}
    {%- set plan = landing_record_plan(probe.odd_positions, valid) -%}
    {%- set records = probe.data_lines - plan.joined -%}
    {%- if records == 0 and not spec.optional -%}
        {{ exceptions.raise_compiler_error(
            "Landing data: " ~ file.name ~ " has no data rows (only its header); " ~ table_name
            ~ " is a required table: export the file again with its rows.") }}
    {%- endif -%}
    {%- set facts = {'file': file.name, 'format': 'csv', 'encoding': encoding, 'records': records} -%}
    {%- if plan.broken or probe.stray_count > 0 -%}
        {%- do facts.update({'relation': spark_csv_records_by_lines(spec, file, view, encoding, positions, width, plan)}) -%}
        {{ return(facts) }}
    {%- endif -%}
    {%- set reader = 'landing_' ~ table_name -%}
    {%- set fields = [] -%}
    {%- for position in range(1, width + 1) -%}
        {%- do fields.append('c' ~ position ~ ' string') -%}
    {%- endfor -%}
    {%- do fields.append('_corrupt_record string') -%}
    {%- do run_query(
        "create or replace temporary view " ~ reader ~ " (" ~ fields | join(', ') ~ ") using csv options ("
        ~ spark_csv_options(file, encoding) ~ ", header 'true', columnNameOfCorruptRecord '_corrupt_record')"
    ) -%}
    {%- set all_fields = "concat_ws(',', c" ~ range(1, width + 1) | join(', c') ~ ")" -%}
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
                    when _corrupt_record is null
                        {%- if probe.not_utf8 > 0 %}
                        then case when instr({{ all_fields }}, '\ufffd') > 0
                            then 'row is not readable CSV: bytes that are not UTF-8 text' end
                        {%- else %}
                        then cast(null as string)
                        {%- endif %}
                    when {{ spark_csv_field_count('_corrupt_record') }} < {{ width }}
                        then 'row is not readable CSV: fewer fields than the {{ width }} of the header'
                            || ' (a missing delimiter, or an unterminated quote running on)'
                    else 'row is not readable CSV: more fields than the {{ width }} of the header'
                end as _read_problem,
                case
                    when _corrupt_record is not null then _corrupt_record
                    {%- if probe.not_utf8 > 0 %}
                    when instr({{ all_fields }}, '\ufffd') > 0 then {{ all_fields }}
                    {%- endif %}
                end as _raw_line
            from {{ reader }}
        )
    {%- endset -%}
    {%- do facts.update({'relation': sql}) -%}
    {{ return(facts) }}
{% endmacro %}


{% macro spark_parquet_landing_read(table_name, spec, file) %}
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
    {%- do landing_column_aliases(spec, file_columns) -%}
    {%- set selects = [] -%}
    {%- for column in spec.columns -%}
        {%- if column.name in file_columns -%}
            {%- set found = file_columns[column.name] -%}
            {%- if modules.re.match('(struct|array|map)<', found.type | lower) -%}
                {{ exceptions.raise_compiler_error(
                    "Landing data: " ~ file.name ~ " column '" ~ column.name ~ "' has the nested type "
                    ~ found.type ~ "; the raw contract expects a plain " ~ column.type ~ " value.") }}
            {%- endif -%}
            {%- set accepted = parquet_types_accepted(column.type) -%}
            {%- if accepted and not modules.re.fullmatch(accepted, spark_type_as_duckdb(found.type)) -%}
                {{ exceptions.raise_compiler_error(
                    "Landing data: " ~ file.name ~ " column '" ~ column.name ~ "' is a " ~ found.type
                    ~ " column; the raw contract expects " ~ parquet_type_expected(column.type) ~ ".") }}
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
    {%- set records = run_query("select count(*) from " ~ view).rows[0][0] | int -%}
    {%- if records == 0 and not spec.optional -%}
        {{ exceptions.raise_compiler_error(
            "Landing data: " ~ file.name ~ " has no data rows; " ~ table_name
            ~ " is a required table: export the file again with its rows.") }}
    {%- endif -%}
    {{ return({'relation': sql, 'file': file.name, 'format': 'parquet', 'encoding': none, 'records': records}) }}
{% endmacro %}


{#- A Spark type as DuckDB names it (for parquet_types_accepted). -#}
{% macro spark_type_as_duckdb(type) %}
    {%- set names = {'string': 'VARCHAR', 'int': 'INTEGER', 'bigint': 'BIGINT', 'smallint': 'SMALLINT',
                     'tinyint': 'TINYINT', 'float': 'FLOAT', 'double': 'DOUBLE', 'boolean': 'BOOLEAN',
                     'date': 'DATE', 'binary': 'BLOB'} -%}
    {%- set type = type | lower -%}
    {{ return(names.get(type, type | upper)) }}
{% endmacro %}


{% macro spark__landing_read(table_name) %}
    {%- set spec = landing_spec(table_name) -%}
    {%- if not execute -%}
        {#- Parsing: no files are read. -#}
        {{ return(no_landing_file(spec)) }}
    {%- endif -%}
    {%- set file = spark_landing_file(table_name) -%}
    {%- if file is none -%}
        {%- if spec.optional -%}
            {{ return(no_landing_file(spec)) }}
        {%- endif -%}
        {{ exceptions.raise_compiler_error(
            "Landing data: required file " ~ table_name ~ ".csv (or .parquet) not found in "
            ~ raw_data_dir() ~ " (set the dbt var raw_data_dir, or generate demo data with "
            ~ "`python scripts/generate_data.py --scale demo`).") }}
    {%- endif -%}
    {%- if file.path.endswith('.parquet') -%}
        {{ return(spark_parquet_landing_read(table_name, spec, file)) }}
    {%- endif -%}
    {{ return(spark_csv_landing_read(table_name, spec, file)) }}
{% endmacro %}

