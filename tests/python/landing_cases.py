"""Landing directories for the malformed-landing tests, shared by the DuckDB
tests (test_malformed_landing.py) and the Spark ones
(test_malformed_landing_spark.py): a tiny valid business, the record rule
computed independently with Python's csv module, and the cases of issue
#17 with what each must give on every engine.

No dependency on hypothesis, duckdb or pyspark (the Spark environment has
no hypothesis).
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

TABLES = ["customers", "plans", "subscriptions", "invoices", "events", "fx_rates", "marketing_spend"]
OPTIONAL = {"fx_rates", "marketing_spend"}
STAGING_SELECTION = ["+raw_row_reconciliation", "+quarantined_rows", "+corrected_values"]
AS_OF = "2026-10-31"


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


def split_records(landing: LandingFile) -> list[tuple[int, str, bool]]:
    """The data records of a CSV file by the documented record rule,
    computed here with Python's csv module: (first line number, text,
    broken). The bytes are decoded as Latin-1 (never fails, keeps the ASCII
    structure). A line that ends inside quotes (odd number of quotes) runs
    on to the next such line when the joined lines are one well-formed
    record of the header's width (Python's csv module, strict); otherwise
    it is a broken record of its own and reading resumes on the next line.
    Blank lines outside records are skipped."""
    text = landing.content.decode("latin-1")
    if text.startswith("\u00ef\u00bb\u00bf"):
        text = text[3:]
    lines = re.split(r"\r\n|\r|\n", text)
    if not lines or not lines[0].strip():
        return []
    width = len(next(csv.reader([lines[0]])))
    records: list[tuple[int, str, bool]] = []
    index = 1
    while index < len(lines):
        line = lines[index]
        if line.count('"') % 2 == 0:
            if line != "":
                records.append((index + 1, line, False))
            index += 1
            continue
        end = next((j for j in range(index + 1, len(lines)) if lines[j].count('"') % 2 == 1), None)
        if end is not None and end - index < 1000:
            joined = "\n".join(lines[index:end + 1])
            try:
                parsed = list(csv.reader(io.StringIO(joined, newline=""), strict=True))
            except csv.Error:
                parsed = []
            if len(parsed) == 1 and len(parsed[0]) == width and _is_rfc_record(joined):
                records.append((index + 1, joined, False))
                index = end + 1
                continue
        records.append((index + 1, line, True))
        index += 1
    return records


def _is_rfc_record(text: str) -> bool:
    """True when every field is either quoted from its first to its last
    character ("" inside) or plain (no quote and no line break)."""
    position = 0
    while True:
        if text.startswith('"', position):
            position += 1
            while True:
                close = text.find('"', position)
                if close < 0:
                    return False
                if text.startswith('""', close):
                    position = close + 2
                    continue
                position = close + 1
                break
        else:
            end = text.find(",", position)
            field = text[position:] if end < 0 else text[position:end]
            if any(char in field for char in '"\r\n'):
                return False
            position = len(text) if end < 0 else end
        if position == len(text):
            return True
        if text[position] != ",":
            return False
        position += 1


def count_records(landing: LandingFile) -> int:
    """Data records of a file, counted independently of the build: pyarrow
    for Parquet; for CSV, the record rule computed with Python's csv
    module (split_records)."""
    if landing.absent:
        return 0
    if landing.suffix == "parquet":
        import pyarrow.parquet as pq

        return pq.read_metadata(io.BytesIO(landing.content)).num_rows
    return len(split_records(landing))


# ---------------------------------------------------------------------------
# the cases of issue #17, with what every engine must give


@dataclass
class IssueCase:
    name: str
    files: dict[str, LandingFile]
    #: fatal: (file name, column or None, words the one line must contain)
    fatal: tuple[str, str | None, str] | None = None
    #: non-fatal: {table: {data row: words of its quarantine reason}} (all the table's quarantined rows)
    quarantined: dict[str, dict[int, str]] = field(default_factory=dict)
    #: non-fatal: (SQL on the built warehouse, expected rows)
    values: list[tuple[str, list[tuple[Any, ...]]]] = field(default_factory=list)
    #: a selection enough to reach the outcome (a fatal case needs less than everything)
    select: list[str] = field(default_factory=lambda: list(STAGING_SELECTION))


def _issue_rows_case() -> IssueCase:
    """Every non-fatal kind of the issue in one landing directory."""
    files = valid_landing()
    tables = base_tables()
    # customers: Windows-1252 (an Excel export), a valid multi-line quoted address
    header, rows = tables["customers"]
    rows[1][2] = "O’Brien “Söhne” – 5 €"
    rows[2][2] = "Acme GmbH\nBerlin, Germany"
    rows[3][2] = 'The "Best" Co,\nLtd'
    files["customers"] = LandingFile("customers", csv_bytes(header, rows).decode().encode("cp1252"))
    # invoices: a closing quote missing in rows 2 and 5 (of 6)
    lines = files["invoices"].content.split(b"\n")
    for row in (2, 5):
        lines[row] = lines[row].replace(b",C", b',"C', 1)
    files["invoices"] = LandingFile("invoices", b"\n".join(lines), bad_rows={2, 5})
    # events: a quote after a space (not RFC 4180 quoting) in row 3
    files["events"] = LandingFile("events", files["events"].content.replace(b"E3,C4,U0,login,", b'E3,C4,U0, "login,'),
                                  bad_rows={3})
    return IssueCase(
        "issue_rows", files,
        quarantined={"invoices": {2: "unterminated quote", 5: "unterminated quote"},
                     "events": {3: "unterminated quote"}},
        values=[
            ("select customer_id, company_name from staging.stg_customers where customer_id in ('C2', 'C3', 'C4') "
             "order by customer_id",
             [("C2", "O’Brien “Söhne” – 5 €"), ("C3", "Acme GmbH\nBerlin, Germany"), ("C4", 'The "Best" Co,\nLtd')]),
            ("select invoice_id from staging.stg_invoices order by invoice_id", [("I1",), ("I3",), ("I4",), ("I6",)]),
            ("select source_table, file_encoding from audit.raw_row_reconciliation "
             "where source_table in ('customers', 'invoices') order by source_table",
             [("customers", "windows-1252"), ("invoices", "utf-8")]),
            ("select count(*) from staging.stg_subscriptions where customer_id = 'C2'", [(1,)]),
        ])


def _trailing_comma(landing: LandingFile) -> LandingFile:
    lines = landing.content.split(b"\n")
    content = b"\n".join([lines[0]] + [line + b"," if line else line for line in lines[1:]])
    return LandingFile(landing.table, content)


def _day_first_times(landing: LandingFile, column: str) -> LandingFile:
    records = list(csv.reader(io.StringIO(landing.content.decode(), newline="")))
    position = records[0].index(column)
    for record in records[1:]:
        value = record[position]
        record[position] = f"{value[8:10]}.{value[5:7]}.{value[:4]}"
    return LandingFile(landing.table, csv_bytes(records[0], records[1:]))


def _integer_times_parquet(landing: LandingFile, column: str) -> LandingFile:
    import pyarrow as pa
    import pyarrow.parquet as pq

    records = list(csv.reader(io.StringIO(landing.content.decode(), newline="")))
    columns: dict[str, Any] = {name: [record[i] or None for record in records[1:]]
                               for i, name in enumerate(records[0])}
    columns[column] = pa.array([1_700_000_000 + i for i in range(len(records) - 1)], pa.int64())
    buffer = io.BytesIO()
    pq.write_table(pa.table(columns), buffer)
    return LandingFile(landing.table, buffer.getvalue(), suffix="parquet")


def _value_rows_case() -> IssueCase:
    """The value rules of the issue in one landing directory: implausible
    dates, missing-value tokens (NA stays Namibia), overlapping periods."""
    tables = base_tables()
    files = valid_landing()
    header, rows = tables["customers"]
    rows[5][header.index("country")] = "NA"                                     # C6: Namibia, a value
    files["customers"] = LandingFile("customers", csv_bytes(header, rows))
    header, rows = tables["subscriptions"]
    rows[0][header.index("amount")] = "29.00"                                    # S1 open from 2025-02-01 ...
    rows.append(["S1", "C1", "P1", "month", "59.00", "1", "USD", "active", "2025-06-01T00:00:00", "", ""])
    files["subscriptions"] = LandingFile("subscriptions", csv_bytes(header, rows))  # ... and from 2025-06-01
    header, rows = tables["invoices"]
    rows[1][header.index("customer_id")] = "NULL"
    rows[2][header.index("issued_at")] = "1970-01-01T00:00:00"
    files["invoices"] = LandingFile("invoices", csv_bytes(header, rows), bad_rows={2, 3})
    header, rows = tables["events"]
    rows[0][header.index("occurred_at")] = "epoch"
    rows[1][header.index("customer_id")] = "N/A"
    files["events"] = LandingFile("events", csv_bytes(header, rows), bad_rows={1, 2})
    return IssueCase(
        "value_rows", files,
        quarantined={"invoices": {2: "customer_id is a missing-value token: NULL",
                                  3: "issued_at is not a plausible date"},
                     "events": {1: "occurred_at is not a plausible date", 2: "customer_id is a missing-value token"}},
        values=[
            ("select customer_id, country from staging.stg_customers where customer_id = 'C6'", [("C6", "NA")]),
            ("select raw_row_number, column_name, correction_reason_code from audit.corrected_values",
             [(1, "period_end", "overlapping_period")]),
            ("select amount, cast(period_start as date), cast(period_end as date) from staging.stg_subscriptions "
             "where subscription_id = 'S1' order by period_start",
             [(Decimal("29.00"), date(2025, 2, 1), date(2025, 6, 1)), (Decimal("59.00"), date(2025, 6, 1), None)]),
        ])


def _fatal_case(name: str, table: str, change: Callable[[LandingFile], LandingFile], column: str | None,
                words: str) -> IssueCase:
    files = valid_landing()
    files[table] = change(files[table])
    select = ["+stg_event_user_days" if table == "events" else f"+stg_{table}"]
    return IssueCase(name, files, fatal=(files[table].name, column, words), select=select)


def build_issue_cases() -> list[IssueCase]:
    return [
        _issue_rows_case(),
        _value_rows_case(),
        _fatal_case("header_only", "events", lambda f: LandingFile("events", f.content.split(b"\n")[0] + b"\n"),
                    None, "has no data rows"),
        _fatal_case("parquet_integer_time", "events", lambda f: _integer_times_parquet(f, "occurred_at"),
                    "occurred_at", "is a bigint column; the raw contract expects a timestamp"),
        _fatal_case("trailing_comma", "subscriptions", _trailing_comma, None,
                    "6 of 6 rows are not readable CSV"),
        _fatal_case("column_fails", "events", lambda f: _day_first_times(f, "occurred_at"), "occurred_at",
                    "12 of 12 rows are empty or not a valid timestamp"),
    ]


ISSUE_CASES = build_issue_cases()


def check_issue_case(case: IssueCase, success: bool, one_line: str,
                     query: Callable[[str], list[tuple[Any, ...]]]) -> None:
    """What an engine's build of a case must give: for a fatal case one line
    naming the file (and column) and no other file; otherwise nothing lost
    (the file's records, counted here, = the build's record count = clean +
    quarantined + duplicates), exactly the expected rows quarantined, and
    the expected values."""
    if case.fatal:
        name, column, words = case.fatal
        assert not success, f"{case.name}: the build did not stop"
        assert "\n" not in one_line and one_line.startswith("Landing data: "), one_line
        assert f"/{name}" in one_line, f"{case.name}: the line does not name {name}: {one_line}"
        others = [f"{table}." for table in TABLES if not name.startswith(f"{table}.")]
        assert not any(f"/{other}" in one_line for other in others), f"another file is blamed: {one_line}"
        if column:
            assert f"'{column}'" in one_line, one_line
        assert words.lower() in one_line.lower(), f"{case.name}: expected {words!r} in: {one_line}"
        return
    assert success, f"{case.name}: {one_line}"
    counts = {row[0]: row[1:] for row in query(
        "select source_table, raw_rows, clean_rows, quarantined_rows, duplicates_removed, staged_rows "
        "from audit.raw_row_reconciliation")}
    for table in TABLES:
        raw, clean, quarantined, duplicates, staged = counts[table]
        assert raw == count_records(case.files[table]), f"{case.name}: {table} counted {raw} records"
        assert raw == clean + quarantined + duplicates and clean == staged, f"{table}: {counts[table]}"
    found: dict[str, dict[int, str]] = {}
    for table, number, reason in query(
            "select source_table, raw_row_number, quarantine_reason from audit.quarantined_rows"):
        found.setdefault(table, {})[number] = reason
    assert sorted(found) == sorted(case.quarantined), f"quarantined: {found}"
    for table, rows in case.quarantined.items():
        assert sorted(found[table]) == sorted(rows), f"{table} quarantined {found[table]}"
        for number, words in rows.items():
            assert words in found[table][number], found[table][number]
    for sql, expected in case.values:
        assert [tuple(row) for row in query(sql)] == expected, sql
