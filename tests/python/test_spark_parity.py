"""The marts built on Spark equal the marts built on DuckDB from the same data.

Same models, same SQL (engine differences only in adapter.dispatch macros),
two engines: every mart must have the same columns, the same column types
(the contract's types, as each engine names them) and the same rows, exact
for text, dates, decimals and counts, within 1e-9 for doubles.

Runs in the Spark environment (requirements-spark.txt + Java 17), normally
through scripts/run_spark_tests.py, which builds the Spark warehouse first
and passes it in SPARK_PARITY_WAREHOUSE; run alone, the test builds both
warehouses itself. In an environment without PySpark (the main .venv) the
module is skipped.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator

import pytest

pytestmark = pytest.mark.spark

REASON = "the Spark parity test needs the Spark environment: pip install -r requirements-spark.txt (and Java 17)"
pytest.importorskip("pyspark", reason=REASON)
pytest.importorskip("dbt.adapters.spark", reason=REASON)
pytest.importorskip("dbt.adapters.duckdb", reason=REASON)
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("the Spark parity test needs Java (17) on PATH or JAVA_HOME", allow_module_level=True)

import duckdb  # noqa: E402
from _common import BUILD_WITHOUT_TESTS  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURE_DIR = REPO_ROOT / "tests" / "fixtures" / "landing"
FIXTURE_AS_OF = "2026-10-31"
DBT = str(Path(sys.executable).parent / "dbt")

# Every mart (the contract's marts.<name>) and the audit relations,
# compared row by row.
MARTS = [
    "fct_mrr", "mrr_movements", "mrr_movements_by_segment", "churn_summary", "churn_reasons",
    "hidden_churn_risk", "hidden_churn_backtest", "usage_before_churn",
    "cohort_retention", "cohort_retention_projection", "customer_lifetime_value", "clv_by_segment",
    "mrr_ledger", "daily_mrr", "mrr_waterfall", "committed_mrr",
]
AUDIT = ["raw_row_reconciliation", "quarantined_rows"]
# What both engines build: the runner passes its Spark selection along
# (empty: the whole project).
SELECT = os.environ.get("SPARK_PARITY_SELECT", "").split()

FLOAT_TOLERANCE = 1e-9


# --------------------------------------------------------------------------
# Builds
# --------------------------------------------------------------------------

def dbt_build(target: str, raw_dir: Path, as_of_date: str, work: Path, env_extra: dict[str, str]) -> None:
    """The models (and the seeds they read) of SELECT on `target`, no tests;
    fails the test with dbt's errors."""
    env = dict(os.environ, DBT_PROFILES_DIR=str(REPO_ROOT), DBT_TARGET=target, **env_extra)
    args = [DBT, *BUILD_WITHOUT_TESTS,
            *(["--select", *SELECT] if SELECT else []),
            "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
            "--vars", json.dumps({"raw_data_dir": str(raw_dir), "as_of_date": as_of_date})]
    result = subprocess.run(args, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        errors = [line for line in result.stdout.splitlines() if "ERROR" in line or "Error" in line]
        pytest.fail(f"dbt build on {target} failed:\n" + "\n".join(errors[-30:]))


@pytest.fixture(scope="module")
def as_of_date() -> str:
    return os.environ.get("SPARK_PARITY_AS_OF", FIXTURE_AS_OF)


@pytest.fixture(scope="module")
def raw_dir(tmp_path_factory, as_of_date) -> Path:
    """The landing data both engines read."""
    if os.environ.get("SPARK_PARITY_RAW_DIR"):
        return Path(os.environ["SPARK_PARITY_RAW_DIR"])
    if FIXTURE_DIR.is_dir() and any(FIXTURE_DIR.iterdir()):
        return FIXTURE_DIR
    out = tmp_path_factory.mktemp("spark_parity") / "landing"
    subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "generate_data.py"), "--scale", "tiny", "--customers", "40",
         "--months", "12", "--seed", "7", "--end-date", as_of_date, "--out", str(out), "--quiet"],
        check=True,
    )
    return out


@pytest.fixture(scope="module")
def spark_warehouse(tmp_path_factory, raw_dir, as_of_date) -> Path:
    """The Spark warehouse dir (tables + metastore): the one the runner built,
    or a fresh build."""
    if os.environ.get("SPARK_PARITY_WAREHOUSE"):
        return Path(os.environ["SPARK_PARITY_WAREHOUSE"])
    work = tmp_path_factory.mktemp("spark_build")
    warehouse = work / "warehouse"
    dbt_build("spark", raw_dir, as_of_date, work, {"DBT_SPARK_WAREHOUSE_DIR": str(warehouse)})
    return warehouse


@pytest.fixture(scope="module")
def duckdb_warehouse(tmp_path_factory, raw_dir, as_of_date) -> Path:
    work = tmp_path_factory.mktemp("duckdb_build")
    path = work / "parity.duckdb"
    dbt_build("duckdb", raw_dir, as_of_date, work,
              {"WAREHOUSE_PATH": str(path), "DUCKDB_TEMP_DIR": str(work / "spill")})
    return path


@pytest.fixture(scope="module")
def spark(spark_warehouse) -> Iterator[Any]:
    """A Spark session on the warehouse's metastore (after dbt has exited:
    the embedded Derby metastore takes one process at a time)."""
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("spark_parity")
        .enableHiveSupport()
        .config("spark.sql.warehouse.dir", str(spark_warehouse / "tables"))
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={spark_warehouse / 'metastore'}")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def duck(duckdb_warehouse) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(duckdb_warehouse), read_only=True)
    yield connection
    connection.close()


