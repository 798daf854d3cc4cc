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
import shutil
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

pytestmark = [pytest.mark.dbt, pytest.mark.slow]

AS_OF = "2026-10-31"
STAGING_SELECTION = ["+raw_row_reconciliation", "+quarantined_rows"]
TABLES = ["customers", "plans", "subscriptions", "invoices", "events", "fx_rates", "marketing_spend"]
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
UNPARSEABLE = {
    "timestamp": ["not a time", "2026-02-30T10:00:00", "31/12/2026", "0001-01-01", "99999-01-01", "infinity",
                  "2026-13-01", "1700000000"],
    "date": ["2026-02-30", "yesterday", "0999-01-01", "2026/01/01x"],
    "money": ["abc", "1e400", "12,50", "$5", "99999999999999999999", "1e15", "NaN", "--1"],
    "number": ["abc", "1e400", "NaN", "inf", "-inf", "1e300", "1,5"],
}


# ---------------------------------------------------------------------------
# a small valid landing directory


def base_tables() -> dict[str, tuple[list[str], list[list[str]]]]:
    """Header and rows of every landing table: a tiny, valid business."""
    customers = [
        [f"C{i}", f"2025-0{i}-1{i}T0{i}:00:00", f"Company {i}", country, segment, channel]
        for i, (country, segment, channel) in enumerate(
            [("US", "smb", "organic"), ("DE", "mid_market", "paid_search"), ("FR", "enterprise", "outbound"),
             ("GB", "smb", "paid_social"), ("US", "mid_market", "organic"), ("AT", "smb", "partner")], start=1)
    ]
    plans = [
        ["P1", "Starter monthly", "starter", "month", "49.00", "USD"],
        ["P2", "Growth yearly", "growth", "year", "1200.00", "EUR"],
        ["P3", "Pro quarterly", "pro", "quarter", "300.00", "USD"],
    ]
    subscriptions = [
        ["S1", "C1", "P1", "month", "49.00", "1", "USD", "active", "2025-02-01T00:00:00", "", ""],
        ["S2", "C2", "P2", "year", "1200.00", "3", "EUR", "active", "2025-03-01T00:00:00", "", ""],
        ["S3", "C3", "P3", "quarter", "300.00", "5", "USD", "active", "2025-04-01T00:00:00",
         "2025-10-01T00:00:00", ""],
        ["S3", "C3", "P3", "quarter", "450.00", "8", "USD", "canceled", "2025-10-01T00:00:00",
         "2026-04-01T00:00:00", "too_expensive"],
        ["S4", "C4", "P1", "month", "49.00", "1", "USD", "trialing", "2025-05-01T00:00:00",
         "2025-05-15T00:00:00", ""],
        ["S5", "C5", "P1", "month", "98.00", "2", "USD", "active", "2025-06-01T00:00:00", "", ""],
    ]
    invoices = [
        [f"I{i}", customer, subscription, f"2025-0{i + 1}-02T10:00:00", "", "", amount, amount, "0.00",
         currency, "paid", "1", f"2025-0{i + 1}-02T10:05:00"]
        for i, (customer, subscription, amount, currency) in enumerate(
            [("C1", "S1", "49.00", "USD"), ("C2", "S2", "1200.00", "EUR"), ("C3", "S3", "300.00", "USD"),
             ("C5", "S5", "98.00", "USD"), ("C1", "S1", "49.00", "USD"), ("C3", "S3", "450.00", "USD")],
            start=1)
    ]
    events = [
        [f"E{i}", f"C{1 + i % 5}", f"U{i % 3}", ["login", "report_export", "api_call"][i % 3],
         f"2026-{1 + i % 9:02d}-{10 + i:02d}T12:00:00", str(30 * i), ["", "reports", "api"][i % 3]]
        for i in range(1, 13)
    ]
    fx_rates = [["EUR", f"2025-{month:02d}-01", f"1.{month:02d}"] for month in range(1, 13)]
    fx_rates += [["EUR", "2026-01-01", "1.10"], ["GBP", "2025-01-01", "1.25"]]
    marketing_spend = [["2025-01-01", "paid_search", "1000.00"], ["2025-02-01", "paid_social", "500.00"]]
    return {
        "customers": (["customer_id", "created_at", "company_name", "country", "segment", "acquisition_channel"],
                      customers),
        "plans": (["plan_id", "plan_name", "tier", "billing_interval", "list_price", "currency"], plans),
        "subscriptions": (["subscription_id", "customer_id", "plan_id", "billing_interval", "amount", "quantity",
                           "currency", "status", "period_start", "period_end", "cancel_reason"], subscriptions),
        "invoices": (["invoice_id", "customer_id", "subscription_id", "issued_at", "period_start", "period_end",
                      "amount_due", "amount_paid", "amount_refunded", "currency", "status", "attempt_count",
                      "paid_at"], invoices),
        "events": (["event_id", "customer_id", "user_id", "event_name", "occurred_at", "duration_seconds",
                    "feature"], events),
        "fx_rates": (["currency", "rate_date", "rate_to_reporting"], fx_rates),
        "marketing_spend": (["month", "acquisition_channel", "amount"], marketing_spend),
    }


