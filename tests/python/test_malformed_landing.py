"""Malformed landing files: quarantined row by row, or one clear line.

The rule (docs/landing-reader.md, docs/quarantine-rules.md): every malformed landing file either builds
with its bad rows quarantined and the row counts reconciling, or stops the
build with ONE line naming the file, the column and the problem. Never a
stack trace as the only message, never a silently lost row.

* explicit cases: one landing directory with a non-fatal problem of each
  kind (BOM, CRLF, ragged rows, bytes that are not UTF-8, a Latin-1 file,
  wrong types, huge values, mixed time zones, duplicated keys, exact
  duplicates, an unterminated quote, a NUL byte, a header-only file, extra
  and reordered columns, Parquet with wrong column types), and one build
  per fatal kind (missing file, missing column, empty file, duplicated
  header column, UTF-16 BE, Parquet missing a column / nested column /
  not Parquet at all, invalid vars);
* a property-based test (hypothesis) that applies random combinations of
  those mutations to a small valid landing directory and checks the rule;
* the publish command on a fatal file: one line on stderr, exit code 1,
  the published warehouse untouched.

"No row lost" is checked against an independent count: the records of each
file as Python's csv module (or pyarrow) reads them.

dbt runs in-process (dbtRunner), always on the same landing path so that
partial parsing applies; each build selects only the staging and audit
models (the landing reader, quarantine and reconciliation).
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "scripts"))

duckdb = pytest.importorskip("duckdb")
hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from landing_cases import (  # noqa: E402
    AS_OF, ISSUE_CASES, OPTIONAL, STAGING_SELECTION, TABLES, IssueCase, LandingFile, check_issue_case, count_records,
    csv_bytes, valid_landing, write_landing,
)

pytestmark = [pytest.mark.dbt, pytest.mark.slow]

REQUIRED = {
    "customers": ["customer_id", "created_at"],
    "plans": ["plan_id", "billing_interval", "currency"],
    "subscriptions": ["subscription_id", "customer_id", "plan_id", "amount", "currency", "status", "period_start"],
    "invoices": ["invoice_id", "customer_id", "issued_at", "amount_due", "currency", "status"],
    "events": ["event_id", "customer_id", "event_name", "occurred_at"],
    "fx_rates": ["currency", "rate_date", "rate_to_reporting"],
    "marketing_spend": ["month", "acquisition_channel", "amount"],
}
#: a typed column per table, to break with values that never parse
TYPED = {
    "customers": ("created_at", "timestamp"),
    "plans": ("list_price", "money"),
    "subscriptions": ("amount", "money"),
    "invoices": ("issued_at", "timestamp"),
    "events": ("duration_seconds", "number"),
    "fx_rates": ("rate_to_reporting", "number"),
    "marketing_spend": ("month", "date"),
}
TIMESTAMPS = {
    "customers": ["created_at"],
    "subscriptions": ["period_start", "period_end"],
    "invoices": ["issued_at", "period_start", "period_end", "paid_at"],
    "events": ["occurred_at"],
}
#: every date/timestamp column per table (the plausible-date floor applies to all)
DATE_COLUMNS = {**TIMESTAMPS, "fx_rates": ["rate_date"], "marketing_spend": ["month"]}
#: before the default floor (2000-01-01), or words an engine may read as a date
IMPLAUSIBLE_DATES = ["1970-01-01T00:00:00", "1970-01-01", "epoch", "EPOCH", "infinity", "-infinity", "+infinity",
                     "inf", "now", "today", "Tomorrow", "yesterday", "1999-12-31T23:59:59", "0001-01-01T00:00:00",
                     "1899-12-31", "1970-01-01T00:00:00Z"]
#: the default missing_value_tokens (dbt_project.yml)
MISSING_TOKENS = ["NULL", "null", "Null", "N/A", "n/a", "#N/A", "NA", "<NA>", "None", "none", "nil", "\\N"]
UNPARSEABLE = {
    "timestamp": ["not a time", "2026-02-30T10:00:00", "31/12/2026", "0001-01-01", "99999-01-01", "infinity",
                  "2026-13-01", "1700000000"],
    "date": ["2026-02-30", "yesterday", "0999-01-01", "2026/01/01x", "2026-01-01x", "2026-01-01 x"],
    "money": ["abc", "1e400", "12,50", "$5", "99999999999999999999", "1e15", "NaN", "--1"],
    "number": ["abc", "1e400", "NaN", "inf", "-inf", "1e300", "1,5"],
}


# ---------------------------------------------------------------------------
# mutations: each takes the file and a hypothesis-drawn parameter source


def _rows(landing: LandingFile) -> tuple[list[str], list[list[str]]]:
    text = landing.content.decode("utf-8")
    records = list(csv.reader(io.StringIO(text, newline="")))
    return records[0], records[1:]


def _rewrite(landing: LandingFile, header: list[str], rows: list[list[str]], **changes: Any) -> LandingFile:
    return LandingFile(landing.table, csv_bytes(header, rows), bad_rows=set(landing.bad_rows), **changes)


def _raw_lines(landing: LandingFile) -> list[bytes]:
    return landing.content.split(b"\n")


def mutate_ragged(landing: LandingFile, draw: Callable) -> LandingFile:
    header, rows = _rows(landing)
    index = draw(st.integers(0, len(rows) - 1))
    more = draw(st.booleans())
    rows[index] = rows[index] + ["surplus"] if more else rows[index][: draw(st.integers(1, len(header) - 1))]
    changed = _rewrite(landing, header, rows)
    changed.bad_rows.add(index + 1)
    return changed


def mutate_wrong_type(landing: LandingFile, draw: Callable) -> LandingFile:
    header, rows = _rows(landing)
    column, kind = TYPED[landing.table]
    index = draw(st.integers(0, len(rows) - 1))
    rows[index][header.index(column)] = draw(st.sampled_from(UNPARSEABLE[kind]))
    changed = _rewrite(landing, header, rows)
    changed.bad_rows.add(index + 1)
    return changed


def mutate_missing_required(landing: LandingFile, draw: Callable) -> LandingFile:
    header, rows = _rows(landing)
    index = draw(st.integers(0, len(rows) - 1))
    column = draw(st.sampled_from(REQUIRED[landing.table]))
    rows[index][header.index(column)] = draw(st.sampled_from(["", "  "]))
    changed = _rewrite(landing, header, rows)
    changed.bad_rows.add(index + 1)
    return changed


def mutate_non_utf8(landing: LandingFile, draw: Callable) -> LandingFile:
    """Bytes that are not UTF-8 in one field: either the row is quarantined,
    or (no valid multi-byte UTF-8 in the file) the file reads as Latin-1."""
    lines = _raw_lines(landing)
    index = draw(st.integers(1, len(lines) - 2))
    junk = draw(st.sampled_from([b"\xff", b"\xe9", b"\xc3\x28", b"\x80\x81", b"\xfc"]))
    lines[index] = lines[index].replace(b",", b"," + junk, 1) if b"," in lines[index] else lines[index] + junk
    return LandingFile(landing.table, b"\n".join(lines), bad_rows=set(landing.bad_rows))


def mutate_text_value(landing: LandingFile, draw: Callable) -> LandingFile:
    """Arbitrary text (quotes, commas, newlines, NUL, non-ASCII, long) in a
    free-text or typed field: the row may be clean or quarantined, never lost."""
    header, rows = _rows(landing)
    index = draw(st.integers(0, len(rows) - 1))
    column = draw(st.integers(0, len(header) - 1))
    rows[index][column] = draw(st.one_of(
        st.text(min_size=0, max_size=30),
        st.text(alphabet=st.sampled_from(['"', ",", "\n", "\r", "'", "\\", "\x00", "é", "\t", " ", "x"]),
                max_size=12),
        st.sampled_from(["x" * 200_000, "9" * 400, "-" * 50])))
    return _rewrite(landing, header, rows)


def mutate_huge_value(landing: LandingFile, draw: Callable) -> LandingFile:
    header, rows = _rows(landing)
    column, kind = TYPED[landing.table]
    index = draw(st.integers(0, len(rows) - 1))
    rows[index][header.index(column)] = draw(st.sampled_from(
        ["9" * 60, "1e308", "-1e308", "123456789012345678.99", "1e13"] if kind in ("money", "number")
        else ["99999-12-31T00:00:00", "0001-01-01T00:00:00", "2026-01-01T00:00:00+99:00" * 3]))
    changed = _rewrite(landing, header, rows)
    changed.bad_rows.add(index + 1)
    return changed


def mutate_mixed_timezones(landing: LandingFile, draw: Callable) -> LandingFile:
    """Naive (UTC), Z, numeric offsets and named zones mixed in one file."""
    header, rows = _rows(landing)
    for column in TIMESTAMPS.get(landing.table, []):
        position = header.index(column)
        for row in rows:
            if row[position]:
                row[position] += draw(st.sampled_from(["", "Z", "+02:00", "-05:30", "+0000", " UTC",
                                                       ".123456+01:00", " Europe/Berlin"]))
    return _rewrite(landing, header, rows)


def mutate_duplicates(landing: LandingFile, draw: Callable) -> LandingFile:
    header, rows = _rows(landing)
    index = draw(st.integers(0, len(rows) - 1))
    copy = list(rows[index])
    exact = draw(st.booleans())
    if not exact:
        key_free = [i for i, name in enumerate(header) if name not in REQUIRED[landing.table]]
        position = draw(st.sampled_from(key_free)) if key_free else len(header) - 1
        copy[position] = copy[position] + "-changed"
    rows.insert(draw(st.integers(0, len(rows))), copy)
    return _rewrite(landing, header, rows)


def mutate_layout(landing: LandingFile, draw: Callable) -> LandingFile:
    """BOM, CRLF, reordered / upper-case / padded header, extra columns."""
    header, rows = _rows(landing)
    order = draw(st.permutations(range(len(header))))
    header = [header[i] for i in order]
    rows = [[row[i] for i in order] for row in rows]
    if draw(st.booleans()):
        header = [f" {name.upper()} " for name in header]
    if draw(st.booleans()):
        header = header + ["notes"]
        rows = [row + ["some, note"] for row in rows]
    content = csv_bytes(header, rows, newline=draw(st.sampled_from(["\n", "\r\n"])))
    if draw(st.booleans()):
        content = b"\xef\xbb\xbf" + content
    return LandingFile(landing.table, content, bad_rows=set(landing.bad_rows))


def mutate_unterminated_quote(landing: LandingFile, draw: Callable) -> LandingFile:
    """A field opening a quote that never closes (or a quote inside a
    field): only that record is lost (quarantined with its raw text); the
    records after it are read."""
    lines = _raw_lines(landing)
    index = draw(st.integers(1, len(lines) - 2))
    parts = lines[index].split(b",")
    position = draw(st.integers(0, len(parts) - 1))
    value = parts[position].replace(b'"', b"")
    parts[position] = draw(st.sampled_from([b'"' + value, value[:1] + b'"' + value[1:] + b'"', b' "' + value]))
    lines[index] = b",".join(parts)
    changed = LandingFile(landing.table, b"\n".join(lines))
    changed.bad_rows = set(landing.bad_rows) | {index}
    return changed


#: a free-text column per table, for values with line breaks and commas
FREE_TEXT = {"customers": "company_name", "plans": "plan_name", "subscriptions": "cancel_reason",
             "invoices": "subscription_id", "events": "feature"}


def mutate_multiline_field(landing: LandingFile, draw: Callable) -> LandingFile:
    """A valid RFC 4180 quoted value with line breaks, commas and quotes
    (e.g. an address): read exactly, the row stays clean."""
    header, rows = _rows(landing)
    column = FREE_TEXT.get(landing.table)
    if column is None:
        return landing
    index = draw(st.integers(0, len(rows) - 1))
    rows[index][header.index(column)] = draw(st.sampled_from(
        ["Acme GmbH\nBerlin, Germany", 'line one,\r\n"two"\n\nthree,', "a\rb,c\nd"]))
    return _rewrite(landing, header, rows)


def mutate_windows_1252(landing: LandingFile, draw: Callable) -> LandingFile:
    """An Excel export in Windows-1252 (curly quotes, dashes, euro sign in
    a free-text value): decoded as such, the row stays clean."""
    header, rows = _rows(landing)
    column = FREE_TEXT.get(landing.table)
    if column is not None:
        index = draw(st.integers(0, len(rows) - 1))
        rows[index][header.index(column)] = draw(st.sampled_from(["O’Brien", "“Müller” – 5 €", "Café…"]))
    return LandingFile(landing.table, csv_bytes(header, rows).decode("utf-8").encode("cp1252"),
                       bad_rows=set(landing.bad_rows))


def mutate_header_only(landing: LandingFile, draw: Callable) -> LandingFile:
    """No data rows: fine for an optional table, fatal for a required one."""
    content = _raw_lines(landing)[0] + draw(st.sampled_from([b"\n", b"", b"\r\n"]))
    fatal = None if landing.table in OPTIONAL else (None, "no data rows")
    return LandingFile(landing.table, content, fatal=fatal)


def mutate_parquet(landing: LandingFile, draw: Callable) -> LandingFile:
    """The table as Parquet: all text, or numbers and times typed
    differently from the contract (ints for timestamps, text for money)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    header, rows = _rows(landing)
    columns: dict[str, Any] = {name: [row[i] or None for row in rows] for i, name in enumerate(header)}
    fatal = None
    if draw(st.booleans()):
        column, kind = TYPED[landing.table]
        if kind in ("timestamp", "date"):
            # integers where the contract expects times: the file is rejected as a whole
            columns[column] = pa.array([1_700_000_000 + i for i in range(len(rows))], pa.int64())
            fatal = (column, "is a BIGINT column")
        else:
            columns[column] = pa.array([float(v) if v else None for v in columns[column]], pa.float64())
    buffer = io.BytesIO()
    pq.write_table(pa.table(columns), buffer)
    return LandingFile(landing.table, buffer.getvalue(), suffix="parquet", fatal=fatal)


