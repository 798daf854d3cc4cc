"""The cases of issue #17 through the Spark landing reader: the same landing
directories as test_malformed_landing.py's test_issue_case_on_duckdb, the
same checks (landing_cases.check_issue_case): a broken quote costs only its
record, a valid multi-line quoted field and a Windows-1252 file are read
exactly, the records counted reconcile; a header-only required file, a
Parquet column of the wrong type, rows that all end in an extra comma and a
column that fails in every row each stop the build with one line naming the
file (and column).

Runs in the Spark environment (requirements-spark.txt + Java 17), as a step
of scripts/run_spark_tests.py; skipped elsewhere. dbt runs in this process
(dbt-spark `session` method), so one Spark session serves every case.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.spark, pytest.mark.dbt, pytest.mark.slow]

REASON = "needs the Spark environment: pip install -r requirements-spark.txt (and Java 17)"
pytest.importorskip("pyspark", reason=REASON)
pytest.importorskip("dbt.adapters.spark", reason=REASON)
pytest.importorskip("pyarrow", reason=REASON)
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("needs Java (17) on PATH or JAVA_HOME", allow_module_level=True)

from landing_cases import AS_OF, ISSUE_CASES, IssueCase, check_issue_case, write_landing  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "scripts"))


class SparkStagingBuilder:
    """Builds a selection of the staging and audit models on Spark (in this
    process) from one landing directory."""

    def __init__(self, work: Path) -> None:
        from dbt.cli.main import dbtRunner

        self.work = work
        self.landing = work / "landing"
        self.messages: list[str] = []
        self.runner = dbtRunner(callbacks=[self._collect])

    def _collect(self, event: Any) -> None:
        if event.info.level != "debug":
            self.messages.extend(str(event.info.msg).split("\n"))

    def run(self, case: IssueCase) -> tuple[bool, str]:
        from publish import one_line, summarize_dbt_failure

        write_landing(case.files, self.landing)
        self.messages = []
        result = self.runner.invoke([
            "run", "--project-dir", str(REPO_ROOT), "--select", *case.select,
            "--target-path", str(self.work / "target"), "--log-path", str(self.work / "logs"),
            "--vars", json.dumps({"raw_data_dir": str(self.landing), "as_of_date": AS_OF}), "--quiet",
        ])
        return bool(result.success), one_line(summarize_dbt_failure(self.messages))


@pytest.fixture(scope="module")
def spark_builder(tmp_path_factory: pytest.TempPathFactory):
    work = tmp_path_factory.mktemp("malformed_spark")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DBT_PROFILES_DIR", str(REPO_ROOT))
        patch.setenv("DBT_TARGET", "spark")
        patch.setenv("DBT_SPARK_WAREHOUSE_DIR", str(work / "warehouse"))
        patch.setenv("PYSPARK_PYTHON", sys.executable)
        patch.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        yield SparkStagingBuilder(work)


@pytest.mark.parametrize("case", ISSUE_CASES, ids=[case.name for case in ISSUE_CASES])
def test_issue_case_on_spark(spark_builder: SparkStagingBuilder, case: IssueCase) -> None:
    from pyspark.sql import SparkSession

    success, line = spark_builder.run(case)

    def query(sql: str) -> list[tuple[Any, ...]]:
        session = SparkSession.builder.getOrCreate()            # the session dbt-spark ran on
        return [tuple(row) for row in session.sql(sql).collect()]

    check_issue_case(case, success, line, query)
    print(f"\n{case.name}: {line if case.fatal else 'built'}")
