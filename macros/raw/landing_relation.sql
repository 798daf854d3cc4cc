{#-
    landing_relation(table_name): a subquery over the landing file
    <raw_data_dir>/<table_name>.csv or .parquet holding, for every column of
    the raw contract, the raw value as text (missing optional columns as
    null) plus
      `_raw_row_number`  1-based data row number in the file,
      `_source_file`     the file read,
      `_read_problem`    why the row could not be read (null when it could),
      `_raw_line`        the raw text of such a row (null otherwise).
    Extra columns in the file are ignored.

    A problem of the whole file stops the build with ONE line naming the file,
    the column and the problem: a missing required file or column, an empty
    file, a contract column twice in the header, a nested Parquet column, an
    unsupported encoding, too many unreadable rows. A problem of single CSV
    rows (more or fewer fields than the header, e.g. after an unterminated
    quote; bytes that are not UTF-8; a line over the size limit) does not:
    the row is kept with `_read_problem` set, and ends up quarantined with
    its raw text. The reader is lenient about line breaks and quotes so that
    they never make it fail.

    CSV dialect: RFC 4180 (comma, double quotes, "" inside quotes), a header
    row, UTF-8 with or without BOM, any line breaks (LF, CRLF, CR, mixed). A file that is Latin-1 throughout (bytes
    that are not UTF-8, no UTF-8 multi-byte character, no byte 0x80-0x9F) is
    read as Latin-1; UTF-16 LE (with BOM) is read as such. In any other file
    the rows with bytes that are not UTF-8 are quarantined.
-#}
{% macro landing_relation(table_name) %}
    {{ return(adapter.dispatch('landing_relation', 'subscription_metrics')(table_name)) }}
{% endmacro %}


{% macro raw_data_dir() %}
    {%- set dir = var('raw_data_dir') | string -%}
    {{ return(dir.rstrip('/')) }}
{% endmacro %}


{#- Most unreadable CSV rows quarantined one by one; more stop the build. -#}
{% macro landing_max_unreadable_rows() %}
    {{ return(1000) }}
{% endmacro %}


{#- A text as a SQL string literal. -#}
{% macro landing_literal(text) -%}
    '{{ (text | string) | replace("'", "''") }}'
{%- endmacro %}


{#- The landing file of a table (path), or none when there is none. -#}
{% macro duckdb__landing_file(table_name) %}
    {%- set dir = raw_data_dir() | replace("'", "''") -%}
    {%- set found = run_query(
        "select file from glob('" ~ dir ~ "/" ~ table_name ~ ".csv') "
        ~ "union all select file from glob('" ~ dir ~ "/" ~ table_name ~ ".parquet') "
        ~ "order by file"
    ) -%}
    {%- set files = found.columns[0].values() | list -%}
    {%- if files | length > 1 -%}
        {{ exceptions.raise_compiler_error(
            "Landing data: both " ~ table_name ~ ".csv and " ~ table_name
            ~ ".parquet exist in " ~ raw_data_dir() ~ "; keep one of them.") }}
    {%- endif -%}
    {{ return(files[0] if files else none) }}
{% endmacro %}


{#- Split one CSV line (RFC 4180 quoting) into its fields. -#}
{% macro split_csv_line(line) %}
    {%- set state = namespace(field='', in_quotes=false, after_quote=false) -%}
    {%- set fields = [] -%}
    {%- for char in line -%}
        {%- if state.in_quotes -%}
            {%- if char == '"' -%}
                {%- set state.in_quotes = false -%}
                {%- set state.after_quote = true -%}
            {%- else -%}
                {%- set state.field = state.field ~ char -%}
            {%- endif -%}
        {%- elif char == '"' -%}
            {%- if state.after_quote -%}
                {%- set state.field = state.field ~ '"' -%}
            {%- endif -%}
            {%- set state.in_quotes = true -%}
            {%- set state.after_quote = false -%}
        {%- elif char == ',' -%}
            {%- do fields.append(state.field) -%}
            {%- set state.field = '' -%}
            {%- set state.after_quote = false -%}
        {%- else -%}
            {%- set state.field = state.field ~ char -%}
            {%- set state.after_quote = false -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do fields.append(state.field) -%}
    {{ return(fields) }}
{% endmacro %}


{#- A reader of a file's physical lines (no field splitting), never failing:
    undecodable lines are skipped and recorded in `<rejects>_errors`. -#}
{% macro duckdb__line_reader(path, encoding, rejects) -%}
    read_csv({{ landing_literal(path) }}, header = false, auto_detect = false,
        columns = {'line': 'VARCHAR'}, delim = chr(31), quote = '', escape = '',
        encoding = '{{ encoding }}', strict_mode = false, store_rejects = true,
        rejects_table = '{{ rejects }}_errors', rejects_scan = '{{ rejects }}_scans')
{%- endmacro %}


{#- The header line of a CSV file and the file's encoding:
    {'line': text or none when the file is empty, 'encoding': 'utf-8' | 'utf-16'}.
    A header that is not UTF-8 (nor UTF-16 LE) text stops the build. -#}
{% macro duckdb__csv_first_line(path, table_name) %}
    {%- set rejects = 'landing_header_' ~ table_name -%}
    {%- set probe -%}
        drop table if exists {{ rejects }}_errors;
        drop table if exists {{ rejects }}_scans;
        create or replace temp table {{ rejects }} as
            select line from {{ duckdb__line_reader(path, 'utf-8', rejects) }} limit 1;
        select
            (select line from {{ rejects }}) as line,
            (select contains(line, chr(0)) from {{ rejects }}) as has_nul,
            (select count(*) from {{ rejects }}_errors where line = 1) as header_rejected
    {%- endset -%}
    {%- set found = run_query(probe).rows[0] -%}
    {%- set line, has_nul, header_rejected = found[0], found[1], found[2] > 0 -%}
    {%- set encoding = 'utf-8' -%}
    {%- if header_rejected -%}
        {#- Not UTF-8: only a UTF-16 byte-order mark is understood. -#}
        {%- set mark = run_query("select hex(content[1:2]) from read_blob(" ~ landing_literal(path) ~ ")").rows[0][0] -%}
        {%- if mark == 'FEFF' -%}
            {{ exceptions.raise_compiler_error(
                "Landing data: " ~ path ~ " is UTF-16 big-endian encoded, which cannot be read; save it as UTF-8.") }}
        {%- elif mark != 'FFFE' -%}
            {{ exceptions.raise_compiler_error(
                "Landing data: " ~ path ~ ": its header row is not UTF-8 text (nor UTF-16 with a byte-order "
                ~ "mark); save the file as UTF-8.") }}
        {%- endif -%}
        {%- set encoding = 'utf-16' -%}
    {%- elif has_nul -%}
        {%- set encoding = 'utf-16' -%}
    {%- endif -%}
    {%- if encoding == 'utf-16' -%}
        {%- set line = run_query(
            "drop table if exists " ~ rejects ~ "_errors; drop table if exists " ~ rejects ~ "_scans; "
            ~ "select line from " ~ duckdb__line_reader(path, 'utf-16', rejects) ~ " limit 1"
        ).rows[0][0] -%}
    {%- endif -%}
    {{ return({'line': none if line is none else line.rstrip('\r'), 'encoding': encoding}) }}
{% endmacro %}


{#- read_csv over a landing file: every field as text under positional
    names c1..cN, N = header width, plus c<N+1> to catch surplus fields.
    Lenient (strict_mode off) so that no line break or quote ever makes the
    reader fail, but nothing is lost: a row with fewer fields is padded with
    NULL (its c<N> is NULL, as empty fields read as '' here), a row with more
    fields has c<N+1> set; both are flagged by duckdb__csv_landing_relation.
    `tolerant` skips rows that cannot be decoded or are too long; with
    `rejects` they are recorded in <rejects>_errors. Not parallel: DuckDB
    pads rows only in a single-threaded scan. -#}
{% macro duckdb__csv_reader(path, width, encoding, tolerant, rejects=none) -%}
    read_csv({{ landing_literal(path) }}, header = true, auto_detect = false,
        columns = { {%- for i in range(1, width + 2) %}'c{{ i }}': 'VARCHAR'{{ ", " if not loop.last }}{% endfor -%} },
        delim = ',', quote = '"', escape = '"', encoding = '{{ encoding }}',
        strict_mode = false, null_padding = true, parallel = false, nullstr = chr(1)
        {%- if tolerant %}, ignore_errors = true{% endif %}
        {%- if rejects %}, store_rejects = true, rejects_table = '{{ rejects }}_errors',
        rejects_scan = '{{ rejects }}_scans'{% endif %})
{%- endmacro %}


{#- The rows read from a CSV file, every field (c1..c<width+1>), in file
    order. The filter makes the reader decode every field even when a query
    only counts rows, so that counting and reading agree on which rows
    cannot be decoded. -#}
{% macro duckdb__csv_rows(path, width, encoding, tolerant, rejects=none) -%}
    select
        {%- for i in range(1, width + 2) %}
        c{{ i }},
        {%- endfor %}
        row_number() over () as _read_position
    from {{ duckdb__csv_reader(path, width, encoding, tolerant, rejects) }}
    where length(concat_ws('' {%- for i in range(1, width + 2) %}, c{{ i }}{% endfor %})) >= 0
{%- endmacro %}


{#- Rows of a CSV file that cannot be read at all (bytes that do not decode,
    a line over the size limit): [{line, kind, problem, raw_line}]. -#}
{% macro duckdb__csv_unreadable_rows(path, table_name, header, encoding) %}
    {%- set rejects = 'landing_rejects_' ~ table_name -%}
    {%- set scan -%}
        drop table if exists {{ rejects }}_errors;
        drop table if exists {{ rejects }}_scans;
        select count(*) from ({{ duckdb__csv_rows(path, header | length, encoding, true, rejects) }}) as scanned;
        select
            line,
            error_type,
            column_name,
            error_message,
            replace(left(coalesce(csv_line, ''), 2000), chr(0), '') as raw_line,
            count(*) over () as unreadable_rows
        from (
            select *, row_number() over (partition by line order by byte_position, column_idx) as error_rank
            from {{ rejects }}_errors
        ) as errors
        where error_rank = 1
        order by line
        limit {{ landing_max_unreadable_rows() + 1 }}
    {%- endset -%}
    {%- set found = run_query(scan) -%}
    {%- set rows = [] -%}
    {%- for row in found.rows -%}
        {%- set position = (row[2] or '')[1:] -%}
        {%- set column = header[position | int - 1] | trim
            if position.isdigit() and position | int <= header | length else none -%}
        {%- set kinds = {
            'INVALID ENCODING': 'bytes that are not ' ~ encoding | upper ~ ' text',
            'LINE SIZE OVER MAXIMUM': 'a line longer than the size limit',
        } -%}
        {%- set problem = 'row is not readable CSV (line ' ~ row[0] ~ (", column '" ~ column ~ "'" if column else '')
            ~ '): ' ~ kinds.get(row[1], row[1] | lower) ~ ' - ' ~ row[3] -%}
        {%- do rows.append({'line': row[0], 'kind': row[1], 'problem': problem, 'raw_line': row[4], 'total': row[5]}) -%}
    {%- endfor -%}
    {%- if rows | length > landing_max_unreadable_rows() -%}
        {{ exceptions.raise_compiler_error(
            "Landing data: " ~ path ~ ": " ~ rows[0].total ~ " rows cannot be read as CSV (more than "
            ~ landing_max_unreadable_rows() ~ " to quarantine one by one); first: " ~ rows[0].problem) }}
    {%- endif -%}
    {{ return(rows) }}
{% endmacro %}


{#- True when a file that is not valid UTF-8 is Latin-1 throughout: the
    rows that are valid UTF-8 are plain ASCII (no UTF-8 multi-byte character
    anywhere), and no byte is in 0x80-0x9F (undefined in Latin-1; such a
    file, e.g. Windows-1252, keeps its undecodable rows quarantined). -#}
{% macro duckdb__csv_is_latin1(path, width) %}
    {%- set non_ascii -%}'[^\x00-\x7F]'{%- endset -%}
    {%- set found = run_query(
        "select count(*) from (" ~ duckdb__csv_rows(path, width, 'utf-8', true) ~ ") as rows_read"
        ~ " where regexp_matches(concat_ws('', c" ~ (range(1, width + 2) | join(', c')) ~ "), " ~ non_ascii ~ ")"
    ) -%}
    {%- if found.rows[0][0] > 0 -%}
        {{ return(false) }}
    {%- endif -%}
    {#- Blob text shows bytes >= 0x80 as \xNN. -#}
    {%- set c1_byte -%}'\\x[89][0-9A-Fa-f]'{%- endset -%}
    {%- set found = run_query(
        "select regexp_matches(cast(content as varchar), " ~ c1_byte ~ ") from read_blob(" ~ landing_literal(path) ~ ")"
    ) -%}
    {{ return(not found.rows[0][0]) }}
{% endmacro %}


{% macro duckdb__csv_landing_relation(table_name, spec, path) %}
    {%- set first = duckdb__csv_first_line(path, table_name) -%}
    {%- if first.line is none or first.line | trim == '' -%}
        {{ exceptions.raise_compiler_error(
            "Landing data: " ~ path ~ " is empty: it has no header row (a file with no rows needs at least "
            ~ "the header line: " ~ spec.columns | map(attribute='name') | join(',') ~ ").") }}
    {%- endif -%}
    {%- set header = split_csv_line(first.line) -%}
    {#- contract column -> 1-based position in the file -#}
    {%- set positions = {} -%}
    {%- for name in header -%}
        {%- set key = name | trim | lower -%}
        {%- if key in positions -%}
            {{ exceptions.raise_compiler_error(
                "Landing data: " ~ path ~ " has column '" ~ key ~ "' more than once in its header "
                ~ "(column names are matched case-insensitively); keep one.") }}
        {%- endif -%}
        {%- do positions.update({key: loop.index}) -%}
    {%- endfor -%}
    {%- for column in spec.columns -%}
        {%- if column.name not in positions and column.required -%}
            {{ exceptions.raise_compiler_error(
                "Landing data: " ~ path ~ " has no column '" ~ column.name
                ~ "', which the raw contract requires (found: "
                ~ (header | map('trim') | join(', ')) ~ ").") }}
        {%- endif -%}
    {%- endfor -%}
    {%- set encoding = first.encoding -%}
    {%- set width = header | length -%}
    {%- set unreadable = duckdb__csv_unreadable_rows(path, table_name, header, encoding) -%}
    {%- if encoding == 'utf-8' and unreadable | selectattr('kind', 'equalto', 'INVALID ENCODING') | list | length > 0
            and duckdb__csv_is_latin1(path, width) -%}
        {%- set encoding = 'latin-1' -%}
        {%- set unreadable = duckdb__csv_unreadable_rows(path, table_name, header, encoding) -%}
    {%- endif -%}
    {#- Data row number of a read row: its position among the read rows plus
        the unreadable rows before it (unreadable row i is data row
        line - 1, with line - 1 - i readable rows before it). -#}
    {%- set thresholds = [] -%}
    {%- for row in unreadable -%}
        {%- do thresholds.append(row.line - 1 - loop.index) -%}
    {%- endfor -%}
    {%- set sql -%}
        (
            select
                {%- for column in spec.columns %}
                {% if column.name in positions -%}
                c{{ positions[column.name] }}
                {%- else -%}
                cast(null as varchar)
                {%- endif %} as {{ column.name }},
                {%- endfor %}
                {% if thresholds -%}
                _read_position + len(list_filter({{ thresholds }}, threshold -> threshold < _read_position))
                {%- else -%}
                _read_position
                {%- endif %} as _raw_row_number,
                {{ landing_literal(path) }} as _source_file,
                case
                    when c{{ width + 1 }} is not null
                        then 'row is not readable CSV: more fields than the {{ width }} of the header'
                    when c{{ width }} is null
                        then 'row is not readable CSV: fewer fields than the {{ width }} of the header'
                            || ' (a missing delimiter, or an unterminated quote running on)'
                end as _read_problem,
                case
                    when c{{ width + 1 }} is not null or c{{ width }} is null
                        then concat_ws(','{%- for i in range(1, width + 2) %}, c{{ i }}{% endfor %})
                end as _raw_line
            from ({{ duckdb__csv_rows(path, width, encoding, unreadable | length > 0) }}) as landing_file
            {%- for row in unreadable %}
            union all
            select
                {%- for column in spec.columns %}
                cast(null as varchar) as {{ column.name }},
                {%- endfor %}
                {{ row.line - 1 }} as _raw_row_number,
                {{ landing_literal(path) }} as _source_file,
                {{ landing_literal(row.problem) }} as _read_problem,
                {{ landing_literal(row.raw_line) }} as _raw_line
            {%- endfor %}
        )
    {%- endset -%}
    {{ return(sql) }}
{% endmacro %}


{% macro duckdb__parquet_landing_relation(table_name, spec, path) %}
    {%- set reader = "read_parquet(" ~ landing_literal(path) ~ ", binary_as_string = true)" -%}
    {#- The row number comes from the file (file_row_number), which keeps the
        scan parallel; row_number() over () would not. -#}
    {%- set numbered_reader = "read_parquet(" ~ landing_literal(path)
        ~ ", binary_as_string = true, file_row_number = true)" -%}
    {%- set described = run_query("describe select * from " ~ reader) -%}
    {%- set file_columns = {} -%}
    {%- for row in described.rows -%}
        {%- set key = row[0] | trim | lower -%}
        {%- if key in file_columns -%}
            {{ exceptions.raise_compiler_error(
                "Landing data: " ~ path ~ " has column '" ~ key ~ "' more than once "
                ~ "(column names are matched case-insensitively); keep one.") }}
        {%- endif -%}
        {%- do file_columns.update({key: {'name': row[0], 'type': row[1] | string}}) -%}
    {%- endfor -%}
    {%- set selects = [] -%}
    {%- for column in spec.columns -%}
        {%- if column.name in file_columns -%}
            {%- set found = file_columns[column.name] -%}
            {%- if modules.re.search('STRUCT|MAP|UNION|\\[\\]|\\[[0-9]+\\]', found.type) -%}
                {{ exceptions.raise_compiler_error(
                    "Landing data: " ~ path ~ " column '" ~ column.name ~ "' has the nested type "
                    ~ found.type ~ "; the raw contract expects a plain " ~ column.type ~ " value.") }}
            {%- endif -%}
            {%- do selects.append('cast("' ~ found.name | replace('"', '""') ~ '" as varchar) as ' ~ column.name) -%}
        {%- elif column.required -%}
            {{ exceptions.raise_compiler_error(
                "Landing data: " ~ path ~ " has no column '" ~ column.name
                ~ "', which the raw contract requires (found: "
                ~ (described.columns[0].values() | join(', ')) ~ ").") }}
        {%- else -%}
            {%- do selects.append('cast(null as varchar) as ' ~ column.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set sql -%}
        (
            select
                {{ selects | join(',\n                ') }},
                file_row_number + 1 as _raw_row_number,
                {{ landing_literal(path) }} as _source_file,
                cast(null as varchar) as _read_problem,
                cast(null as varchar) as _raw_line
            from {{ numbered_reader }}
        )
    {%- endset -%}
    {{ return(sql) }}
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
    {%- if path.endswith('.parquet') -%}
        {{ return(duckdb__parquet_landing_relation(table_name, spec, path)) }}
    {%- endif -%}
    {{ return(duckdb__csv_landing_relation(table_name, spec, path)) }}
{% endmacro %}


{% macro empty_landing_relation(spec) %}
    {%- set sql -%}
        (
            select
                {%- for column in spec.columns %}
                cast(null as {{ dbt.type_string() }}) as {{ column.name }},
                {%- endfor %}
                cast(null as {{ dbt.type_bigint() }}) as _raw_row_number,
                cast(null as {{ dbt.type_string() }}) as _source_file,
                cast(null as {{ dbt.type_string() }}) as _read_problem,
                cast(null as {{ dbt.type_string() }}) as _raw_line
            where 1 = 0
        )
    {%- endset -%}
    {{ return(sql) }}
{% endmacro %}