def mutate_implausible_date(landing: LandingFile, draw: Callable) -> LandingFile:
    """A date or timestamp before the plausible-date floor, or a date word:
    the row is quarantined (implausible_date, or missing_required/unparseable
    first when the row has such a problem too)."""
    header, rows = _rows(landing)
    if landing.table not in DATE_COLUMNS:
        return landing
    index = draw(st.integers(0, len(rows) - 1))
    column = draw(st.sampled_from(DATE_COLUMNS[landing.table]))
    value = draw(st.sampled_from(IMPLAUSIBLE_DATES))
    rows[index][header.index(column)] = draw(st.sampled_from(["", " "])) + value
    changed = _rewrite(landing, header, rows)
    changed.bad_rows.add(index + 1)
    return changed


def mutate_missing_token(landing: LandingFile, draw: Callable) -> LandingFile:
    """A missing-value token (padded or not) in any column: missing. In a
    required column the row is quarantined; elsewhere it may stay clean
    (NA in customers.country is Namibia)."""
    header, rows = _rows(landing)
    index = draw(st.integers(0, len(rows) - 1))
    column = draw(st.sampled_from(header))
    token = draw(st.sampled_from(MISSING_TOKENS))
    rows[index][header.index(column)] = draw(st.sampled_from(["", " "])) + token + draw(st.sampled_from(["", "  "]))
    changed = _rewrite(landing, header, rows)
    if column in REQUIRED[landing.table] and not (landing.table == "customers" and column == "country"):
        changed.bad_rows.add(index + 1)
    return changed


