{#-
    The records of a CSV landing file, shared by the DuckDB and Spark readers.

    Record rule (RFC 4180 with recovery from a broken quote). The file is
    read as physical lines (LF, CRLF or CR). After the header line:
      - a line with an even number of double quotes is one record;
      - a line with an odd number of double quotes ends inside a quoted
        field: it continues over the following lines up to and including
        the next line with an odd number of quotes, but only when those
        joined lines hold exactly the header's number of fields (commas
        outside quoted sections, plus one) and span at most
        landing_max_record_lines() lines. Otherwise the line alone is a
        broken record (an unterminated quote: quarantined with its raw
        text) and reading resumes on the next line;
      - blank lines outside a record are skipped.
    So a valid file with multi-line quoted fields is read exactly, and a
    misplaced quote costs at most its own record.

    The same rule gives the file's record count (independent of the CSV
    parser that reads the values): audit.landing_files compares it with the
    rows read and stops the build when they differ.
-#}

{#- A quoted field may span at most this many lines. -#}
{% macro landing_max_record_lines() %}
    {{ return(1000) }}
{% endmacro %}


{#- At most this many lines ending inside quotes per file (they are paired
    at compile time). -#}
{% macro landing_max_open_quote_lines() %}
    {{ return(100000) }}
{% endmacro %}


{#- The consecutive (odd line, next odd line) pairs worth checking. -#}
{% macro landing_quote_pairs(odd_lines) %}
    {%- set pairs = [] -%}
    {%- for line in odd_lines -%}
        {%- if not loop.last and odd_lines[loop.index] - line < landing_max_record_lines() -%}
            {%- do pairs.append([line, odd_lines[loop.index]]) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(pairs) }}
{% endmacro %}


{#- The record plan of a file from its lines that end inside quotes
    (`odd_lines`, sorted) and which consecutive pairs join into a valid
    record (`valid`: {start line: blank lines in the span}):
    {'spans': [[start, end], ...] multi-line records, 'broken': [line, ...]
    unterminated quotes, 'joined': data lines folded into spans (the lines
    of a span minus one, blank lines included)}. Greedy, in file order. -#}
{% macro landing_record_plan(odd_lines, valid) %}
    {%- set state = namespace(skip=false, joined=0) -%}
    {%- set spans = [] -%}
    {%- set broken = [] -%}
    {%- for line in odd_lines -%}
        {%- if state.skip -%}
            {%- set state.skip = false -%}
        {%- elif not loop.last and line in valid -%}
            {%- set end = odd_lines[loop.index] -%}
            {%- do spans.append([line, end]) -%}
            {%- set state.joined = state.joined + (end - line) - valid[line] -%}
            {%- set state.skip = true -%}
        {%- else -%}
            {%- do broken.append(line) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return({'spans': spans, 'broken': broken, 'joined': state.joined}) }}
{% endmacro %}


{#- A CSV record as RFC 4180 writes it: fields separated by commas, each
    either quoted (any text, "" for a quote, line breaks allowed) or plain
    (no quote, comma or line break). A multi-line record must match it. -#}
{% macro csv_record_pattern() %}
    {{ return('("([^"]|"")*"|[^",\r\n]*)(,("([^"]|"")*"|[^",\r\n]*))*') }}
{% endmacro %}


{#- A line with a quote inside a field (neither at a field's start or end
    nor part of ""): the line is still one record, but it is read by the
    record rule rather than by the engine's CSV reader (which would let such
    a quote open a field that runs on over the following lines). -#}
{% macro stray_quote_pattern() %}
    {{ return('[^,"]"[^,"]') }}
{% endmacro %}


{#- Number of double quotes in a text. -#}
{% macro quote_count(text) -%}
    case when {{ dbt.position("'\"'", text) }} > 0
        then length({{ text }}) - length(replace({{ text }}, '"', '')) else 0 end
{%- endmacro %}


{#- Number of fields of a CSV record text: its commas outside quoted
    sections, plus one. -#}
{% macro csv_field_count(text) %}
    {{ return(adapter.dispatch('csv_field_count', 'subscription_metrics')(text)) }}
{% endmacro %}

{% macro default__csv_field_count(text) -%}
    length(regexp_replace({{ text }}, '"([^"]|"")*"|[^,]', '', 'g')) + 1
{%- endmacro %}

{% macro spark__csv_field_count(text) -%}
    length(regexp_replace({{ text }}, '"([^"]|"")*"|[^,]', '')) + 1
{%- endmacro %}


{#- The unquoted fields of a CSV record text (an array / list; RFC 4180:
    commas inside quotes and "" kept). -#}
{% macro csv_record_fields(text) %}
    {{ return(adapter.dispatch('csv_record_fields', 'subscription_metrics')(text)) }}
{% endmacro %}

{#- DuckDB: the text split on its quotes; the commas of every other piece
    (outside quotes) become field separators. -#}
{% macro duckdb__csv_record_fields(text) -%}
    list_transform(
        string_split(
            array_to_string(
                list_transform(string_split({{ text }}, '"'),
                    (piece, position) -> case when position % 2 = 1 then replace(piece, ',', chr(31)) else piece end),
                '"'),
            chr(31)),
        field -> case
            when length(field) >= 2 and starts_with(field, '"') and ends_with(field, '"')
                then replace(substring(field, 2, length(field) - 2), '""', '"')
            else field
        end)
{%- endmacro %}


{#- Spark: the same with 0-based positions (split keeps trailing empty
    pieces with limit -1). -#}
{% macro spark__csv_record_fields(text) -%}
    transform(
        split(
            array_join(
                transform(split({{ text }}, '"', -1),
                    (piece, position) -> case when position % 2 = 0 then replace(piece, ',', chr(31)) else piece end),
                '"'),
            chr(31), -1),
        field -> case
            when length(field) >= 2 and startswith(field, '"') and endswith(field, '"')
                then replace(substring(field, 2, length(field) - 2), '""', '"')
            else field
        end)
{%- endmacro %}


{#- Windows-1252 characters of bytes 0x80-0x9F (the other bytes >= 0xA0
    are the same code points as Latin-1); none where cp1252 has none. -#}
{% macro windows_1252_high_characters() %}
    {{ return({
        '80': 8364, '81': none, '82': 8218, '83': 402, '84': 8222, '85': 8230, '86': 8224, '87': 8225,
        '88': 710, '89': 8240, '8A': 352, '8B': 8249, '8C': 338, '8D': none, '8E': 381, '8F': none,
        '90': none, '91': 8216, '92': 8217, '93': 8220, '94': 8221, '95': 8226, '96': 8211, '97': 8212,
        '98': 732, '99': 8482, '9A': 353, '9B': 8250, '9C': 339, '9D': none, '9E': 382, '9F': 376,
    }) }}
{% endmacro %}


{#- The code point a Windows-1252 byte (two hex digits) decodes to; 65533
    (U+FFFD) for the five bytes Windows-1252 leaves undefined. -#}
{% macro windows_1252_code_point(hex_byte) %}
    {%- set high = windows_1252_high_characters() -%}
    {%- if hex_byte in high -%}
        {{ return(high[hex_byte] if high[hex_byte] is not none else 65533) }}
    {%- endif -%}
    {{ return(hex_byte | int(base=16)) }}
{% endmacro %}