def csv_bytes(header: list[str], rows: list[list[str]], newline: str = "\n") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


@dataclass
class LandingFile:
    """One landing file as bytes, plus what a mutation expects of it."""

    table: str
    content: bytes
    suffix: str = "csv"
    #: data row numbers (1-based) that must end up quarantined
    bad_rows: set[int] = field(default_factory=set)
    #: a fatal problem: (column or None, words the message must contain)
    fatal: tuple[str | None, str] | None = None
    absent: bool = False

    @property
    def name(self) -> str:
        return f"{self.table}.{self.suffix}"


def valid_landing() -> dict[str, LandingFile]:
    return {table: LandingFile(table, csv_bytes(header, rows)) for table, (header, rows) in base_tables().items()}


def write_landing(files: dict[str, LandingFile], directory: Path) -> None:
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    for landing in files.values():
        if not landing.absent:
            (directory / landing.name).write_bytes(landing.content)


csv.field_size_limit(1 << 30)


def count_records(landing: LandingFile) -> int:
    """Data rows of a file by an independent reader: pyarrow for Parquet;
    for CSV, Python's csv module on the bytes decoded as Latin-1 (which
    never fails and keeps the ASCII structure), without the header and
    without blank lines."""
    if landing.absent:
        return 0
    if landing.suffix == "parquet":
        import pyarrow.parquet as pq

        return pq.read_metadata(io.BytesIO(landing.content)).num_rows
    text = landing.content.decode("latin-1")
    if text.startswith("\u00ef\u00bb\u00bf"):
        text = text[3:]
    records = [row for row in csv.reader(io.StringIO(text, newline="")) if row]
    return max(len(records) - 1, 0)


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
    """A field opening a quote that never closes: the reader swallows the rest
    of the file into one row, which is quarantined with its raw text."""
    lines = _raw_lines(landing)
    index = draw(st.integers(1, len(lines) - 2))
    parts = lines[index].split(b",")
    parts[-1] = b'"' + parts[-1].replace(b'"', b"")
    lines[index] = b",".join(parts)
    changed = LandingFile(landing.table, b"\n".join(lines))
    changed.bad_rows = {row for row in landing.bad_rows if row < index} | {index}
    return changed


def mutate_header_only(landing: LandingFile, draw: Callable) -> LandingFile:
    return LandingFile(landing.table, _raw_lines(landing)[0] + draw(st.sampled_from([b"\n", b"", b"\r\n"])))