def mutate_overlapping_period(landing: LandingFile, draw: Callable) -> LandingFile:
    """Subscriptions: a new period of an existing subscription that starts
    while an earlier period is still running (or before it ends). Both stay
    clean; the earlier one ends where the new one starts (a correction)."""
    if landing.table != "subscriptions":
        return landing
    header, rows = _rows(landing)
    base = list(rows[draw(st.integers(0, len(rows) - 1))])
    start = header.index("period_start")
    base[start] = base[start][:5] + draw(st.sampled_from(["01-15", "02-20", "07-01", "11-30"])) + base[start][10:]
    base[header.index("period_end")] = draw(st.sampled_from(["", "2027-01-01T00:00:00"]))
    base[header.index("amount")] = draw(st.sampled_from(["59.00", "29.00", "0.00"]))
    base[header.index("status")] = "active"
    base[header.index("cancel_reason")] = ""
    rows.insert(draw(st.integers(0, len(rows))), base)
    return _rewrite(landing, header, rows)


NON_FATAL: dict[str, Callable[[LandingFile, Callable], LandingFile]] = {
    "ragged": mutate_ragged,
    "wrong_type": mutate_wrong_type,
    "missing_required": mutate_missing_required,
    "non_utf8": mutate_non_utf8,
    "text_value": mutate_text_value,
    "huge_value": mutate_huge_value,
    "mixed_timezones": mutate_mixed_timezones,
    "duplicates": mutate_duplicates,
    "layout": mutate_layout,
    "unterminated_quote": mutate_unterminated_quote,
    "multiline_field": mutate_multiline_field,
    "windows_1252": mutate_windows_1252,
    "header_only": mutate_header_only,
    "parquet": mutate_parquet,
    "implausible_date": mutate_implausible_date,
    "missing_token": mutate_missing_token,
    "overlapping_period": mutate_overlapping_period,
}


def fatal_missing_file(landing: LandingFile, draw: Callable) -> LandingFile:
    return LandingFile(landing.table, b"", absent=True, fatal=(None, "not found"))


def fatal_missing_column(landing: LandingFile, draw: Callable) -> LandingFile:
    header, rows = _rows(landing)
    column = draw(st.sampled_from(REQUIRED[landing.table]))
    position = header.index(column)
    header = header[:position] + header[position + 1:]
    rows = [row[:position] + row[position + 1:] for row in rows]
    return LandingFile(landing.table, csv_bytes(header, rows), fatal=(column, "no column"))


def fatal_empty_file(landing: LandingFile, draw: Callable) -> LandingFile:
    return LandingFile(landing.table, draw(st.sampled_from([b"", b"\n", b"\n\n"])), fatal=(None, "empty"))


def fatal_duplicate_header(landing: LandingFile, draw: Callable) -> LandingFile:
    header, rows = _rows(landing)
    column = draw(st.sampled_from(REQUIRED[landing.table]))
    header = header + [column.upper()]
    rows = [row + [row[header.index(column)]] for row in rows]
    return LandingFile(landing.table, csv_bytes(header, rows), fatal=(column, "more than once"))


def fatal_utf16_big_endian(landing: LandingFile, draw: Callable) -> LandingFile:
    text = landing.content.decode("utf-8")
    return LandingFile(landing.table, b"\xfe\xff" + text.encode("utf-16-be"), fatal=(None, "UTF-16"))


def fatal_parquet_schema(landing: LandingFile, draw: Callable) -> LandingFile:
    """Parquet missing a required column, or with a nested one."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    header, rows = _rows(landing)
    column = draw(st.sampled_from(REQUIRED[landing.table]))
    columns: dict[str, Any] = {name: [row[i] for row in rows] for i, name in enumerate(header)}
    if draw(st.booleans()):
        del columns[column]
        expected = (column, "no column")
    else:
        columns[column] = pa.array([{"value": v} for v in columns[column]])
        expected = (column, "nested")
    buffer = io.BytesIO()
    pq.write_table(pa.table(columns), buffer)
    return LandingFile(landing.table, buffer.getvalue(), suffix="parquet", fatal=expected)


def fatal_header_not_utf8(landing: LandingFile, draw: Callable) -> LandingFile:
    header, rows = _rows(landing)
    content = csv_bytes(header + ["Gebühr"], [row + [""] for row in rows]).replace("ü".encode(), b"\x81")
    return LandingFile(landing.table, content, fatal=(None, "header row is not UTF-8"))


def fatal_trailing_comma(landing: LandingFile, draw: Callable) -> LandingFile:
    """Every data row ends in an extra comma (the header does not)."""
    lines = _raw_lines(landing)
    content = b"\n".join([lines[0]] + [line + b"," if line else line for line in lines[1:]])
    return LandingFile(landing.table, content, fatal=(None, "rows are not readable CSV"))


def fatal_column_fails(landing: LandingFile, draw: Callable) -> LandingFile:
    """A required column empty in every row, or (a time column) in a
    format the contract does not read (day-first dates)."""
    header, rows = _rows(landing)
    column = draw(st.sampled_from(REQUIRED[landing.table]))
    day_first = column in TIMESTAMPS.get(landing.table, [])
    for row in rows:
        value = row[header.index(column)]
        row[header.index(column)] = f"{value[8:10]}.{value[5:7]}.{value[:4]}" if day_first else ""
    return LandingFile(landing.table, csv_bytes(header, rows), fatal=(column, "rows are"))


def fatal_parquet_wrong_type(landing: LandingFile, draw: Callable) -> LandingFile:
    """Parquet whose time column holds integers (epoch seconds), or whose
    money column holds booleans: a physical type the contract cannot read."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    header, rows = _rows(landing)
    columns: dict[str, Any] = {name: [row[i] or None for row in rows] for i, name in enumerate(header)}
    column = (TIMESTAMPS.get(landing.table) or [{"fx_rates": "rate_date", "marketing_spend": "month",
                                                  "plans": "list_price"}[landing.table]])[0]
    if column == "list_price":
        columns[column], expected = pa.array([True] * len(rows)), "is a BOOLEAN column"
    else:
        columns[column], expected = pa.array([1_700_000_000 + i for i in range(len(rows))], pa.int64()), \
            "is a BIGINT column"
    buffer = io.BytesIO()
    pq.write_table(pa.table(columns), buffer)
    return LandingFile(landing.table, buffer.getvalue(), suffix="parquet", fatal=(column, expected))


FATAL: dict[str, Callable[[LandingFile, Callable], LandingFile]] = {
    "missing_file": fatal_missing_file,
    "missing_column": fatal_missing_column,
    "empty_file": fatal_empty_file,
    "duplicate_header": fatal_duplicate_header,
    "utf16_big_endian": fatal_utf16_big_endian,
    "parquet_schema": fatal_parquet_schema,
    "header_not_utf8": fatal_header_not_utf8,
    "trailing_comma": fatal_trailing_comma,
    "column_fails": fatal_column_fails,
    "parquet_wrong_type": fatal_parquet_wrong_type,
}


# ---------------------------------------------------------------------------
# running dbt in-process


@dataclass
class Outcome:
    success: bool
    lines: list[str]
    one_line: str
    reconciliation: dict[str, dict[str, Any]]
    quarantined: dict[str, dict[int, str]]