# --------------------------------------------------------------------------
# Comparison
# --------------------------------------------------------------------------

def spark_type_as_duckdb(type_name: str) -> str:
    """A Spark column type as DuckDB names the same type."""
    names = {"string": "VARCHAR", "bigint": "BIGINT", "int": "INTEGER", "double": "DOUBLE", "float": "FLOAT",
             "boolean": "BOOLEAN", "date": "DATE", "timestamp": "TIMESTAMP", "timestamp_ntz": "TIMESTAMP"}
    if type_name.startswith("decimal"):
        return type_name.upper().replace(" ", "")
    return names.get(type_name, type_name.upper())


def read_spark(spark, relation: str) -> tuple[list[str], list[str], list[tuple]]:
    frame = spark.table(relation)
    names = [field.name for field in frame.schema.fields]
    types = [spark_type_as_duckdb(field.dataType.simpleString()) for field in frame.schema.fields]
    return names, types, [tuple(row) for row in frame.collect()]


def read_duckdb(duck, relation: str) -> tuple[list[str], list[str], list[tuple]]:
    result = duck.sql(f"select * from {relation}")
    return list(result.columns), [str(t).replace(" ", "") if str(t).startswith("DECIMAL") else str(t)
                                  for t in result.types], result.fetchall()


def sort_key(row: tuple) -> tuple:
    """Rows in a stable order: exact values first (the grain), then doubles
    rounded well above the tolerance."""
    exact = tuple((value is None, str(value)) for value in row if not isinstance(value, float))
    floats = tuple((value is None, round(value, 6) if value is not None and math.isfinite(value) else str(value))
                   for value in row if isinstance(value, float))
    return exact + floats


def values_equal(left: Any, right: Any) -> bool:
    if left is None or right is None:
        return left is None and right is None
    if isinstance(left, float) or isinstance(right, float):
        left, right = float(left), float(right)
        if math.isnan(left) or math.isnan(right):
            return math.isnan(left) and math.isnan(right)
        return math.isclose(left, right, rel_tol=FLOAT_TOLERANCE, abs_tol=FLOAT_TOLERANCE)
    if isinstance(left, Decimal) or isinstance(right, Decimal):
        return Decimal(left) == Decimal(right)
    if isinstance(left, datetime) or isinstance(right, datetime):
        return left.replace(tzinfo=None) == right.replace(tzinfo=None)
    if isinstance(left, date) or isinstance(right, date):
        return left == right
    return left == right


def row_differences(names: list[str], spark_rows: list[tuple], duck_rows: list[tuple], limit: int = 5) -> list[str]:
    differences = []
    for spark_row, duck_row in zip(sorted(spark_rows, key=sort_key), sorted(duck_rows, key=sort_key)):
        columns = [name for name, s, d in zip(names, spark_row, duck_row) if not values_equal(s, d)]
        if columns:
            differences.append(f"spark {spark_row}\n      duckdb {duck_row}\n      differ in {columns}")
            if len(differences) >= limit:
                break
    return differences


def assert_same_relation(spark, duck, relation: str, compare_types: bool) -> None:
    spark_names, spark_types, spark_rows = read_spark(spark, relation)
    duck_names, duck_types, duck_rows = read_duckdb(duck, relation)
    assert spark_names == duck_names, f"{relation}: columns differ\n  spark  {spark_names}\n  duckdb {duck_names}"
    if compare_types:
        mismatched = [(name, s, d) for name, s, d in zip(spark_names, spark_types, duck_types) if s != d]
        assert not mismatched, f"{relation}: column types differ (column, spark, duckdb): {mismatched}"
    assert len(spark_rows) == len(duck_rows), f"{relation}: {len(spark_rows)} rows on Spark, {len(duck_rows)} on DuckDB"
    differences = row_differences(spark_names, spark_rows, duck_rows)
    assert not differences, f"{relation}: rows differ (first {len(differences)}):\n    " + "\n    ".join(differences)


# --------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------

@pytest.mark.parametrize("mart", MARTS)
def test_mart_equals_duckdb(spark, duck, mart):
    assert_same_relation(spark, duck, f"marts.{mart}", compare_types=True)


@pytest.mark.parametrize("relation", AUDIT)
def test_audit_equals_duckdb(spark, duck, relation):
    # Values only: DuckDB sums counts to HUGEINT where Spark keeps BIGINT.
    assert_same_relation(spark, duck, f"audit.{relation}", compare_types=False)


def test_marts_are_not_empty(spark):
    empty = [mart for mart in MARTS if spark.table(f"marts.{mart}").limit(1).count() == 0]
    assert not empty, f"marts without rows on Spark (nothing compared): {empty}"


def test_every_other_spark_mart_equals_duckdb(spark, duck):
    """A mart ported later (built on Spark by a wider selection) is compared too."""
    others = sorted(row.tableName for row in spark.sql("show tables in marts").collect()
                    if not row.isTemporary and row.tableName not in MARTS)
    failures = []
    for mart in others:
        try:
            assert_same_relation(spark, duck, f"marts.{mart}", compare_types=True)
        except (AssertionError, duckdb.Error) as error:
            failures.append(str(error))
    assert not failures, "\n".join(failures)