def mutate_parquet(landing: LandingFile, draw: Callable) -> LandingFile:
    """The table as Parquet: all text, or numbers and times typed
    differently from the contract (ints for timestamps, text for money)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    header, rows = _rows(landing)
    columns: dict[str, Any] = {name: [row[i] or None for row in rows] for i, name in enumerate(header)}
    bad_rows = set()
    if draw(st.booleans()):
        column, kind = TYPED[landing.table]
        if kind in ("timestamp", "date"):
            columns[column] = pa.array([1_700_000_000 + i for i in range(len(rows))], pa.int64())
            bad_rows = set(range(1, len(rows) + 1)) if column in REQUIRED[landing.table] else set()
        else:
            columns[column] = pa.array([float(v) if v else None for v in columns[column]], pa.float64())
    buffer = io.BytesIO()
    pq.write_table(pa.table(columns), buffer)
    return LandingFile(landing.table, buffer.getvalue(), suffix="parquet", bad_rows=bad_rows)


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
    "header_only": mutate_header_only,
    "parquet": mutate_parquet,
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


FATAL: dict[str, Callable[[LandingFile, Callable], LandingFile]] = {
    "missing_file": fatal_missing_file,
    "missing_column": fatal_missing_column,
    "empty_file": fatal_empty_file,
    "duplicate_header": fatal_duplicate_header,
    "utf16_big_endian": fatal_utf16_big_endian,
    "parquet_schema": fatal_parquet_schema,
    "header_not_utf8": fatal_header_not_utf8,
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
            select: list[str] | None = None) -> Outcome:
        from publish import one_line, summarize_dbt_failure

        write_landing(files, self.landing)
        for path in (self.warehouse, self.warehouse.with_name(self.warehouse.name + ".wal")):
            if path.exists():
                path.unlink()
        self.messages = []
        dbt_vars = {"raw_data_dir": str(self.landing), "as_of_date": AS_OF, **(extra_vars or {})}
        result = self.runner.invoke([
            "run", "--project-dir", str(REPO_ROOT), "--select", *(select or STAGING_SELECTION),
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
            f"{landing.name}: the build read {counts['raw_rows']} rows, the file has {expected}")
        assert counts["raw_rows"] == (counts["clean_rows"] + counts["quarantined_rows"]
                                      + counts["duplicates_removed"]), f"{table} does not reconcile: {counts}"
        assert counts["clean_rows"] == counts["staged_rows"], f"{table}: clean != staged: {counts}"
        listed = outcome.quarantined.get(table, {})
        assert len(listed) <= counts["quarantined_rows"] + counts["duplicates_removed"]
        for row in sorted(landing.bad_rows):
            if row <= expected:
                assert row in listed, f"{landing.name} row {row} is bad but not quarantined ({listed})"


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
    _apply(files, "invoices", mutate_unterminated_quote, [5])                # row 5 swallows row 6
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
    assert outcome.reconciliation["invoices"]["raw_rows"] == 5     # the quote swallowed the last row
    assert "duplicate_key" in quarantined["subscriptions"].values()
    assert list(quarantined["events"].values()).count("exact_duplicate") == 1
    assert outcome.reconciliation["marketing_spend"]["raw_rows"] == 0
    with duckdb.connect(str(builder.warehouse), read_only=True) as con:
        # BOM + reordered, upper-case, padded header + CRLF + extra column: still read by name
        assert con.execute("select count(*) from staging.stg_customers where customer_id = 'C1'").fetchone()[0] == 1
        # Latin-1 file decoded as such
        assert con.execute("select plan_name from staging.stg_plans where plan_id = 'P1'").fetchone()[0] == "Startér"
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


def test_line_breaks_windows_1252_and_rows_joined_by_a_quote(builder: StagingBuilder) -> None:
    files = valid_landing()
    # LF header, CRLF and bare-CR line breaks mixed, a CR inside a quoted name
    lines = _raw_lines(files["customers"])
    content = (lines[0] + b"\n" + lines[1] + b"\r\n" + lines[2] + b"\r" + lines[3] + b"\n"
               + lines[4].replace(b"Company 4", b'"Company\r4"') + b"\r\n" + b"\n".join(lines[5:]))
    files["customers"] = LandingFile("customers", content)
    # Windows-1252: the euro sign is byte 0x80, undefined in Latin-1: rows with it are quarantined
    header, rows = _rows(files["plans"])
    rows[0][1], rows[1][1] = "Starter €", "Growth é"
    files["plans"] = LandingFile("plans", csv_bytes(header, rows).decode().encode("cp1252"), bad_rows={1, 2})
    # a quote after a space opens a quoted field that runs into the next row
    content = files["events"].content.replace(b"E3,C4,U0,login,", b'E3,C4,U0, "login,') \
        .replace(b"E4,C5,U1,report_export,", b'E4,C5,U1,report_export",')
    files["events"] = LandingFile("events", content)
    outcome = builder.run(files)
    assert outcome.success, outcome.one_line
    counts = outcome.reconciliation
    assert counts["customers"]["raw_rows"] == 6 and counts["customers"]["quarantined_rows"] == 0
    for table in ("customers", "plans"):
        landing = files[table]
        assert counts[table]["raw_rows"] == count_records(landing)
        for row in landing.bad_rows:
            assert row in outcome.quarantined[table], f"{table} row {row} not quarantined"
    # events: the joined rows are one row (not 2), quarantined with the reason; nothing hides in a value
    events = counts["events"]
    assert events["raw_rows"] == 11
    assert events["raw_rows"] == events["clean_rows"] + events["quarantined_rows"] + events["duplicates_removed"]
    with duckdb.connect(str(builder.warehouse), read_only=True) as con:
        reason = con.execute("select quarantine_reason from audit.quarantined_rows where source_table = 'events' "
                             "and quarantine_reason like '%line break followed by a comma%'").fetchall()
        assert len(reason) == 1
        assert con.execute("select company_name from staging.stg_customers where customer_id = 'C4'") \
            .fetchone()[0] == "Company\r4"


@pytest.mark.parametrize("kind, table, choices", [
    ("missing_file", "subscriptions", []),
    ("missing_column", "invoices", ["amount_due"]),
    ("empty_file", "customers", [b""]),
    ("duplicate_header", "events", ["event_id"]),
    ("utf16_big_endian", "plans", []),
    ("parquet_schema", "customers", ["created_at", True]),
    ("parquet_schema", "subscriptions", ["amount", False]),
    ("header_not_utf8", "fx_rates", []),
])
def test_fatal_kind_stops_with_one_clear_line(builder: StagingBuilder, kind: str, table: str,
                                              choices: list[Any]) -> None:
    files = valid_landing()
    _apply(files, table, FATAL[kind], choices)
    outcome = builder.run(files)
    assert_one_clear_line(files, outcome)


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
    ({"churn_recognition": "later"}, "Invalid var churn_recognition 'later': must be effective or scheduled"),
])
def test_invalid_vars_stop_with_one_line(builder: StagingBuilder, extra_vars: dict[str, Any], words: str) -> None:
    outcome = builder.run(valid_landing(), extra_vars, select=["base_plans"])
    assert not outcome.success
    assert outcome.one_line.startswith(words), outcome.one_line


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