class StagingBuilder:
    """Builds the staging + audit models of one fixed landing directory."""

    def __init__(self, work: Path) -> None:
        from dbt.cli.main import dbtRunner

        self.work = work
        self.landing = work / "landing"
        self.warehouse = work / "build.duckdb"
        self.messages: list[str] = []
        self.runner = dbtRunner(callbacks=[self._collect])
        self.builds = 0

    def _collect(self, event: Any) -> None:
        if event.info.level != "debug":                    # what the console shows
            self.messages.extend(str(event.info.msg).split("\n"))

    @staticmethod
    def _close_dbt_database() -> None:
        """dbt-duckdb keeps its DuckDB instance open after an in-process run;
        close it so that the file can be read (and replaced) here."""
        try:
            from dbt.adapters.duckdb.connections import DuckDBConnectionManager
        except ImportError:
            return
        environment = getattr(DuckDBConnectionManager, "_ENV", None)
        if environment is not None:
            try:
                environment.close()
            finally:
                DuckDBConnectionManager.close_all_connections()

    def run(self, files: dict[str, LandingFile], extra_vars: dict[str, Any] | None = None,
            select: list[str] | None = None, keep_warehouse: bool = False) -> Outcome:
        from _common import BUILD_WITHOUT_TESTS
        from publish import one_line, summarize_dbt_failure

        write_landing(files, self.landing)
        for path in (self.warehouse, self.warehouse.with_name(self.warehouse.name + ".wal")):
            if path.exists() and not keep_warehouse:
                path.unlink()
        self.messages = []
        dbt_vars = {"raw_data_dir": str(self.landing), "as_of_date": AS_OF, **(extra_vars or {})}
        result = self.runner.invoke([
            *BUILD_WITHOUT_TESTS, "--project-dir", str(REPO_ROOT), "--select", *(select or STAGING_SELECTION),
            "--target-path", str(self.work / "target"), "--log-path", str(self.work / "logs"),
            "--vars", json.dumps(dbt_vars), "--quiet",
        ])
        self.builds += 1
        self._close_dbt_database()
        success = bool(result.success)
        reconciliation: dict[str, dict[str, Any]] = {}
        quarantined: dict[str, dict[int, str]] = {}
        if success and select is None:
            with duckdb.connect(str(self.warehouse), read_only=True) as con:
                cursor = con.execute("select * from audit.raw_row_reconciliation")
                names = [c[0] for c in cursor.description]
                for row in cursor.fetchall():
                    record = dict(zip(names, row))
                    reconciliation[record["source_table"]] = record
                for table, number, code in con.execute(
                        "select source_table, raw_row_number, quarantine_reason_code from audit.quarantined_rows"
                ).fetchall():
                    quarantined.setdefault(table, {})[number] = code
        return Outcome(success, list(self.messages), one_line(summarize_dbt_failure(self.messages)),
                       reconciliation, quarantined)


@pytest.fixture(scope="module")
def builder(tmp_path_factory: pytest.TempPathFactory):
    if not (Path(sys.executable).parent / "dbt").exists():
        pytest.skip("dbt is not installed next to this Python")
    work = tmp_path_factory.mktemp("malformed")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DBT_PROFILES_DIR", str(REPO_ROOT))
        patch.setenv("WAREHOUSE_PATH", str(work / "build.duckdb"))
        patch.setenv("DUCKDB_TEMP_DIR", str(work / "duckdb_tmp"))
        patch.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        yield StagingBuilder(work)


# ---------------------------------------------------------------------------
# the rule


def assert_no_row_lost(files: dict[str, LandingFile], outcome: Outcome) -> None:
    for table in TABLES:
        landing = files[table]
        counts = outcome.reconciliation[table]
        expected = count_records(landing)
        assert counts["raw_rows"] == expected, (
            f"{landing.name}: the build counted {counts['raw_rows']} records, the file has {expected}")
        assert counts["raw_rows"] == (counts["clean_rows"] + counts["quarantined_rows"]
                                      + counts["duplicates_removed"]), f"{table} does not reconcile: {counts}"
        assert counts["clean_rows"] == counts["staged_rows"], f"{table}: clean != staged: {counts}"
        listed = outcome.quarantined.get(table, {})
        assert len(listed) <= counts["quarantined_rows"] + counts["duplicates_removed"]
        for row in sorted(landing.bad_rows):
            if row <= expected:
                assert row in listed, f"{landing.name} row {row} is bad but not quarantined ({listed})"


#: clean (staged) date columns the plausible-date floor applies to
STAGED_DATES = {"stg_customers": ["created_at"], "stg_subscriptions": ["period_start", "period_end"],
                "stg_invoices": ["issued_at", "period_start", "period_end", "paid_at"],
                "stg_event_user_days": ["usage_date"], "stg_fx_rates": ["rate_date"],
                "stg_marketing_spend": ["month"]}
#: clean (staged) free-text columns that must never hold a missing-value token
STAGED_TEXT = {"stg_customers": ["customer_id", "company_name"],
               "stg_subscriptions": ["subscription_id", "customer_id", "plan_id"],
               "stg_invoices": ["invoice_id", "customer_id", "subscription_id"],
               "stg_event_user_days": ["customer_id", "user_id"], "stg_plans": ["plan_id", "plan_name"]}


def assert_value_rules(warehouse: Path, floor: str = "2000-01-01") -> None:
    """What the value rules promise of every clean row, whatever the input:
    no date before the floor, no missing-value token as a value, no two
    overlapping periods of one subscription, and every period_end that
    differs from the landing file listed in audit.corrected_values."""
    tokens = ", ".join("'" + token.replace("'", "''") + "'" for token in MISSING_TOKENS)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for model, columns in STAGED_DATES.items():
            for column in columns:
                early = con.execute(f"select count(*) from staging.{model} "
                                    f"where {column} < cast('{floor}' as date)").fetchone()[0]
                assert early == 0, f"{model}.{column}: {early} clean values before {floor}"
        for model, columns in STAGED_TEXT.items():
            for column in columns:
                found = con.execute(f"select count(*) from staging.{model} where {column} in ({tokens})").fetchone()[0]
                assert found == 0, f"{model}.{column}: {found} missing-value tokens kept as values"
        overlapping = con.execute("""
            select count(*) from (
                select period_end, lead(period_start) over (partition by subscription_id order by period_start) as nxt
                from staging.stg_subscriptions
            ) as periods
            where nxt is not null and (period_end is null or period_end > nxt)""").fetchone()[0]
        assert overlapping == 0, f"{overlapping} overlapping periods in stg_subscriptions"
        changed = con.execute("""
            select count(*) from staging.stg_subscriptions as clean
            inner join staging.base_subscriptions as landed
                on clean.subscription_id = landed.subscription_id and clean.period_start = landed.period_start
                and landed.quarantine_reason_code is null
            where clean.period_end is distinct from landed.period_end""").fetchone()[0]
        recorded = con.execute("select count(*) from audit.corrected_values where source_table = 'subscriptions' "
                               "and column_name = 'period_end' and correction_reason_code = 'overlapping_period'"
                               ).fetchone()[0]
        assert changed == recorded, f"{changed} period_end values changed, {recorded} listed in audit.corrected_values"


def assert_one_clear_line(files: dict[str, LandingFile], outcome: Outcome) -> None:
    assert not outcome.success, "a fatal landing problem did not stop the build"
    line = outcome.one_line
    assert "\n" not in line and line.strip()
    assert "Traceback" not in "\n".join(outcome.lines), "dbt printed a Python traceback"
    fatal = [landing for landing in files.values() if landing.fatal]
    matches = [landing for landing in fatal if landing.table in line]
    assert matches, f"the error line names none of the broken files {[f.name for f in fatal]}: {line}"
    column, words = matches[0].fatal
    if column:
        assert f"'{column}'" in line, f"the error line does not name column {column}: {line}"
    assert words.lower() in line.lower(), f"the error line does not say {words!r}: {line}"


# ---------------------------------------------------------------------------
# explicit cases


def _apply(files: dict[str, LandingFile], table: str, mutation: Callable, choices: list[Any]) -> None:
    """Apply a mutation with fixed choices instead of hypothesis draws."""
    queue = list(choices)

    def draw(strategy: Any) -> Any:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    files[table] = mutation(files[table], draw)


