"""The raw contract on generated data with injected bad rows (issue: Foundation).

The generator writes `_bad_rows.csv`: every bad row it injected, with the
reason the warehouse must quarantine it for. The dbt build must quarantine
each with exactly that reason, keep every clean row, and reconcile counts.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest

from conftest import build_warehouse

KEY_COLUMNS = {
    "customers": "customer_id",
    "plans": "plan_id",
    "subscriptions": "subscription_id",
    "invoices": "invoice_id",
    "events": "event_id",
}


@pytest.fixture(scope="module")
def bad_rows_build(tmp_path_factory, generated_bad_rows_dir: Path) -> tuple[Path, Path]:
    warehouse = tmp_path_factory.mktemp("quarantine") / "wh.duckdb"
    build_warehouse(generated_bad_rows_dir, warehouse, select=["+quarantined_rows", "+raw_row_reconciliation"])
    return generated_bad_rows_dir, warehouse


def quarantine_index(warehouse: Path) -> dict[tuple[str, str], list[str]]:
    """(table, key or marker value) -> reason codes of quarantined rows."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("select source_table, quarantine_reason_code, raw_record from audit.quarantined_rows").fetchall()
    index: dict[tuple[str, str], list[str]] = {}
    for table, code, record in rows:
        values = json.loads(record)
        keys = {values.get(KEY_COLUMNS.get(table, ""))}
        keys |= {value for value in values.values() if isinstance(value, str) and value.startswith("BAD-ROW")}
        for key in keys - {None}:
            index.setdefault((table, key), []).append(code)
    return index


@pytest.mark.dbt
def test_every_injected_bad_row_is_quarantined_with_its_reason(bad_rows_build) -> None:
    raw_dir, warehouse = bad_rows_build
    manifest = list(csv.DictReader((raw_dir / "_bad_rows.csv").open()))
    assert manifest, "the generator injected no bad rows"
    index = quarantine_index(warehouse)
    wrong = [
        (row["table"], row["row_key"], row["expected_reason"], index.get((row["table"], row["row_key"])))
        for row in manifest
        if row["expected_reason"] not in index.get((row["table"], row["row_key"]), [])
    ]
    assert not wrong, f"{len(wrong)} of {len(manifest)} injected rows not quarantined as expected: {wrong[:10]}"
    reasons = {row["expected_reason"] for row in manifest}
    assert {"missing_required", "unknown_customer", "unknown_plan", "end_before_start", "negative_amount",
            "unknown_currency", "unparseable_value", "exact_duplicate", "duplicate_key"} <= reasons


@pytest.mark.dbt
def test_duplicate_keys_quarantine_both_copies(bad_rows_build) -> None:
    raw_dir, warehouse = bad_rows_build
    index = quarantine_index(warehouse)
    for row in csv.DictReader((raw_dir / "_bad_rows.csv").open()):
        if row["expected_reason"] == "duplicate_key":
            assert index[(row["table"], row["row_key"])].count("duplicate_key") >= 2, row


@pytest.mark.dbt
def test_only_injected_rows_are_quarantined(bad_rows_build) -> None:
    """Clean rows stay clean: nothing beyond the injected rows (and the clean
    twin of each duplicate_key row) lands in quarantine."""
    raw_dir, warehouse = bad_rows_build
    manifest = list(csv.DictReader((raw_dir / "_bad_rows.csv").open()))
    expected = len(manifest) + sum(1 for row in manifest if row["expected_reason"] == "duplicate_key")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        quarantined = con.execute("select count(*) from audit.quarantined_rows").fetchone()[0]
    assert quarantined == expected


@pytest.mark.dbt
def test_raw_rows_reconcile_to_clean_plus_quarantined(bad_rows_build) -> None:
    raw_dir, warehouse = bad_rows_build
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select source_table, raw_rows, clean_rows, quarantined_rows, duplicates_removed, staged_rows "
            "from audit.raw_row_reconciliation"
        ).fetchall()
    for table, raw, clean, quarantined, duplicates, staged in rows:
        file = raw_dir / f"{table}.csv"
        if file.exists():
            with file.open(newline="") as handle:
                data_rows = sum(1 for _ in csv.reader(handle)) - 1
            assert raw == data_rows, f"{table}: read {raw} rows, the file has {data_rows}"
        assert raw == clean + quarantined + duplicates, table
        assert clean == staged, table


@pytest.mark.dbt
def test_committed_fixture_bad_rows_are_quarantined_with_their_reason(tmp_path_factory) -> None:
    """The committed fixture (also built on Spark, where the parity test
    compares audit.quarantined_rows row by row) lists its bad rows in
    _bad_rows.csv, including implausible dates and missing-value tokens."""
    from conftest import FIXTURE_DIR

    warehouse = tmp_path_factory.mktemp("fixture_quarantine") / "wh.duckdb"
    build_warehouse(FIXTURE_DIR, warehouse, select=["+quarantined_rows", "+raw_row_reconciliation"])
    manifest = list(csv.DictReader((FIXTURE_DIR / "_bad_rows.csv").open()))
    index = quarantine_index(warehouse)
    wrong = [(row["table"], row["row_key"], row["expected_reason"], index.get((row["table"], row["row_key"])))
             for row in manifest if row["expected_reason"] not in index.get((row["table"], row["row_key"]), [])]
    assert not wrong, f"{len(wrong)} of {len(manifest)} fixture bad rows not quarantined as expected: {wrong[:10]}"
    assert {"implausible_date", "missing_required"} <= {row["expected_reason"] for row in manifest}
    tokens = [row for row in manifest if "missing-value token" in row["detail"]]
    assert {row["table"] for row in tokens} == {"customers", "subscriptions", "invoices", "events"}
