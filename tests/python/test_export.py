"""Parquet export of the marts (scripts/export_parquet.py).

Unit tests on a small hand-built warehouse (exact types and values, subset,
errors, read-only use while a BI tool is connected) and one dbt test: every
mart of a real build lands in its own Parquet file with the same rows.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "scripts"))

import export_parquet  # noqa: E402
from _common import BUILD_WITHOUT_TESTS  # noqa: E402


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture()
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "subscription_metrics.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute("create schema staging")
        con.execute(
            """
            create table marts.mrr_movements (
                month date, ending_mrr decimal(18, 2), customers_end bigint, net_revenue_retention double
            )
            """
        )
        con.execute(
            "insert into marts.mrr_movements values "
            "('2026-09-01', 1234.56, 10, 1.02), ('2026-10-01', 1300.01, 11, null)"
        )
        con.execute("create table marts.churn_reasons (segment varchar, churn_reason varchar, churned_customers bigint)")
        con.execute("insert into marts.churn_reasons values ('smb', 'too expensive', 2), ('all', null, 0)")
        con.execute("create table staging.not_a_mart (x integer)")
    return path


def test_every_mart_becomes_a_parquet_file_with_its_types(warehouse: Path, tmp_path: Path) -> None:
    out = tmp_path / "parquet"
    exported = export_parquet.export_marts(warehouse, out)

    assert [item.table for item in exported] == ["churn_reasons", "mrr_movements"]
    assert sorted(path.name for path in out.iterdir()) == ["_manifest.json", "churn_reasons.parquet", "mrr_movements.parquet"]
    table = pq.read_table(out / "mrr_movements.parquet")
    assert table.schema.field("month").type == pa.date32()
    assert table.schema.field("ending_mrr").type == pa.decimal128(18, 2)
    assert table.schema.field("customers_end").type == pa.int64()
    assert table.schema.field("net_revenue_retention").type == pa.float64()
    assert table.to_pylist() == [
        {"month": date(2026, 9, 1), "ending_mrr": Decimal("1234.56"), "customers_end": 10, "net_revenue_retention": 1.02},
        {"month": date(2026, 10, 1), "ending_mrr": Decimal("1300.01"), "customers_end": 11, "net_revenue_retention": None},
    ]
    manifest = json.loads((out / "_manifest.json").read_text())
    assert manifest["schema"] == "marts"
    assert {item["table"]: item["rows"] for item in manifest["tables"]} == {"churn_reasons": 2, "mrr_movements": 2}
    assert manifest["tables"][1]["columns"]["ending_mrr"] == "DECIMAL(18,2)"
    assert not [path for path in out.iterdir() if path.name.startswith(".")], "no partial file left behind"


def test_export_is_read_only_and_works_beside_a_bi_connection(warehouse: Path, tmp_path: Path) -> None:
    before = _digest(warehouse)
    # A BI tool holding a read-only connection does not block the export (both read).
    with duckdb.connect(str(warehouse), read_only=True) as bi_tool:
        export_parquet.export_marts(warehouse, tmp_path / "a")
        assert bi_tool.execute("select count(*) from marts.mrr_movements").fetchone() == (2,)
    assert _digest(warehouse) == before, "the export must not change the warehouse"


def test_subset_overwrite_and_unknown_mart(warehouse: Path, tmp_path: Path) -> None:
    out = tmp_path / "p"
    export_parquet.export_marts(warehouse, out, ["mrr_movements"])
    assert sorted(path.name for path in out.glob("*.parquet")) == ["mrr_movements.parquet"]
    with duckdb.connect(str(warehouse)) as con:
        con.execute("insert into marts.mrr_movements values ('2026-11-01', 1400.00, 12, 1.0)")
    export_parquet.export_marts(warehouse, out, ["mrr_movements"])
    assert pq.read_table(out / "mrr_movements.parquet").num_rows == 3
    with pytest.raises(ValueError, match="not_there"):
        export_parquet.export_marts(warehouse, out, ["not_there"])


def test_cli(warehouse: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cli"
    assert export_parquet.main(["--warehouse", str(warehouse), "--out", str(out), "--marts", "churn_reasons"]) == 0
    printed = capsys.readouterr().out
    assert "marts.churn_reasons: 2 rows" in printed and "_manifest.json" in printed
    assert export_parquet.main(["--warehouse", str(tmp_path / "missing.duckdb"), "--out", str(out)]) == 1
    assert "warehouse not found" in capsys.readouterr().err


def test_default_warehouse_follows_warehouse_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAREHOUSE_PATH", "warehouse/other.duckdb")
    assert export_parquet.default_warehouse() == REPO_ROOT / "warehouse" / "other.duckdb"
    monkeypatch.setenv("WAREHOUSE_PATH", "/abs/wh.duckdb")
    assert export_parquet.default_warehouse() == Path("/abs/wh.duckdb")
    monkeypatch.delenv("WAREHOUSE_PATH")
    assert export_parquet.default_warehouse() == REPO_ROOT / "warehouse" / "subscription_metrics.duckdb"


@pytest.mark.dbt
def test_every_built_mart_is_exported(tmp_path: Path) -> None:
    dbt = Path(sys.executable).parent / "dbt"
    if not dbt.exists():
        pytest.skip(f"needs dbt at {dbt}")
    raw = tmp_path / "raw"
    generated = subprocess.run(
        [sys.executable, "scripts/generate_data.py", "--scale", "tiny", "--seed", "7", "--end-date", "2026-10-31",
         "--out", str(raw), "--quiet"],
        cwd=REPO_ROOT, capture_output=True, text=True,
    )
    assert generated.returncode == 0, generated.stderr[-2000:]
    warehouse = tmp_path / "subscription_metrics.duckdb"
    env = {**os.environ, "WAREHOUSE_PATH": str(warehouse), "DBT_PROFILES_DIR": str(REPO_ROOT),
           "DBT_TARGET_PATH": str(tmp_path / "target"), "DBT_LOG_PATH": str(tmp_path / "logs"),
           "DUCKDB_TEMP_DIR": str(tmp_path / "duckdb_tmp")}
    # The MRR and churn marts (quick to build); the export takes whatever is in `marts`.
    selected = ["+fct_mrr", "+mrr_movements", "+churn_summary"]
    run = subprocess.run(
        [str(dbt), *BUILD_WITHOUT_TESTS, "--select", *selected,
         "--vars", json.dumps({"raw_data_dir": str(raw), "as_of_date": "2026-10-31"})],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True,
    )
    assert run.returncode == 0, run.stdout[-3000:]

    out = tmp_path / "parquet"
    exported = {item.table: item for item in export_parquet.export_marts(warehouse, out)}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        marts = [name for (name,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'").fetchall()]
        assert {"fct_mrr", "mrr_movements", "churn_summary"} <= set(marts)
        assert set(exported) == set(marts)
        for mart in marts:
            parquet = out / f"{mart}.parquet"
            assert exported[mart].rows == pq.read_metadata(parquet).num_rows
            # Same rows, to the cent: DuckDB reads the file back equal to the mart.
            difference = con.execute(
                f"select count(*) from ((select * from marts.{mart} except all select * from read_parquet(?)) "
                f"union all (select * from read_parquet(?) except all select * from marts.{mart}))",
                [str(parquet), str(parquet)],
            ).fetchone()[0]
            assert difference == 0, mart