def test_every_non_fatal_kind_quarantines_and_reconciles(builder: StagingBuilder) -> None:
    files = valid_landing()
    # BOM, CRLF, reversed + upper-case + padded header, an extra column
    _apply(files, "customers", mutate_layout, [list(range(6))[::-1], True, True, "\r\n", True])
    header, rows = _rows(files["plans"])
    rows[0][1] = "Startér"
    files["plans"] = LandingFile("plans", csv_bytes(header, rows).decode().encode("latin-1"))   # Latin-1 file
    _apply(files, "subscriptions", mutate_huge_value, [1, "1e308"])          # row 2
    _apply(files, "subscriptions", mutate_duplicates, [0, False, 10, 6])     # S1 again, other cancel_reason
    _apply(files, "invoices", mutate_wrong_type, [0, "2026-02-30T10:00:00"])  # row 1
    _apply(files, "invoices", mutate_unterminated_quote, [5, 12, b'"2025-06-02T10:05:00'])  # row 5 only
    _apply(files, "events", mutate_ragged, [3, True])                        # row 4 has a surplus field
    _apply(files, "events", mutate_mixed_timezones, ["+02:00"])
    _apply(files, "events", mutate_duplicates, [0, True, 12])                # exact copy, appended
    header, rows = _rows(files["events"])
    rows[5][2] = "nul\x00byte"
    files["events"] = _rewrite(files["events"], header, rows)
    _apply(files, "fx_rates", mutate_parquet, [True])                        # Parquet, rates as double
    _apply(files, "marketing_spend", mutate_header_only, [b"\n"])
    outcome = builder.run(files)
    assert outcome.success, outcome.one_line
    assert_no_row_lost(files, outcome)

    quarantined = outcome.quarantined
    # ragged row, wrong type, huge value, unterminated quote: quarantined as unparseable
    assert quarantined["events"][4] == "unparseable_value"
    assert quarantined["subscriptions"][2] == "unparseable_value"
    assert quarantined["invoices"][1] == "unparseable_value"
    assert quarantined["invoices"][5] == "unparseable_value"
    assert outcome.reconciliation["invoices"]["raw_rows"] == 6     # the row after the broken quote is read
    assert 6 not in quarantined["invoices"]
    assert "duplicate_key" in quarantined["subscriptions"].values()
    assert list(quarantined["events"].values()).count("exact_duplicate") == 1
    assert outcome.reconciliation["marketing_spend"]["raw_rows"] == 0
    with duckdb.connect(str(builder.warehouse), read_only=True) as con:
        # BOM + reordered, upper-case, padded header + CRLF + extra column: still read by name
        assert con.execute("select count(*) from staging.stg_customers where customer_id = 'C1'").fetchone()[0] == 1
        # Latin-1 file decoded (as Windows-1252, its superset) and the encoding recorded
        assert con.execute("select plan_name from staging.stg_plans where plan_id = 'P1'").fetchone()[0] == "Startér"
        assert con.execute("select file_encoding from audit.raw_row_reconciliation where source_table = 'plans'") \
            .fetchone()[0] == "windows-1252"
        assert con.execute("select count(*) from staging.stg_invoices where invoice_id = 'I6'").fetchone()[0] == 1
        # offsets converted to UTC (E1 has an exact copy, so it is checked one by one)
        assert con.execute("select occurred_at from staging.base_event_exceptions "
                           "where event_id = 'E1' and quarantine_reason_code is null").fetchone()[0] \
            .isoformat() == "2026-02-11T10:00:00"
        # a row that is not readable CSV keeps its raw text
        raw, reason = con.execute(
            "select raw_record, quarantine_reason from audit.quarantined_rows "
            "where source_table = 'events' and raw_row_number = 4").fetchone()
        assert "surplus" in raw and "not readable CSV" in reason
        # Parquet with doubles for rates: typed fine
        assert con.execute("select count(*) from staging.stg_fx_rates").fetchone()[0] == 14


def test_optional_subscription_columns_are_checked(builder: StagingBuilder) -> None:
    """canceled_at / cancel_at / list_amount: optional, typed, and quarantined when they contradict."""
    files = valid_landing()
    header, rows = _rows(files["subscriptions"])
    header = header + ["canceled_at", "cancel_at", "list_amount"]
    extra = {
        0: ["2025-03-10T00:00:00", "2025-04-01T00:00:00", "59.00"],   # S1: fine (a scheduled cancellation, a discount)
        1: ["2025-06-01T00:00:00", "2025-05-01T00:00:00", ""],        # S2: takes effect before it was requested
        2: ["", "", "250.00"],                                      # S3: list price below the amount charged
        5: ["", "", "-1.00"],                                       # S5: negative list price
    }
    rows = [row + extra.get(index, ["", "", ""]) for index, row in enumerate(rows)]
    files["subscriptions"] = LandingFile("subscriptions", csv_bytes(header, rows), bad_rows={2, 3, 6})
    outcome = builder.run(files)
    assert outcome.success, outcome.one_line
    assert_no_row_lost(files, outcome)
    assert outcome.quarantined["subscriptions"] == {2: "end_before_start", 3: "invalid_value", 6: "negative_amount"}
    with duckdb.connect(str(builder.warehouse), read_only=True) as con:
        assert con.execute(
            "select cast(canceled_at as varchar), cast(cancel_at as varchar), list_amount "
            "from staging.stg_subscriptions where subscription_id = 'S1'").fetchone() == (
            "2025-03-10 00:00:00", "2025-04-01 00:00:00", Decimal("59.00"))
        # rows without the values: null, as in files without the columns
        assert con.execute("select count(*) from staging.stg_subscriptions where subscription_id = 'S4' "
                           "and canceled_at is null and cancel_at is null and list_amount is null").fetchone()[0] == 1


def test_non_utf8_rows_are_quarantined_with_their_raw_text(builder: StagingBuilder) -> None:
    files = valid_landing()
    header, rows = _rows(files["customers"])
    rows[0][2] = "Müller GmbH"                      # valid UTF-8 multi-byte: the file is UTF-8
    content = csv_bytes(header, rows).replace(b"Company 3", b"Company \xff3")
    files["customers"] = LandingFile("customers", content, bad_rows={3})
    outcome = builder.run(files)
    assert outcome.success, outcome.one_line
    assert_no_row_lost(files, outcome)
    with duckdb.connect(str(builder.warehouse), read_only=True) as con:
        reason = con.execute("select quarantine_reason from audit.quarantined_rows "
                             "where source_table = 'customers' and raw_row_number = 3").fetchone()[0]
        assert "not UTF-8" in reason and "company_name" in reason
        assert con.execute("select company_name from staging.stg_customers where customer_id = 'C1'").fetchone()[0] \
            == "Müller GmbH"


def test_line_breaks_windows_1252_and_stray_quotes(builder: StagingBuilder) -> None:
    files = valid_landing()
    # LF header, CRLF and bare-CR line breaks mixed, a CR inside a quoted name
    lines = _raw_lines(files["customers"])
    content = (lines[0] + b"\n" + lines[1] + b"\r\n" + lines[2] + b"\r" + lines[3] + b"\n"
               + lines[4].replace(b"Company 4", b'"Company\r4"') + b"\r\n" + b"\n".join(lines[5:]))
    files["customers"] = LandingFile("customers", content)
    # Windows-1252: the euro sign is byte 0x80 (undefined in Latin-1), decoded as such
    header, rows = _rows(files["plans"])
    rows[0][1], rows[1][1] = "Starter €", "Growth é"
    files["plans"] = LandingFile("plans", csv_bytes(header, rows).decode().encode("cp1252"))
    # a quote after a space and a quote at the end of a plain field: not RFC 4180 quoting,
    # so neither opens a quoted field running into the next row: each costs its own row
    content = files["events"].content.replace(b"E3,C4,U0,login,", b'E3,C4,U0, "login,') \
        .replace(b"E4,C5,U1,report_export,", b'E4,C5,U1,report_export",')
    files["events"] = LandingFile("events", content, bad_rows={3, 4})
    outcome = builder.run(files)
    assert outcome.success, outcome.one_line
    assert_no_row_lost(files, outcome)
    counts = outcome.reconciliation
    assert counts["customers"]["raw_rows"] == 6 and counts["customers"]["quarantined_rows"] == 0
    assert counts["plans"]["quarantined_rows"] == 0
    assert counts["events"]["raw_rows"] == 12 and counts["events"]["quarantined_rows"] == 2
    with duckdb.connect(str(builder.warehouse), read_only=True) as con:
        assert con.execute("select company_name from staging.stg_customers where customer_id = 'C4'") \
            .fetchone()[0] == "Company\r4"
        assert con.execute("select plan_name from staging.stg_plans order by plan_id").fetchall()[:2] \
            == [("Starter €",), ("Growth é",)]
        reasons = con.execute("select raw_row_number, quarantine_reason from audit.quarantined_rows "
                              "where source_table = 'events' order by 1").fetchall()
        assert [number for number, _ in reasons] == [3, 4]
        assert all("unterminated quote" in reason for _, reason in reasons), reasons
        assert con.execute("select count(*) from staging.base_events where row_kind = 'user_day' and "
                           "events > 0").fetchone()[0] > 0


