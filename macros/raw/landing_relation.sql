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
    file, a required table with no data rows, a contract column twice in the
    header, a nested Parquet column or one of the wrong physical type, an
    unsupported encoding, too many unreadable rows. (Most rows unreadable or
    a required column failing in most rows: landing_file_check, at run time.)
    A problem of single CSV records (a broken quote, more or fewer fields than
    the header, undecodable bytes) does not: the record is kept with
    `_read_problem` set, and ends up quarantined with its raw text.

    Records: the rule of macros/raw/landing_records.sql (RFC 4180; a broken
    quote costs only its own record). A file whose lines are all plain
    records (or valid multi-line ones) is read by DuckDB's read_csv; a file
    with a broken or stray quote, or a Windows-1252 file, by that rule
    itself (lines grouped into records, fields split in SQL).

    Encodings: UTF-8 (with or without BOM), UTF-16 LE with BOM; a file that
    is not valid UTF-8 and has no UTF-8 multi-byte character is read as
    Windows-1252. See docs/landing-reader.md.
-#}
{% macro landing_relation(table_name) %}
    {{ return(landing_read(table_name).relation) }}
{% endmacro %}


{#- What the reader found of a landing table: {'relation': the subquery of
    landing_relation(), 'file': the path read (none when there is none),
    'format': 'csv' | 'parquet', 'encoding': 'utf-8' | 'utf-16' |
    'windows-1252' (CSV), 'records': the file's data records counted
    independently of the reader (line scan of the record rule of
    macros/raw/landing_records.sql; Parquet: the file's row count)}. -#}
{% macro landing_read(table_name) %}
    {{ return(adapter.dispatch('landing_read', 'subscription_metrics')(table_name)) }}
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


{#- A reader of a file's physical lines (no field splitting; a blank line
    reads as null), never failing: undecodable lines are skipped (and
    recorded in `<rejects>_errors` when `rejects` is given). -#}
{% macro duckdb__line_reader(path, encoding, rejects=none, ordered=true) -%}
    read_csv({{ landing_literal(path) }}, header = false, auto_detect = false,
        columns = {'line': 'VARCHAR'}, delim = chr(31), quote = '', escape = '',
        encoding = '{{ encoding }}', strict_mode = false, parallel = {{ 'false' if ordered else 'true' }},
        {%- if rejects %} store_rejects = true,
        rejects_table = '{{ rejects }}_errors', rejects_scan = '{{ rejects }}_scans'
        {%- else %} ignore_errors = true{% endif %})
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
            {#- Not UTF-8 text: read as Windows-1252 (decoded by the caller). -#}
            {{ return({'line': none, 'encoding': 'windows-1252'}) }}
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


{#- The physical lines of a CSV file as (q = position among the lines read,
    1 = header; line). Windows-1252: the whole file is decoded in SQL (read
    as bytes; DuckDB shows every byte that is not printable ASCII as \xNN,
    and each such byte present is replaced by its character), then split on
    its line breaks. UTF-8 / UTF-16: DuckDB's line reader (undecodable
    lines skipped, and recorded in <rejects>_errors when `rejects` is set). -#}
{% macro duckdb__csv_lines(path, encoding, rejects=none, ordered=true) -%}
    {%- if encoding == 'windows-1252' -%}
    {%- set bytes = "cast(content as varchar)" -%}
    {%- set found = run_query(
        "select array_to_string(list_sort(list_distinct(regexp_extract_all(cast(content as varchar), '\\\\x[0-9A-F]{2}'))), ' ')"
        ~ " from read_blob(" ~ landing_literal(path) ~ ")").rows[0][0].split(' ') -%}
    {%- set decoded = namespace(sql=bytes) -%}
    {%- for token in found if token != '\\x5C' -%}
        {%- set decoded.sql = "replace(" ~ decoded.sql ~ ", '" ~ token ~ "', chr("
            ~ windows_1252_code_point(token[2:]) ~ "))" -%}
    {%- endfor -%}
    {%- set decoded.sql = "replace(" ~ decoded.sql ~ ", '\\x5C', chr(92))" -%}
    select generate_subscripts(file_lines, 1) as q, unnest(file_lines) as line
    from (
        select string_split(regexp_replace({{ decoded.sql }}, '\r\n|\r', chr(10), 'g'), chr(10)) as file_lines
        from read_blob({{ landing_literal(path) }})
    ) as decoded_file
    {%- else -%}
    {%- if ordered %}
    select row_number() over () as q, line
    {%- else %}
    select line
    {%- endif %}
    from {{ duckdb__line_reader(path, encoding, rejects, ordered) }}
    {%- endif -%}
{%- endmacro %}


{#- The lines of a CSV file, scanned: how many data lines are not blank,
    and the lines that are not a plain RFC 4180 record (a line with a quote
    that does not match csv_record_pattern): one cheap, parallel scan.
    Only when there are such lines, a second, ordered scan finds which end
    inside a quoted field (an odd number of quotes; their positions, for
    the record plan) and which have a quote inside a field. For UTF-8 /
    UTF-16, also the lines that cannot be decoded: [{line, problem,
    raw_line}] (line = physical line number). -#}
{% macro duckdb__csv_line_probe(path, table_name, encoding) %}
    {%- set rejects = 'landing_lines_' ~ table_name -%}
    {%- set keep_rejects = rejects if encoding != 'windows-1252' else none -%}
    {%- set scan -%}
        drop table if exists {{ rejects }}_errors;
        drop table if exists {{ rejects }}_scans;
        select
            count(line) filter (where line != '') as lines_not_blank,
            count(*) filter (
                where contains(line, '"') and not regexp_full_match(line, {{ landing_literal(csv_record_pattern()) }})
            ) as irregular_lines
        from ({{ duckdb__csv_lines(path, encoding, keep_rejects, ordered=(encoding == 'windows-1252')) }}) as file_lines
    {%- endset -%}
    {%- set found = run_query(scan).rows[0] -%}
    {%- set probe = {'data_lines': [found[0] | int - 1, 0] | max, 'odd_count': 0, 'stray_count': 0,
                     'odd_positions': [], 'rejected': []} -%}
    {%- if encoding != 'windows-1252' -%}
        {%- set errors = run_query(
            "select line, replace(left(coalesce(csv_line, ''), 2000), chr(0), '') from " ~ rejects
            ~ "_errors where line > 1 order by line limit " ~ (landing_max_unreadable_rows() + 1)) -%}
        {%- for row in errors.rows -%}
            {%- do probe.rejected.append({'line': row[0] | int, 'raw_line': row[1], 'problem':
                'row is not readable CSV (line ' ~ row[0] ~ '): bytes that are not ' ~ encoding | upper ~ ' text'}) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if found[1] > 0 -%}
        {%- set odd = quote_count('line') ~ ' % 2 = 1' -%}
        {%- set scan -%}
            select
                count(*) filter (where q > 1 and {{ odd }}) as odd_lines,
                count(*) filter (
                    where q > 1 and regexp_matches(line, {{ landing_literal(stray_quote_pattern()) }})
                ) as stray_lines,
                array_to_string(
                    (list(q order by q) filter (where q > 1 and {{ odd }}))[1:{{ landing_max_open_quote_lines() }}],
                    ',') as odd_positions
            from ({{ duckdb__csv_lines(path, encoding) }}) as file_lines
            where contains(line, '"')
        {%- endset -%}
        {%- set found = run_query(scan).rows[0] -%}
        {%- do probe.update({'odd_count': found[0] | int, 'stray_count': found[1] | int,
            'odd_positions': (found[2] or '').split(',') | reject('equalto', '') | map('int') | list}) -%}
    {%- endif -%}
    {{ return(probe) }}
{% endmacro %}


{#- Physical line number of a line read at position q: q plus the lines
    skipped (not decodable) before it; `thresholds`: for the j-th skipped
    line r_j, r_j - j. -#}
{% macro duckdb__physical_line(q, thresholds) -%}
    {%- if thresholds -%}
    {{ q }} + len(list_filter({{ thresholds }}, threshold -> threshold < {{ q }}))
    {%- else -%}
    {{ q }}
    {%- endif -%}
{%- endmacro %}


{#- Which (odd line, next odd line) pairs join into a record of `width`
    fields: {start line: blank lines in the span}. -#}
{% macro duckdb__csv_valid_quote_pairs(path, encoding, odd_lines, thresholds, width) %}
    {%- set pairs = landing_quote_pairs(odd_lines) -%}
    {%- if not pairs -%}
        {{ return({}) }}
    {%- endif -%}
    {%- set query -%}
        with file_lines as (
            select {{ duckdb__physical_line('q', thresholds) }} as line_number, coalesce(line, '') as line
            from ({{ duckdb__csv_lines(path, encoding) }}) as read_lines
        ),
        pairs as (
            select unnest({{ pairs | map('first') | list }}) as span_start,
                   unnest({{ pairs | map('last') | list }}) as span_end
        )
        select pairs.span_start, count(*) filter (where file_lines.line = '') as blanks
        from pairs
        inner join file_lines on file_lines.line_number between pairs.span_start and pairs.span_end
        group by pairs.span_start
        having
            {{ csv_field_count("string_agg(file_lines.line, chr(10) order by file_lines.line_number)") }} = {{ width }}
            and regexp_full_match(string_agg(file_lines.line, chr(10) order by file_lines.line_number),
                {{ landing_literal(csv_record_pattern()) }})
    {%- endset -%}
    {%- set valid = {} -%}
    {%- for row in run_query(query).rows -%}
        {%- do valid.update({row[0] | int: row[1] | int}) -%}
    {%- endfor -%}
    {{ return(valid) }}
{% endmacro %}


{#- The rows of a CSV file by the record rule, reading lines (used for a
    file with a broken quote, and for Windows-1252 files): every record's
    fields split in SQL. -#}
{% macro duckdb__csv_records_by_lines(spec, path, encoding, positions, width, plan, rejected, thresholds) -%}
    {%- set broken = plan.broken -%}
    (
        with file_lines as (
            select
                {{ duckdb__physical_line('q', thresholds) }} as line_number,
                coalesce(line, '') as line,
                cast(null as varchar) as problem
            from ({{ duckdb__csv_lines(path, encoding) }}) as read_lines
            {%- for row in rejected %}
            union all
            select {{ row.line }}, {{ landing_literal(row.raw_line) }}, {{ landing_literal(row.problem) }}
            {%- endfor %}
        ),
        spans as (
            {%- if plan.spans %}
            select unnest({{ plan.spans | map('first') | list }}) as span_start,
                   unnest({{ plan.spans | map('last') | list }}) as span_end
            {%- else %}
            select cast(null as bigint) as span_start, cast(null as bigint) as span_end where false
            {%- endif %}
        ),
        placed as (
            select
                file_lines.*,
                coalesce(spans.span_start, file_lines.line_number) as record_start
            from file_lines
            left join spans
                on file_lines.line_number between spans.span_start and spans.span_end
            where
                file_lines.line_number > 1
                and (file_lines.line != '' or spans.span_start is not null or file_lines.problem is not null)
        ),
        records as (
            select
                record_start,
                string_agg(line, chr(10) order by line_number) as record_text,
                max(problem) as problem
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
                    when problem is not null then problem
                    {%- if broken %}
                    when record_start in ({{ broken | join(', ') }})
                        then 'row is not readable CSV (line ' || record_start || '): an unterminated quote (the '
                            || 'line ends inside a quoted field that no later line closes into a record of the '
                            || '{{ width }} fields of the header); the rows after it are read on'
                    {%- endif %}
                    {%- if encoding == 'windows-1252' %}
                    when contains(record_text, chr(65533))
                        then 'row is not readable CSV (line ' || record_start || '): bytes that are not '
                            || 'Windows-1252 text (0x81, 0x8D, 0x8F, 0x90 or 0x9D)'
                    {%- endif %}
                    when len(fields) > {{ width }}
                        then 'row is not readable CSV: more fields than the {{ width }} of the header'
                    when len(fields) < {{ width }}
                        then 'row is not readable CSV: fewer fields than the {{ width }} of the header'
                            || ' (a missing delimiter, or an unterminated quote running on)'
                end as read_problem
            from fielded
        )
        select
            {%- for column in spec.columns %}
            {% if column.name in positions -%}
            fields[{{ positions[column.name] }}]
            {%- else -%}
            cast(null as varchar)
            {%- endif %} as {{ column.name }},
            {%- endfor %}
            record_number as _raw_row_number,
            {{ landing_literal(path) }} as _source_file,
            read_problem as _read_problem,
            case when read_problem is not null then record_text end as _raw_line
        from judged
    )
{%- endmacro %}


{% macro duckdb__csv_landing_read(table_name, spec, path) %}
    {%- set first = duckdb__csv_first_line(path, table_name) -%}
    {%- set encoding = first.encoding -%}
    {%- set probe = duckdb__csv_line_probe(path, table_name, encoding) if encoding != 'windows-1252' else none -%}
    {%- if probe is not none and probe.rejected -%}
        {#- Not valid UTF-8 throughout: Windows-1252, unless the file also
            holds UTF-8 multi-byte characters (then it is UTF-8 with a few
            damaged rows, which are quarantined). -#}
        {%- set multi_byte = run_query(
            "select count(*) from (" ~ duckdb__csv_lines(path, encoding) ~ ") as file_lines"
            ~ " where regexp_matches(line, '[^\\x00-\\x7F]')").rows[0][0] -%}
        {%- if encoding == 'utf-8' and multi_byte == 0 -%}
            {%- set encoding = 'windows-1252' -%}
            {%- set probe = none -%}
        {%- endif -%}
    {%- endif -%}
    {%- set header_line = first.line -%}
    {%- if encoding == 'windows-1252' -%}
        {%- set probe = duckdb__csv_line_probe(path, table_name, encoding) -%}
        {%- set header_line = run_query("select line from (" ~ duckdb__csv_lines(path, encoding)
            ~ ") as file_lines where q = 1").rows[0][0] -%}
        {%- if header_line is none or modules.re.search('\ufffd', header_line) -%}
            {{ exceptions.raise_compiler_error(
                "Landing data: " ~ path ~ ": its header row is not UTF-8 text (nor Windows-1252, nor UTF-16 "
                ~ "with a byte-order mark); save the file as UTF-8.") }}
        {%- endif -%}
        {%- set header_line = (header_line or '').rstrip('\r') -%}
    {%- endif -%}
    {%- if header_line is none or header_line | trim == '' -%}
        {{ exceptions.raise_compiler_error(
            "Landing data: " ~ path ~ " is empty: it has no header row (a file with no rows needs at least "
            ~ "the header line: " ~ spec.columns | map(attribute='name') | join(',') ~ ").") }}
    {%- endif -%}
    {%- set header = split_csv_line(header_line) -%}
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
    {%- do landing_column_aliases(spec, positions) -%}
    {%- for column in spec.columns -%}
        {%- if column.name not in positions and column.required -%}
            {{ exceptions.raise_compiler_error(
                "Landing data: " ~ path ~ " has no column '" ~ column.name
                ~ "', which the raw contract requires (found: "
                ~ (header | map('trim') | join(', ')) ~ ").") }}
        {%- endif -%}
    {%- endfor -%}
    {%- set width = header | length -%}
    {%- if probe.rejected | length > landing_max_unreadable_rows() -%}
        {{ exceptions.raise_compiler_error(
            "Landing data: " ~ path ~ ": more than " ~ landing_max_unreadable_rows() ~ " rows cannot be read as "
            ~ "CSV (too many to quarantine one by one); first: " ~ probe.rejected[0].problem) }}
    {%- endif -%}
    {%- if probe.odd_count > landing_max_open_quote_lines() -%}
        {{ exceptions.raise_compiler_error(
            "Landing data: " ~ path ~ ": " ~ probe.odd_count ~ " lines end inside a quoted field (more than "
            ~ landing_max_open_quote_lines() ~ "); check the file's quoting (first: line "
            ~ probe.odd_positions[0] ~ ").") }}
    {%- endif -%}
    {#- Physical line numbers (lines that could not be decoded are records too). -#}
    {%- set thresholds = [] -%}
    {%- for row in probe.rejected -%}
        {%- do thresholds.append(row.line - loop.index) -%}
    {%- endfor -%}
    {%- set odd_lines = [] -%}
    {%- for q in probe.odd_positions -%}
        {%- do odd_lines.append(q + thresholds | select('lt', q) | list | length) -%}
    {%- endfor -%}
    {%- set valid = duckdb__csv_valid_quote_pairs(path, encoding, odd_lines, thresholds, width) if odd_lines else {} -%}
    {%- set plan = landing_record_plan(odd_lines, valid) -%}
    {%- set records = probe.data_lines + probe.rejected | length - plan.joined -%}
    {%- if records == 0 and not spec.optional -%}
        {{ exceptions.raise_compiler_error(
            "Landing data: " ~ path ~ " has no data rows (only its header); " ~ table_name
            ~ " is a required table: export the file again with its rows.") }}
    {%- endif -%}
    {%- set facts = {'file': path, 'format': 'csv', 'encoding': encoding, 'records': records} -%}
    {%- if encoding == 'windows-1252' or plan.broken or probe.stray_count > 0 -%}
        {%- do facts.update({'relation': duckdb__csv_records_by_lines(
            spec, path, encoding, positions, width, plan, probe.rejected, thresholds)}) -%}
        {{ return(facts) }}
    {%- endif -%}
    {%- set unreadable = duckdb__csv_unreadable_rows(path, table_name, header, encoding) if probe.rejected else [] -%}
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
    {%- do facts.update({'relation': sql}) -%}
    {{ return(facts) }}
{% endmacro %}


{#- The Parquet physical types (as DuckDB names them) a contract type
    accepts, as a regular expression; none = any plain type. -#}
{% macro parquet_types_accepted(type) %}
    {%- set temporal = 'VARCHAR|DATE|TIMESTAMP.*' -%}
    {%- set numeric = 'VARCHAR|U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)|FLOAT|DOUBLE|DECIMAL.*' -%}
    {%- set boolean = 'VARCHAR|BOOLEAN|U?(TINYINT|SMALLINT|INTEGER|BIGINT)' -%}
    {{ return({'timestamp': temporal, 'date': temporal, 'money': numeric, 'number': numeric,
               'integer': numeric, 'boolean': boolean}.get(type)) }}
{% endmacro %}


{#- What a Parquet column of a contract type must be, for the error line. -#}
{% macro parquet_type_expected(type) -%}
    {%- if type in ('timestamp', 'date') -%}
    a {{ type }}: a Parquet TIMESTAMP or DATE column, or ISO-8601 text
    {%- elif type == 'boolean' -%}
    a {{ type_description(type) }}: a Parquet BOOLEAN or integer column, or text
    {%- else -%}
    a {{ type_description(type) }}: a Parquet numeric column, or text
    {%- endif -%}
{%- endmacro %}


{% macro duckdb__parquet_landing_read(table_name, spec, path) %}
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
    {%- do landing_column_aliases(spec, file_columns) -%}
    {%- set selects = [] -%}
    {%- for column in spec.columns -%}
        {%- if column.name in file_columns -%}
            {%- set found = file_columns[column.name] -%}
            {%- if modules.re.search('STRUCT|MAP|UNION|\\[\\]|\\[[0-9]+\\]', found.type) -%}
                {{ exceptions.raise_compiler_error(
                    "Landing data: " ~ path ~ " column '" ~ column.name ~ "' has the nested type "
                    ~ found.type ~ "; the raw contract expects a plain " ~ column.type ~ " value.") }}
            {%- endif -%}
            {%- set accepted = parquet_types_accepted(column.type) -%}
            {%- if accepted and not modules.re.fullmatch(accepted, found.type | upper) -%}
                {{ exceptions.raise_compiler_error(
                    "Landing data: " ~ path ~ " column '" ~ column.name ~ "' is a " ~ found.type
                    ~ " column; the raw contract expects " ~ parquet_type_expected(column.type) ~ ".") }}
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
    {%- set records = run_query("select num_rows from parquet_file_metadata(" ~ landing_literal(path) ~ ")").rows[0][0] -%}
    {%- if records == 0 and not spec.optional -%}
        {{ exceptions.raise_compiler_error(
            "Landing data: " ~ path ~ " has no data rows; " ~ table_name
            ~ " is a required table: export the file again with its rows.") }}
    {%- endif -%}
    {{ return({'relation': sql, 'file': path, 'format': 'parquet', 'encoding': none, 'records': records}) }}
{% endmacro %}


{#- A spec column may name a different file column (`file_name`: Stripe's
    plan.interval, a reserved word in SQL, is read as plan_interval): the
    file's column found under that name is also found under the column's
    name. `found`: file column name (lower case) -> what was found. -#}
{% macro landing_column_aliases(spec, found) %}
    {%- for column in spec.columns if column.file_name -%}
        {%- if column.file_name in found and column.name not in found -%}
            {%- do found.update({column.name: found[column.file_name]}) -%}
        {%- endif -%}
    {%- endfor -%}
{% endmacro %}


{#- Nothing read: the relation of a table without a file (or at parse time). -#}
{% macro no_landing_file(spec) %}
    {{ return({'relation': empty_landing_relation(spec), 'file': none, 'format': none, 'encoding': none,
               'records': 0}) }}
{% endmacro %}


{% macro duckdb__landing_read(table_name) %}
    {%- set spec = landing_spec(table_name) -%}
    {%- if not execute -%}
        {#- Parsing: no files are read. -#}
        {{ return(no_landing_file(spec)) }}
    {%- endif -%}
    {%- set path = duckdb__landing_file(table_name) -%}
    {%- if path is none -%}
        {%- if spec.optional -%}
            {{ return(no_landing_file(spec)) }}
        {%- endif -%}
        {{ exceptions.raise_compiler_error(
            "Landing data: required file " ~ table_name ~ ".csv (or .parquet) not found in "
            ~ raw_data_dir() ~ " (set the dbt var raw_data_dir, or generate demo data with "
            ~ "`python scripts/generate_data.py --scale demo`).") }}
    {%- endif -%}
    {%- if path.endswith('.parquet') -%}
        {{ return(duckdb__parquet_landing_read(table_name, spec, path)) }}
    {%- endif -%}
    {{ return(duckdb__csv_landing_read(table_name, spec, path)) }}
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
