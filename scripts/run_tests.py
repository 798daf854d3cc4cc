#!/usr/bin/env python3
"""Run every test of the project and print one summary.

Steps, in order (each one's output is shown as it runs):
  1. sqlfluff lint of every model (dbt templater);
  2. dbt build on the committed fixture landing data: builds every model and
     runs every dbt unit test and data test (landing freshness included);
  3. the Great Expectations checkpoint (scripts/validate_marts.py) over the
     marts that build made; Data Docs in output/test/data_docs/index.html;
  4. pytest (tests/python): generator, independent MRR reference vs the
     marts, quarantine of injected bad rows, the quality gate fed broken
     data, and the rest.

It ends with one line saying what passed per kind and the totals, e.g.

  sqlfluff 49 files clean · dbt 488 data tests + 35 unit tests + 49 models · GE 41 expectations · pytest 119 passed — 782 passed, 0 failed

Exit code 0 only when every step passed. Extra arguments after `--` go to
pytest, e.g. `python scripts/run_tests.py -- -k generator`.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import FIXTURE_AS_OF, FIXTURE_DIR, REPO_ROOT, Stopwatch, dbt_env, run_dbt, venv_bin  # noqa: E402

TEST_OUTPUT = REPO_ROOT / "output" / "test"
FIXTURE_WAREHOUSE = TEST_OUTPUT / "fixture_warehouse.duckdb"
DBT_TARGET = TEST_OUTPUT / "target"


@dataclass
class StepResult:
    name: str
    passed: int
    failed: int
    seconds: float
    detail: str = ""
    summary: str = ""  # what passed, for the last line


def banner(text: str) -> None:
    print(f"\n=== {text} ===", flush=True)


def step_sqlfluff() -> StepResult:
    banner("sqlfluff lint models/")
    watch = Stopwatch()
    env = dbt_env(TEST_OUTPUT / "lint.duckdb")
    result = subprocess.run(
        [venv_bin("sqlfluff"), "lint", "models", "--format", "human", "--processes", "2"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True,
    )
    output = result.stdout + result.stderr
    files = len(list((REPO_ROOT / "models").rglob("*.sql")))
    violations = len(re.findall(r"^L:\s*\d+", output, flags=re.MULTILINE))
    skipped = len(re.findall(r"Skipped file", output))
    failed = 1 if (result.returncode != 0 or violations or skipped) else 0
    print(output.strip()[-6000:] if failed else f"{files} model files, 0 violations")
    detail = f"{violations} violations, {skipped} files not linted" if failed else f"{files} files clean"
    return StepResult("sqlfluff", 0 if failed else files, failed, watch.seconds(), detail,
                      f"sqlfluff {detail if failed else f'{files} files clean'}")


def count_dbt_results(run_results: Path) -> dict[str, dict[str, int]]:
    """Results of a dbt run per kind (data test, unit test, model) and status, from run_results.json."""
    kinds = {"test": "data tests", "unit_test": "unit tests", "model": "models"}
    counts: dict[str, dict[str, int]] = {kind: {} for kind in kinds.values()}
    if not run_results.exists():
        return counts
    for result in json.loads(run_results.read_text())["results"]:
        kind = kinds.get(result["unique_id"].split(".", 1)[0])
        if kind:
            counts[kind][result["status"]] = counts[kind].get(result["status"], 0) + 1
    return counts


def step_dbt_build() -> StepResult:
    banner(f"dbt build on fixtures ({FIXTURE_DIR.relative_to(REPO_ROOT)}, as of {FIXTURE_AS_OF})")
    watch = Stopwatch()
    if FIXTURE_WAREHOUSE.exists():
        FIXTURE_WAREHOUSE.unlink()
    run_results = DBT_TARGET / "run_results.json"
    if run_results.exists():
        run_results.unlink()
    code, lines = run_dbt(
        ["build", "--target-path", str(DBT_TARGET), "--log-path", str(TEST_OUTPUT / "logs")],
        FIXTURE_WAREHOUSE, {"raw_data_dir": str(FIXTURE_DIR), "as_of_date": FIXTURE_AS_OF})
    done = next((line for line in reversed(lines) if "Done. PASS=" in line), "")
    counts = {key: int(value) for key, value in re.findall(r"(PASS|WARN|ERROR|SKIP)=(\d+)", done)}
    failed = counts.get("ERROR", 0) + counts.get("SKIP", 0) + (1 if code != 0 and not counts.get("ERROR") else 0)
    kinds = count_dbt_results(run_results)
    parts = []
    for kind, statuses in kinds.items():
        ok = statuses.get("pass", 0) + statuses.get("success", 0) + statuses.get("warn", 0)
        bad = sum(statuses.values()) - ok
        warned = statuses.get("warn", 0)
        parts.append(f"{ok} {kind}" + (f" ({warned} warned)" if warned else "") + (f" ({bad} not passed)" if bad else ""))
    return StepResult("dbt build", counts.get("PASS", 0) + counts.get("WARN", 0), failed, watch.seconds(),
                      done.split("Done. ", 1)[-1].strip(), "dbt " + " + ".join(parts))


def step_great_expectations() -> StepResult:
    banner("Great Expectations checkpoint over the fixture marts (scripts/validate_marts.py)")
    watch = Stopwatch()
    docs = TEST_OUTPUT / "data_docs"
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "validate_marts.py"), "--warehouse", str(FIXTURE_WAREHOUSE),
         "--as-of-date", FIXTURE_AS_OF, "--docs-dir", str(docs), "--history", str(TEST_OUTPUT / "validation_history.json")],
        cwd=REPO_ROOT, capture_output=True, text=True,
    )
    output = (result.stdout + result.stderr).strip()
    print(output[-6000:])
    match = re.search(r"Great Expectations: (\d+) expectations, (\d+) failed", output)
    evaluated, failed = (int(match.group(1)), int(match.group(2))) if match else (0, 1)
    if result.returncode != 0 and failed == 0:
        failed = 1
    summary = f"GE {evaluated - failed} expectations" + (f" ({failed} failed)" if failed else "")
    return StepResult("GE", evaluated - failed, failed, watch.seconds(),
                      f"{evaluated} expectations, {failed} failed; {docs.relative_to(REPO_ROOT)}/index.html", summary)


def step_pytest(extra: list[str]) -> StepResult:
    banner("pytest tests/python")
    watch = Stopwatch()
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest", "tests/python", "-q", "-rfEs", *extra],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    assert process.stdout is not None
    last = ""
    for line in process.stdout:
        print(line, end="", flush=True)
        if line.strip():
            last = line.strip()
    code = process.wait()
    passed = sum(int(n) for n in re.findall(r"(\d+) passed", last))
    failed = sum(int(n) for n in re.findall(r"(\d+) (?:failed|error)", last))
    if code not in (0,) and failed == 0:
        failed = 1
    return StepResult("pytest", passed, failed, watch.seconds(), last.strip("= "),
                      f"pytest {passed} passed" + (f" ({failed} failed)" if failed else ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip", action="append", default=[], choices=["sqlfluff", "dbt", "ge", "pytest"],
                        help="skip a step (for local iteration only; CI runs all)")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args(argv)
    TEST_OUTPUT.mkdir(parents=True, exist_ok=True)
    watch = Stopwatch()
    results: list[StepResult] = []
    if "sqlfluff" not in args.skip:
        results.append(step_sqlfluff())
    if "dbt" not in args.skip:
        results.append(step_dbt_build())
    if "ge" not in args.skip:
        results.append(step_great_expectations())
    if "pytest" not in args.skip:
        results.append(step_pytest(args.pytest_args))
    banner(f"summary ({watch.seconds():.0f}s)")
    for result in results:
        status = "ok  " if result.failed == 0 else "FAIL"
        print(f"{status} {result.name:<10} {result.seconds:6.1f}s  {result.detail}")
    passed = sum(r.passed for r in results)
    failed = sum(r.failed for r in results)
    print(" · ".join(r.summary for r in results) + f" — {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