def test_a_broken_quote_costs_only_its_record(builder: StagingBuilder) -> None:
    """The issue's case: a closing quote missing four rows from the end of the
    invoices (and one near the start); a valid quoted company name with a
    line break and a comma."""
    files = valid_landing()
    lines = _raw_lines(files["invoices"])
    for row in (2, 5):                                        # data rows 2 and 5 (of 6)
        lines[row] = lines[row].replace(b",C", b',"C', 1)
    files["invoices"] = LandingFile("invoices", b"\n".join(lines), bad_rows={2, 5})
    header, rows = _rows(files["customers"])
    rows[2][2] = "Acme GmbH\nBerlin, Germany"
    rows[3][2] = 'The "Best" Co,\r\nLtd'
    files["customers"] = _rewrite(files["customers"], header, rows)
    outcome = builder.run(files)
    assert outcome.success, outcome.one_line
    assert_no_row_lost(files, outcome)
    assert sorted(outcome.quarantined["invoices"]) == [2, 5]
    assert outcome.reconciliation["invoices"]["clean_rows"] == 4
    assert "customers" not in outcome.quarantined
    with duckdb.connect(str(builder.warehouse), read_only=True) as con:
        names = dict(con.execute("select customer_id, company_name from staging.stg_customers").fetchall())
        assert names["C3"] == "Acme GmbH\nBerlin, Germany" and names["C4"] == 'The "Best" Co,\r\nLtd'
        assert sorted(row[0] for row in con.execute("select invoice_id from staging.stg_invoices").fetchall()) \
            == ["I1", "I3", "I4", "I6"]
        reason = con.execute("select quarantine_reason, raw_record from audit.quarantined_rows "
                             "where source_table = 'invoices' and raw_row_number = 2").fetchone()
        assert "unterminated quote" in reason[0] and '\\"C2' in reason[1], reason
        print(f"\nbroken quote: {reason[0]}")


def test_windows_1252_customer_keeps_its_revenue(builder: StagingBuilder) -> None:
    """A curly apostrophe from an Excel export: the customer is read, so its
    subscriptions, invoices and events are not quarantined as unknown."""
    files = valid_landing()
    header, rows = _rows(files["customers"])
    rows[1][2] = "O’Brien “Söhne” – 5 €"
    rows[5][2] = "Undefined \x81 byte"                       # C6: a customer without subscriptions
    content = csv_bytes(header, rows).decode().encode("cp1252", errors="ignore").replace(b"Undefined ", b"Bad \x81 ")
    files["customers"] = LandingFile("customers", content, bad_rows={6})
    outcome = builder.run(files)
    assert outcome.success, outcome.one_line
    assert_no_row_lost(files, outcome)
    assert outcome.quarantined["customers"] == {6: "unparseable_value"}
    assert "unknown_customer" not in outcome.quarantined.get("subscriptions", {}).values()
    with duckdb.connect(str(builder.warehouse), read_only=True) as con:
        assert con.execute("select company_name from staging.stg_customers where customer_id = 'C2'") \
            .fetchone()[0] == "O’Brien “Söhne” – 5 €"
        assert con.execute("select count(*) from staging.stg_subscriptions where customer_id = 'C2'") \
            .fetchone()[0] == 1
        encodings = dict(con.execute("select source_table, file_encoding from audit.landing_files").fetchall())
        assert encodings["customers"] == "windows-1252" and encodings["invoices"] == "utf-8"
        reason = con.execute("select quarantine_reason from audit.quarantined_rows "
                             "where source_table = 'customers'").fetchone()[0]
        assert "Windows-1252" in reason
        print(f"\nwindows-1252: {reason}")


@pytest.mark.parametrize("kind, table, choices", [
    ("missing_file", "subscriptions", []),
    ("missing_column", "invoices", ["amount_due"]),
    ("empty_file", "customers", [b""]),
    ("duplicate_header", "events", ["event_id"]),
    ("utf16_big_endian", "plans", []),
    ("parquet_schema", "customers", ["created_at", True]),
    ("parquet_schema", "subscriptions", ["amount", False]),
    ("header_not_utf8", "fx_rates", []),
    ("header_only", "events", [b"\n"]),
    ("parquet_wrong_type", "events", []),
    ("parquet_wrong_type", "plans", []),
    ("trailing_comma", "subscriptions", []),
    ("column_fails", "events", ["occurred_at"]),
    ("column_fails", "subscriptions", ["status"]),
])
def test_fatal_kind_stops_with_one_clear_line(builder: StagingBuilder, kind: str, table: str,
                                              choices: list[Any]) -> None:
    files = valid_landing()
    _apply(files, table, FATAL.get(kind) or NON_FATAL[kind], choices)
    outcome = builder.run(files)
    assert_one_clear_line(files, outcome)
    print(f"\n{kind}: {outcome.one_line}")


def test_rows_lost_by_the_reader_stop_the_build(builder: StagingBuilder) -> None:
    """The check of the rows read against the independent record count:
    a count that does not match (as if the reader had lost a row) stops the
    build at the stg_ model with one line naming the file."""
    files = valid_landing()
    outcome = builder.run(files)
    assert outcome.success, outcome.one_line
    with duckdb.connect(str(builder.warehouse)) as con:
        con.execute("update audit.landing_files set file_records = file_records + 1 "
                    "where source_table = 'subscriptions'")
    outcome = builder.run(files, select=["stg_subscriptions"], keep_warehouse=True)
    assert not outcome.success
    assert outcome.one_line.startswith("Landing data: ") and "subscriptions.csv" in outcome.one_line, outcome.one_line
    assert "the reader read 6 rows but the file holds 7 records" in outcome.one_line, outcome.one_line


def test_not_a_parquet_file_names_the_file(builder: StagingBuilder) -> None:
    files = valid_landing()
    files["events"] = LandingFile("events", b"event_id,customer_id\nE1,C1\n", suffix="parquet",
                                  fatal=(None, "events.parquet"))
    outcome = builder.run(files)
    assert_one_clear_line(files, outcome)


