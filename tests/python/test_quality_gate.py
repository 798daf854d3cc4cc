"""The quality gate fails on broken data and says where and why.

The fixture landing data is built once for the module. Each case breaks a
copy of that warehouse (or of the landing data) the way a bug or a bad
delivery would, runs the gate — dbt tests, the landing freshness rule, the
Great Expectations checkpoint — and asserts that it fails with a message
naming the model, the column and the rule, and that nothing else failed (so
the message points at the cause). The unbroken build passed every one of
these checks, so each failure here is the break's doing.

Also here: `dbt docs generate` on the built warehouse gives a catalog that
covers every mart and every documented column.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DBT, FIXTURE_AS_OF, FIXTURE_DIR, REPO_ROOT, build_warehouse

duckdb = pytest.importorskip("duckdb")
sys.path.insert(0, str(REPO_ROOT / "scripts"))
import validate_marts  # noqa: E402

pytestmark = [pytest.mark.dbt, pytest.mark.slow]

ANSI = re.compile(r"\x1b\[[0-9;]*m")
TIMESTAMP = re.compile(r"^\d\d:\d\d:\d\d\s+")
VARS = {"raw_data_dir": str(FIXTURE_DIR), "as_of_date": FIXTURE_AS_OF}


class Gate:
    """The built fixture warehouse and the one path every broken copy is tested at
    (one path and one target dir, so that dbt's partial parsing keeps working)."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.case = work / "case" / "fixture.duckdb"
        self.pristine = work / "pristine" / "fixture.duckdb"  # same file name: views bind to it

    def broken(self, *statements: str) -> Path:
        """A fresh copy of the built warehouse at `case`, with `statements` applied."""
        shutil.copy(self.pristine, self.case)
        with duckdb.connect(str(self.case)) as con:
            for statement in statements:
                con.execute(statement)
        return self.case

    def dbt(self, *args: str, warehouse: Path | None = None, dbt_vars: dict | None = None) -> tuple[int, str]:
        """Run dbt against `warehouse` (default: the case copy); exit code and plain output."""
        warehouse = warehouse or self.case
        work = warehouse.parent
        env = dict(os.environ, DBT_PROFILES_DIR=str(REPO_ROOT), WAREHOUSE_PATH=str(warehouse),
                   DUCKDB_TEMP_DIR=str(work / "spill"))
        result = subprocess.run(
            [DBT, *args, "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
             "--vars", json.dumps(dbt_vars or VARS)],
            cwd=REPO_ROOT, env=env, capture_output=True, text=True)
        lines = [TIMESTAMP.sub("", ANSI.sub("", line)) for line in result.stdout.splitlines()]
        return result.returncode, "\n".join(lines)


def reported(output: str, kind: str = "Failure") -> dict[str, str]:
    """dbt's `<kind> in test <name> (<file>)` blocks: test name -> 'file: message'."""
    found = {}
    for match in re.finditer(rf"^{kind} in test (\S+) \(([^)]+)\)\n\s*(.+)$", output, flags=re.MULTILINE):
        found[match.group(1)] = f"{match.group(2)}: {match.group(3).strip()}"
    return found


@pytest.fixture(scope="module")
def gate(tmp_path_factory: pytest.TempPathFactory) -> Gate:
    gate = Gate(tmp_path_factory.mktemp("quality_gate"))
    gate.case.parent.mkdir()
    gate.pristine.parent.mkdir()
    build_warehouse(FIXTURE_DIR, gate.case)  # every model and test passes on the fixture
    shutil.copy(gate.case, gate.pristine)
    return gate


LATEST_MONTH = "(select max(month) from marts.mrr_movements)"
CLEAN_INVOICE = "(select min(invoice_id) from staging.base_invoices where quarantine_reason_code is null)"


@pytest.mark.parametrize("statements, select, test_name, yml", [
    pytest.param(
        # The quarantine lets one copy of an invoice through twice (a dedup bug).
        [f"insert into staging.base_invoices select * from staging.base_invoices where invoice_id = {CLEAN_INVOICE}"],
        "stg_invoices", "unique_stg_invoices_invoice_id", "models/staging/_staging.yml",
        id="duplicated-invoice"),
    pytest.param(
        # A negative amount slips past the quarantine into the clean invoices.
        [f"update staging.base_invoices set amount_due = -12.50 where invoice_id = {CLEAN_INVOICE}"],
        "stg_invoices", "non_negative_stg_invoices_amount_due", "models/staging/_staging.yml",
        id="negative-amount"),
    pytest.param(
        # A movement that does not add up: new MRR without the ending MRR it makes.
        [f"update marts.mrr_movements set new_mrr = new_mrr + 100 where month = {LATEST_MONTH}"],
        "mrr_movements", "mrr_waterfall_reconciles_mrr_movements_", "models/marts/mrr_movements.yml",
        id="mrr-identity-broken"),
    pytest.param(
        # A category value that no customer has.
        ["update marts.churn_summary set segment = 'All' where segment = 'all' and period_type = 'year'"],
        "churn_summary", "accepted_values_from_parent_churn_summary_segment__all__segment__ref_fct_mrr_",
        "models/marts/churn_summary.yml",
        id="unknown-segment"),
])
def test_dbt_tests_fail_on_broken_data(gate: Gate, statements, select, test_name, yml) -> None:
    gate.broken(*statements)
    code, output = gate.dbt("test", "--select", select)
    failures = reported(output)
    assert code == 1, f"dbt test passed on broken data:\n{output[-3000:]}"
    assert set(failures) == {test_name}, f"expected only {test_name} to fail, got:\n{failures}"
    assert failures[test_name].startswith(f"{yml}: Got 1 result, configured to fail if != 0")


def write_until(source: Path, target: Path, column: str, before: str) -> None:
    """Copy a landing CSV keeping only the rows whose `column` starts before day `before`
    (rows whose value is not a timestamp — the fixture's bad rows — are kept)."""
    with source.open(newline="") as src, target.open("w", newline="") as out:
        rows = csv.reader(src)
        writer = csv.writer(out)
        header = next(rows)
        writer.writerow(header)
        index = [name.lower() for name in header].index(column)
        for row in rows:
            value = row[index] if index < len(row) else ""
            if not re.match(r"\d{4}-\d\d-\d\d", value) or value[:10] < before:
                writer.writerow(row)


def test_stale_landing_files_warn_then_fail(gate: Gate) -> None:
    """Events 4-5 days behind as_of_date warn (> freshness_warn_days 2); invoices a
    month behind fail the build (> freshness_error_days 7). Both name table and column."""
    landing = gate.work / "stale_landing"
    shutil.copytree(FIXTURE_DIR, landing)
    write_until(FIXTURE_DIR / "events.csv", landing / "events.csv", "occurred_at", "2026-10-27")
    write_until(FIXTURE_DIR / "invoices.csv", landing / "invoices.csv", "issued_at", "2026-10-01")
    warehouse = gate.work / "stale" / "fixture.duckdb"
    warehouse.parent.mkdir()
    # The freshness tests and the models they read, straight from the landing files.
    code, output = gate.dbt("build", "--select", "+test_name:days_behind_as_of", "--indirect-selection", "cautious",
                            warehouse=warehouse, dbt_vars={**VARS, "raw_data_dir": str(landing)})
    assert code == 1, f"the build passed on stale landing data:\n{output[-3000:]}"
    failures, warnings = reported(output), reported(output, "Warning")
    assert set(failures) == {"days_behind_as_of_stg_invoices_issued_at"}, failures
    days = re.fullmatch(r"models/staging/_staging.yml: Got (\d+) results, configured to fail if >7",
                        failures["days_behind_as_of_stg_invoices_issued_at"])
    assert days and int(days.group(1)) >= 31, failures
    events = [name for name in warnings if name.startswith("days_behind_as_of_stg_event")]
    assert events and set(warnings) == set(events), warnings
    assert re.fullmatch(r"models/staging/_staging.yml: Got [45] results, configured to warn if >2",
                        warnings[events[0]]), warnings


def test_great_expectations_fail_on_row_drop_and_churn_out_of_bounds(gate: Gate) -> None:
    as_of = dt.date.fromisoformat(FIXTURE_AS_OF)
    history, docs = gate.work / "ge_history.json", gate.work / "data_docs"
    warehouse = gate.broken()  # unbroken first: the suite passes and records the row counts
    baseline = validate_marts.run(warehouse, as_of, docs, history)
    assert baseline.failures == [] and baseline.evaluated > 20, baseline
    assert (docs / "index.html").exists()
    rows = json.loads(history.read_text())[str(warehouse.resolve())]["row_counts"]["fct_mrr"]

    gate.broken(
        # A build that lost most of its history ...
        "delete from marts.fct_mrr where month < date '2026-08-01'",
        # ... and monthly churn far above what the customer counts make plausible (dbt's [0, 1] holds).
        "update marts.churn_summary set logo_churn_rate = 0.5 "
        "where period_type = 'month' and segment = 'all' and customers_start >= 25",
    )
    report = validate_marts.run(warehouse, as_of, docs, history)
    assert len(report.failures) == 2, "\n".join(report.failures)
    row_drop, churn = sorted(report.failures, key=lambda line: "fct_mrr" not in line)
    assert row_drop.startswith(
        f"marts.fct_mrr.(row count): expect_table_row_count_to_be_between [min_value={rows // 2}, "
        f"max_value={rows * 2}] failed, observed "), row_drop
    assert re.match(r"marts\.churn_summary\.logo_churn_rate <= logo_churn_rate_upper_band: "
                    r"expect_column_pair_values_a_to_be_greater_than_b failed, [1-9]\d* of \d+ rows break it", churn), churn


def test_docs_catalog_covers_every_mart(gate: Gate) -> None:
    gate.broken()
    code, output = gate.dbt("docs", "generate")
    assert code == 0, output[-3000:]
    target = gate.case.parent / "target"
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())["nodes"]
    marts = [node for node in manifest["nodes"].values()
             if node["resource_type"] == "model" and node["config"].get("schema") == "marts"]
    assert len(marts) >= 12
    for node in marts:
        assert node["unique_id"] in catalog, f"{node['name']} is not in the catalog"
        cataloged = {name.lower() for name in catalog[node["unique_id"]]["columns"]}
        documented = {name for name, column in node["columns"].items() if column.get("description")}
        assert set(node["columns"]) == documented, f"{node['name']}: undocumented columns"
        assert documented <= cataloged, f"{node['name']}: documented but not in the catalog: {documented - cataloged}"
