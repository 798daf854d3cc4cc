#!/usr/bin/env python3
"""Build the warehouse on Spark and check it against DuckDB.

Steps, in order (each one's output is shown as it runs):
  1. dbt build --target spark (dbt-spark `session` method: PySpark in this
     process, local[2]) of the whole project on the fixture landing data:
     every model, dbt unit test and data test;
  2. pytest tests/python/test_spark_parity.py: builds the same project on
     DuckDB from the same data and compares every mart and audit relation
     row by row with the Spark build (exact for text, dates, decimals and
     counts; doubles within 1e-9), and the column types of the contracts;
  3. pytest tests/python/test_malformed_landing_spark.py: the malformed
     landing cases of issue #17 (broken quotes, multi-line values,
     Windows-1252, file-level errors) through the Spark landing reader,
     with the same checks as on DuckDB.

Needs Java 17 and the packages of requirements-spark.txt in the Python that
runs this script (CI: `make test-spark`, which creates .venv-spark). The
Spark warehouse (tables, Derby metastore) goes to output/spark-test/, never
to the repo root. Exit code 0 only when every step passed.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import FIXTURE_AS_OF, FIXTURE_DIR, REPO_ROOT, Stopwatch, run_dbt  # noqa: E402

DEFAULT_WORK_DIR = REPO_ROOT / "output" / "spark-test"

# The generated stand-in when tests/fixtures/landing is not there.
STAND_IN_DATA = ["--scale", "tiny", "--customers", "40", "--months", "12", "--seed", "7"]


@dataclass
class StepResult:
    name: str
    passed: int
    failed: int
    seconds: float
    detail: str = ""


def banner(text: str) -> None:
    print(f"\n=== {text} ===", flush=True)


def landing_dir(requested: Path | None, as_of_date: str, work_dir: Path) -> Path:
    """The landing data: as requested, else the committed fixture, else a
    deterministic generated stand-in in the work dir."""
    if requested is not None:
        return requested.resolve()
    if FIXTURE_DIR.is_dir() and any(FIXTURE_DIR.iterdir()):
        return FIXTURE_DIR
    generated = work_dir / "landing"
    if not (generated / "customers.csv").exists():
        print(f"{FIXTURE_DIR.relative_to(REPO_ROOT)} not found: generating stand-in data in {generated}", flush=True)
        subprocess.run(
            [sys.executable, str(REPO_ROOT / "scripts" / "generate_data.py"), *STAND_IN_DATA,
             "--end-date", as_of_date, "--out", str(generated), "--quiet"],
            check=True,
        )
    return generated


def spark_env(warehouse_dir: Path) -> dict[str, str]:
    """Environment selecting the `spark` target, with its warehouse and
    metastore under `warehouse_dir`."""
    return {
        "DBT_TARGET": "spark",
        "DBT_SPARK_WAREHOUSE_DIR": str(warehouse_dir),
        "PYSPARK_PYTHON": sys.executable,
    }


def step_spark_build(raw_dir: Path, as_of_date: str, select: list[str] | None, work_dir: Path) -> StepResult:
    banner(f"dbt build on Spark ({raw_dir}, as of {as_of_date})")
    watch = Stopwatch()
    warehouse_dir = work_dir / "warehouse"
    if warehouse_dir.exists():
        shutil.rmtree(warehouse_dir)
    warehouse_dir.mkdir(parents=True)
    args = ["build", *(["--select", *select, "--indirect-selection", "cautious"] if select else []),
            "--target-path", str(work_dir / "target"), "--log-path", str(work_dir / "logs")]
    code, lines = run_dbt(args, work_dir / "unused.duckdb", {"raw_data_dir": str(raw_dir), "as_of_date": as_of_date},
                          extra_env=spark_env(warehouse_dir))
    done = next((line for line in reversed(lines) if "Done. PASS=" in line), "")
    counts = {key: int(value) for key, value in re.findall(r"(PASS|WARN|ERROR|SKIP)=(\d+)", done)}
    failed = counts.get("ERROR", 0) + counts.get("SKIP", 0) + (1 if code != 0 and not counts.get("ERROR") else 0)
    return StepResult("spark build", counts.get("PASS", 0) + counts.get("WARN", 0), failed, watch.seconds(),
                      done.split("Done. ", 1)[-1].strip() or f"dbt exited with {code}")


def step_parity(
    raw_dir: Path, as_of_date: str, select: list[str] | None, warehouse_dir: Path, extra: list[str]
) -> StepResult:
    banner("pytest tests/python/test_spark_parity.py (Spark vs DuckDB)")
    watch = Stopwatch()
    env = dict(os.environ, SPARK_PARITY_WAREHOUSE=str(warehouse_dir), SPARK_PARITY_RAW_DIR=str(raw_dir),
               SPARK_PARITY_AS_OF=as_of_date, SPARK_PARITY_SELECT=" ".join(select or []),
               PYSPARK_PYTHON=sys.executable)
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest", "tests/python/test_spark_parity.py", "-q", "-rfEs", "-p", "no:cacheprovider",
         *extra],
        cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    assert process.stdout is not None
    last = ""
    for line in process.stdout:
        print(line, end="", flush=True)
        if line.strip():
            last = line.strip()
    code = process.wait()
    passed = sum(int(n) for n in re.findall(r"(\d+) passed", last))
    failed = sum(int(n) for n in re.findall(r"(\d+) (?:failed|errors?)", last))
    skipped = sum(int(n) for n in re.findall(r"(\d+) skipped", last))
    if (code != 0 and failed == 0) or skipped:
        # A skip here means the Spark environment is incomplete: that is a failure in this runner.
        failed += max(skipped, 1)
    return StepResult("parity", passed, failed, watch.seconds(), last.strip("= "))


def step_malformed(extra: list[str]) -> StepResult:
    banner("pytest tests/python/test_malformed_landing_spark.py (malformed landing files on Spark)")
    watch = Stopwatch()
    process = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/python/test_malformed_landing_spark.py", "-q", "-rfEs",
         "-p", "no:cacheprovider", *extra],
        cwd=REPO_ROOT, env=dict(os.environ, PYSPARK_PYTHON=sys.executable), stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )
    print(process.stdout, end="", flush=True)
    last = next((line.strip() for line in reversed(process.stdout.splitlines()) if line.strip()), "")
    passed = sum(int(n) for n in re.findall(r"(\d+) passed", last))
    failed = sum(int(n) for n in re.findall(r"(\d+) (?:failed|errors?)", last))
    skipped = sum(int(n) for n in re.findall(r"(\d+) skipped", last))
    if (process.returncode != 0 and failed == 0) or skipped:
        failed += max(skipped, 1)                      # a skip means the Spark environment is incomplete
    return StepResult("malformed", passed, failed, watch.seconds(), last.strip("= "))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--raw-data-dir", type=Path, default=None,
                        help="landing directory (default: tests/fixtures/landing, or generated stand-in data)")
    parser.add_argument("--as-of-date", default=FIXTURE_AS_OF, help=f"as_of_date (default {FIXTURE_AS_OF})")
    parser.add_argument("--select", nargs="+", default=None,
                        help="dbt selection built on Spark and DuckDB, for local iteration; the parity test still "
                             "expects every mart, so pair it with --skip parity (default: everything)")
    parser.add_argument("--work-dir", type=Path, default=DEFAULT_WORK_DIR,
                        help="where the Spark warehouse, metastore, target and logs go (default output/spark-test)")
    parser.add_argument("--skip", action="append", default=[], choices=["build", "parity", "malformed"],
                        help="skip a step (for local iteration only; CI runs both)")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args(argv)

    work_dir = args.work_dir.resolve()
    work_dir.mkdir(parents=True, exist_ok=True)
    watch = Stopwatch()
    raw_dir = landing_dir(args.raw_data_dir, args.as_of_date, work_dir)
    results: list[StepResult] = []
    if "build" not in args.skip:
        results.append(step_spark_build(raw_dir, args.as_of_date, args.select, work_dir))
    if "parity" not in args.skip:
        results.append(step_parity(raw_dir, args.as_of_date, args.select, work_dir / "warehouse", args.pytest_args))
    if "malformed" not in args.skip:
        results.append(step_malformed(args.pytest_args))

    return print_summary(results, watch.seconds())


def print_summary(results: list[StepResult], seconds: float, width: int = 12) -> int:
    """One line per step, then the totals; the exit code (0: nothing failed)."""
    banner(f"summary ({seconds:.0f}s)")
    for result in results:
        status = "ok  " if result.failed == 0 else "FAIL"
        print(f"{status} {result.name:<{width}} {result.seconds:6.1f}s  {result.detail}")
    passed = sum(r.passed for r in results)
    failed = sum(r.failed for r in results)
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