@pytest.mark.parametrize("extra_vars, words", [
    ({"as_of_date": "2026-02-29"}, "Invalid var as_of_date '2026-02-29': not a calendar date"),
    ({"gross_margin": 1.5}, "Invalid var gross_margin '1.5': must be a number > 0 and <= 1"),
    ({"churn_grace_days": "7; select 1"}, "Invalid var churn_grace_days"),
    ({"earliest_plausible_date": "2026-02-30"}, "Invalid var earliest_plausible_date '2026-02-30': not a calendar date"),
    ({"earliest_plausible_date": "2026-11-01"},
     "Invalid var earliest_plausible_date '2026-11-01': must be before as_of_date (2026-10-31)"),
    ({"earliest_plausible_date": "1850-01-01"}, "Invalid var earliest_plausible_date '1850-01-01': must be 1900-01-01"),
    ({"missing_value_tokens": "NULL"}, "Invalid var missing_value_tokens 'NULL': must be a list"),
    ({"missing_value_tokens": ["NULL", "x'y"]}, "Invalid var missing_value_tokens"),
    ({"landing_max_failed_share": 0}, "Invalid var landing_max_failed_share '0': must be a number > 0 and <= 1"),
    ({"churn_recognition": "later"}, "Invalid var churn_recognition 'later': must be effective or scheduled"),
    ({"source_system": "oracle"}, "Invalid var source_system 'oracle': must be contract (the landing contract files) or stripe"),
])
def test_invalid_vars_stop_with_one_line(builder: StagingBuilder, extra_vars: dict[str, Any], words: str) -> None:
    outcome = builder.run(valid_landing(), extra_vars, select=["base_plans"])
    assert not outcome.success
    assert outcome.one_line.startswith(words), outcome.one_line


# ---------------------------------------------------------------------------
# explicit cases: implausible dates, missing-value tokens, overlapping periods


def _set(files: dict[str, LandingFile], table: str, changes: dict[tuple[int, str], str],
         bad: set[int] | None = None) -> None:
    """Set values by (1-based data row, column); `bad`: rows to be quarantined."""
    header, rows = _rows(files[table])
    for (row, column), value in changes.items():
        rows[row - 1][header.index(column)] = value
    files[table] = _rewrite(files[table], header, rows)
    files[table].bad_rows |= bad or set()


