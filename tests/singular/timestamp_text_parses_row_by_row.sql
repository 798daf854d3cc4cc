-- Landing timestamps parse to UTC row by row: a named zone or an offset on
-- one row never changes how the next rows are read. The first row carries a
-- named zone on purpose: DuckDB 1.4's TIMESTAMPTZ cast reads later naive
-- rows of the same vector in that zone (macros/portability.sql avoids it).
-- Returns the rows whose parsed value differs from the expected one.
with cases as (
    select
        case_number,
        raw_text,
        cast(expected_utc as timestamp) as expected_utc
    from (
        values
        (1, '2023-01-01T01:00:00 America/New_York', '2023-01-01 06:00:00'),
        (2, '2023-01-01T01:00:00', '2023-01-01 01:00:00'),
        (3, '2023-01-01 01:00:00', '2023-01-01 01:00:00'),
        (4, '2023-01-01T01:00:00Z', '2023-01-01 01:00:00'),
        (5, '2023-01-01T01:00:00+02:00', '2022-12-31 23:00:00'),
        (6, '2023-01-01T01:00:00-05:30', '2023-01-01 06:30:00'),
        (7, '2023-07-01T01:00:00 Europe/Berlin', '2023-06-30 23:00:00'),
        (8, '2023-01-01', '2023-01-01 00:00:00'),
        (9, 'not a time', null),
        (10, '2023-01-01T01:00:00.250', '2023-01-01 01:00:00.250'),
        (11, '2023-01-01T23:30:00-01:00', '2023-01-02 00:30:00')
    ) as literal_cases (case_number, raw_text, expected_utc)
),

parsed as (
    select
        case_number,
        raw_text,
        expected_utc,
        {{ safe_cast_timestamp_utc('raw_text') }} as parsed_utc
    from cases
)

select *
from parsed
where
    parsed_utc != expected_utc
    or (parsed_utc is null and expected_utc is not null)
    or (parsed_utc is not null and expected_utc is null)