def _reasons(warehouse: Path, table: str) -> dict[int, tuple[str, str]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {number: (code, reason) for number, code, reason in con.execute(
            "select raw_row_number, quarantine_reason_code, quarantine_reason from audit.quarantined_rows "
            "where source_table = ?", [table]).fetchall()}


def test_implausible_dates_are_quarantined_with_their_own_reason(builder: StagingBuilder) -> None:
    files = valid_landing()
    _set(files, "customers", {(6, "created_at"): "epoch"}, {6})                       # C6: no subscriptions
    _set(files, "subscriptions", {(5, "period_start"): "1970-01-01T00:00:00"}, {5})   # S4: no invoices
    _set(files, "invoices", {(1, "issued_at"): "infinity", (2, "paid_at"): " -infinity",
                             (3, "period_start"): "0001-01-01T00:00:00"}, {1, 2, 3})
    _set(files, "events", {(1, "occurred_at"): "now", (2, "occurred_at"): "Today",
                           (3, "occurred_at"): "1999-12-31T23:59:59", (4, "occurred_at"): "2000-01-01T00:00:00"},
         {1, 2, 3})
    _set(files, "fx_rates", {(1, "rate_date"): "1970-01-01"}, {1})
    _set(files, "marketing_spend", {(1, "month"): "EPOCH"}, {1})
    outcome = builder.run(files)
    assert outcome.success, outcome.one_line
    assert_no_row_lost(files, outcome)
    assert_value_rules(builder.warehouse)
    expected = {
        ("customers", 6): "created_at is not a plausible date (before 2000-01-01, or a word such as epoch or "
                          "infinity): epoch",
        ("subscriptions", 5): "period_start is not a plausible date (before 2000-01-01, or a word such as epoch or "
                              "infinity): 1970-01-01T00:00:00",
        ("invoices", 1): "issued_at is not a plausible date (before 2000-01-01, or a word such as epoch or "
                         "infinity): infinity",
        ("invoices", 2): "paid_at is not a plausible date (before 2000-01-01, or a word such as epoch or "
                         "infinity): -infinity",
        ("invoices", 3): "period_start is not a plausible date (before 2000-01-01, or a word such as epoch or "
                         "infinity): 0001-01-01T00:00:00",
        ("events", 1): "occurred_at is not a plausible date (before 2000-01-01, or a word such as epoch or "
                       "infinity): now",
        ("events", 2): "occurred_at is not a plausible date (before 2000-01-01, or a word such as epoch or "
                       "infinity): Today",
        ("events", 3): "occurred_at is not a plausible date (before 2000-01-01, or a word such as epoch or "
                       "infinity): 1999-12-31T23:59:59",
        ("fx_rates", 1): "rate_date is not a plausible date (before 2000-01-01, or a word such as epoch or "
                         "infinity): 1970-01-01",
        ("marketing_spend", 1): "month is not a plausible date (before 2000-01-01, or a word such as epoch or "
                                "infinity): EPOCH",
    }
    for (table, row), reason in expected.items():
        assert _reasons(builder.warehouse, table).get(row) == ("implausible_date", reason), (table, row)
    assert 4 not in outcome.quarantined.get("events", {}), "a date on the floor itself is plausible"

    # a lower floor lets 1970 and 1999 through; words stay implausible
    outcome = builder.run(files, {"earliest_plausible_date": "1960-01-01"})
    assert outcome.success, outcome.one_line
    assert outcome.quarantined.get("subscriptions", {}).get(5) is None
    assert outcome.quarantined["events"].get(3) is None
    assert outcome.quarantined["events"][1] == "implausible_date"
    assert outcome.quarantined["customers"][6] == "implausible_date"
    assert_value_rules(builder.warehouse, floor="1960-01-01")


def test_missing_value_tokens_are_missing_in_every_column(builder: StagingBuilder) -> None:
    files = valid_landing()
    _set(files, "customers", {(6, "customer_id"): "NULL", (3, "country"): "NA", (4, "company_name"): "N/A",
                              (5, "segment"): "None"}, {6})
    _set(files, "subscriptions", {(1, "customer_id"): " N/A "}, {1})
    _set(files, "invoices", {(4, "status"): "null", (6, "attempt_count"): "#N/A"}, {4})
    _set(files, "events", {(5, "customer_id"): "\\N", (6, "feature"): "null", (7, "user_id"): "nil",
                           (8, "duration_seconds"): "<NA>"}, {5})
    outcome = builder.run(files)
    assert outcome.success, outcome.one_line
    assert_no_row_lost(files, outcome)
    assert_value_rules(builder.warehouse)
    assert _reasons(builder.warehouse, "customers")[6] == ("missing_required",
                                                           "customer_id is a missing-value token: NULL")
    assert _reasons(builder.warehouse, "subscriptions")[1] == ("missing_required",
                                                               "customer_id is a missing-value token: N/A")
    assert _reasons(builder.warehouse, "invoices")[4] == ("missing_required", "status is a missing-value token: null")
    assert _reasons(builder.warehouse, "events")[5] == ("missing_required", "customer_id is a missing-value token: \\N")
    assert set(outcome.quarantined["events"]) == {5}, "tokens in optional event columns are just missing"
    with duckdb.connect(str(builder.warehouse), read_only=True) as con:
        customers = {row[0]: row[1:] for row in con.execute(
            "select customer_id, country, company_name, segment from staging.stg_customers").fetchall()}
        assert "NULL" not in customers
        assert customers["C3"][0] == "NA", "NA in country is Namibia, not missing"
        assert customers["C4"][1] is None and customers["C5"][2] == "unknown"
        assert con.execute("select attempt_count, quarantine_reason_code from staging.base_invoices "
                           "where invoice_id = 'I6'").fetchone() == (None, None)
        events = con.execute("select event_id, feature, user_id, duration_seconds from staging.base_event_exceptions "
                             "where event_id in ('E6', 'E7', 'E8') order by 1").fetchall()
        # clean events are folded into user-days; none of these is quarantined (checked above)
        assert all(row[1] != "null" and row[2] != "nil" for row in events)

    # with no tokens configured, NULL is an id like any other
    outcome = builder.run(files, {"missing_value_tokens": []})
    assert outcome.success, outcome.one_line
    assert 6 not in outcome.quarantined.get("customers", {})
    with duckdb.connect(str(builder.warehouse), read_only=True) as con:
        assert con.execute("select count(*) from staging.stg_customers where customer_id = 'NULL'").fetchone()[0] == 1


def test_overlapping_periods_never_double_count(builder: StagingBuilder) -> None:
    """Two open periods of one subscription (29.00, then 59.00 from June):
    the first ends where the second starts, so June's MRR is 59.00, not 88.00."""
    files = valid_landing()
    header, rows = _rows(files["subscriptions"])
    rows[0][header.index("amount")] = "29.00"                                       # S1 open from 2025-02-01
    rows.append(["S1", "C1", "P1", "month", "59.00", "1", "USD", "active", "2025-06-01T00:00:00", "", ""])
    rows.append(["S2", "C2", "P2", "year", "1200.00", "3", "EUR", "active", "2025-09-01T00:00:00",
                 "2026-09-01T00:00:00", ""])                                         # S2 open from 2025-03-01
    files["subscriptions"] = _rewrite(files["subscriptions"], header, rows)
    outcome = builder.run(files)
    assert outcome.success, outcome.one_line
    assert_no_row_lost(files, outcome)
    assert_value_rules(builder.warehouse)
    counts = outcome.reconciliation["subscriptions"]
    assert (counts["raw_rows"], counts["clean_rows"], counts["quarantined_rows"]) == (8, 8, 0)
    with duckdb.connect(str(builder.warehouse), read_only=True) as con:
        corrections = con.execute(
            "select raw_row_number, column_name, value_as_landed, corrected_value, correction_reason_code, "
            "correction_reason from audit.corrected_values order by 1").fetchall()
    assert corrections == [
        (1, "period_end", None, "2025-06-01 00:00:00", "overlapping_period",
         "period overlaps the next period of the subscription (starting 2025-06-01 00:00:00): period_end set to "
         "that start, was open"),
        (2, "period_end", None, "2025-09-01 00:00:00", "overlapping_period",
         "period overlaps the next period of the subscription (starting 2025-09-01 00:00:00): period_end set to "
         "that start, was open"),
    ]
    outcome = builder.run(files, select=STAGING_SELECTION + ["+fct_mrr"])
    assert outcome.success, outcome.one_line
    with duckdb.connect(str(builder.warehouse), read_only=True) as con:
        mrr = dict(con.execute("select strftime(month, '%Y-%m'), mrr from marts.fct_mrr where customer_id = 'C1' "
                               "and month between date '2025-04-01' and date '2025-08-01'").fetchall())
    assert {month: float(value) for month, value in mrr.items()} == {
        "2025-04": 29.0, "2025-05": 29.0, "2025-06": 59.0, "2025-07": 59.0, "2025-08": 59.0}


# ---------------------------------------------------------------------------
# property-based


HYPOTHESIS_CASES: list[str] = []


@st.composite
def landing_mutations(draw: Callable) -> tuple[dict[str, LandingFile], list[str]]:
    files = valid_landing()
    applied = []
    fatal_allowed = draw(st.integers(0, 4)) == 0            # about one case in five may be fatal
    kinds = sorted(NON_FATAL) + (sorted(FATAL) if fatal_allowed else [])
    # one mutation per file, so that what a mutation expects stays true
    for table in draw(st.lists(st.sampled_from(TABLES), min_size=1, max_size=4, unique=True)):
        kind = draw(st.sampled_from(kinds))
        if kind == "missing_file" and table in ("fx_rates", "marketing_spend"):
            kind = "header_only"                           # optional tables may be absent
        files[table] = (FATAL.get(kind) or NON_FATAL[kind])(files[table], draw)
        applied.append(f"{table}:{kind}")
    return files, applied


#: CI runs a fixed set of 10 cases; MALFORMED_EXAMPLES=200 MALFORMED_RANDOM=1 fuzzes for longer.
EXAMPLES = int(os.environ.get("MALFORMED_EXAMPLES", "10"))
DERANDOMIZE = os.environ.get("MALFORMED_RANDOM", "") == ""


#: no shrinking unless asked for (MALFORMED_SHRINK=1): each example is a dbt build of seconds
PHASES = [Phase.explicit, Phase.reuse, Phase.generate] + ([Phase.shrink] if os.environ.get("MALFORMED_SHRINK")
                                                          else [])


@settings(max_examples=EXAMPLES, deadline=None, derandomize=DERANDOMIZE, database=None, phases=PHASES,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(case=landing_mutations())
def test_random_malformed_landing_follows_the_rule(builder: StagingBuilder,
                                                   case: tuple[dict[str, LandingFile], list[str]]) -> None:
    files, applied = case
    HYPOTHESIS_CASES.append(", ".join(applied) or "valid")
    outcome = builder.run(files)
    if any(landing.fatal for landing in files.values()):
        assert_one_clear_line(files, outcome)
    else:
        assert outcome.success, f"{applied}: {outcome.one_line}"
        assert_no_row_lost(files, outcome)
        assert_value_rules(builder.warehouse)


def test_hypothesis_cases_ran() -> None:
    """Reports how many generated cases the property test ran (-s shows it)."""
    if not HYPOTHESIS_CASES:
        pytest.skip("the property test did not run in this session")
    print(f"\nhypothesis: {len(HYPOTHESIS_CASES)} malformed landing cases ran:")
    for case in HYPOTHESIS_CASES:
        print(f"  {case}")
    assert len(HYPOTHESIS_CASES) >= min(EXAMPLES, 5)


# ---------------------------------------------------------------------------
# through the publish command


def test_publish_stops_on_a_fatal_file_and_keeps_the_published_warehouse(tmp_path: Path) -> None:
    if not (Path(sys.executable).parent / "dbt").exists():
        pytest.skip("dbt is not installed next to this Python")
    files = valid_landing()
    _apply(files, "subscriptions", fatal_missing_column, ["status"])
    landing = tmp_path / "landing"
    write_landing(files, landing)
    warehouse = tmp_path / "wh" / "published.duckdb"
    warehouse.parent.mkdir()
    with duckdb.connect(str(warehouse)) as con:        # a stand-in for the last good version
        con.execute("create schema marts; create table marts.fct_mrr as select 42 as answer")
    before = warehouse.read_bytes()
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "publish.py"), "--raw-data-dir", str(landing),
         "--as-of-date", AS_OF, "--warehouse", str(warehouse), "--select", *STAGING_SELECTION, "--no-tests",
         "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs"), "--quiet"],
        cwd=REPO_ROOT, capture_output=True, text=True,
        env={**os.environ, "DUCKDB_TEMP_DIR": str(tmp_path / "duckdb_tmp")},
    )
    assert done.returncode == 1, done.stdout + done.stderr
    errors = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(errors) == 1, done.stderr
    assert errors[0].startswith("publish: FAILED: Landing data: ")
    assert "subscriptions.csv" in errors[0] and "'status'" in errors[0]
    assert "Traceback" not in done.stdout + done.stderr
    assert warehouse.read_bytes() == before
    assert [p.name for p in (warehouse.parent / "builds").iterdir()] == [".lock"]


# ---------------------------------------------------------------------------
# the cases of issue #17 (the same cases run on Spark: test_malformed_landing_spark.py)


@pytest.mark.parametrize("case", ISSUE_CASES, ids=[case.name for case in ISSUE_CASES])
def test_issue_case_on_duckdb(builder: StagingBuilder, case: IssueCase) -> None:
    outcome = builder.run(case.files, select=case.select)
    success = outcome.success

    def query(sql: str) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(builder.warehouse), read_only=True) as con:
            return con.execute(sql).fetchall()

    check_issue_case(case, success, outcome.one_line, query)
    print(f"\n{case.name}: {outcome.one_line if case.fatal else 'built'}")
