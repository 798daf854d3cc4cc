#!/usr/bin/env python3
"""Run every test of the project and print one summary.

Steps:
  1. sqlfluff lint of every model (dbt templater), in the background while
     steps 2 and 3 run (it needs no warehouse), the models split between two
     sqlfluff processes (the dbt templater renders files one at a time);
  2. dbt build on the committed fixture landing data: builds every model and
     runs every dbt unit test and data test (landing freshness included);
  3. the Great Expectations checkpoint (scripts/validate_marts.py) over the
     marts that build made; Data Docs in output/test/data_docs/index.html;
  4. pytest (tests/python): generator, independent MRR reference vs the
     marts, quarantine of injected bad rows, the quality gate fed broken
     data, and the rest; test files run on two workers (pytest-xdist, one
     file per worker at a time) when it is installed.

Each step prints one line when it ends, with its time and its log file
(output/test/logs/<step>.log); a failing step prints the end of its log;
pytest prints its progress every 10 %. --verbose streams every step's
output instead. It ends with one line saying what passed per kind and the
totals, e.g.

  sqlfluff 49 files clean · dbt 488 data tests + 35 unit tests + 49 models · GE 41 expectations · pytest 119 passed, 1 skipped — 782 passed, 0 failed, 1 skipped

Exit code 0 only when every step passed. Extra arguments after `--` go to
pytest, e.g. `python scripts/run_tests.py -- -k generator`.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import FIXTURE_AS_OF, FIXTURE_DIR, REPO_ROOT, Stopwatch, dbt_env, run_dbt, venv_bin  # noqa: E402

TEST_OUTPUT = REPO_ROOT / "output" / "test"
FIXTURE_WAREHOUSE = TEST_OUTPUT / "fixture_warehouse.duckdb"
DBT_TARGET = TEST_OUTPUT / "target"
LOGS = TEST_OUTPUT / "logs"
#: pytest workers when pytest-xdist is installed (one test file per worker at a time).
PYTEST_WORKERS = 2
VERBOSE = False


@dataclass
class StepResult:
    name: str
    passed: int
    failed: int
    seconds: float
    detail: str = ""
    summary: str = ""  # what passed, for the last line
    skipped: int = 0


def relative(path: Path) -> str:
    try:
        return str(path.relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def progress(text: str) -> None:
    print(f"[test] {text}", flush=True)


def report(result: StepResult, log: Path) -> None:
    """One line per finished step; the end of its log when it failed (unless it was streamed)."""
    status = "ok  " if result.failed == 0 else "FAIL"
    progress(f"{status} {result.name:<9} {result.seconds:6.1f}s  {result.detail}  (log: {relative(log)})")
    if result.failed and not VERBOSE and log.exists():
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-60:]
        print("\n".join("       " + line for line in tail), flush=True)


def open_log(name: str) -> tuple[Path, IO[str]]:
    LOGS.mkdir(parents=True, exist_ok=True)
    path = LOGS / f"{name}.log"
    return path, path.open("w", encoding="utf-8")


# ---------------------------------------------------------------------------
# sqlfluff: started first, in the background


#: sqlfluff's dbt templater renders every file in its main process, one after
#: another (its --processes only spreads the parsing and linting), so the
#: models are split into this many shards, each linted by its own sqlfluff
#: process with its own dbt target path and warehouse file.
SQLFLUFF_SHARDS = 2


#: Models enabled only with source_system: stripe (docs/stripe.md): linted by
#: their own sqlfluff process, rendered as that build renders them (a model
#: the default vars disable is skipped by the dbt templater).
STRIPE_MODELS = REPO_ROOT / "models" / "staging" / "stripe"
STRIPE_LINT_CONTEXT = {"source_system": "stripe", "raw_data_dir": "tests/stripe_landing"}


def stripe_lint_config(path: Path) -> Path:
    """The project's .sqlfluff with the Stripe vars in the dbt templater
    context (and absolute project paths: sqlfluff resolves them from the
    config file's folder)."""
    lines = []
    for line in (REPO_ROOT / ".sqlfluff").read_text(encoding="utf-8").splitlines():
        key = line.split("=", 1)[0].strip()
        if key in ("project_dir", "profiles_dir"):
            line = f"{key} = {REPO_ROOT}"
        elif key in STRIPE_LINT_CONTEXT:
            continue
        lines.append(line)
        if line.strip() == "[sqlfluff:templater:dbt:context]":
            lines += [f"{name} = {value}" for name, value in STRIPE_LINT_CONTEXT.items()]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def model_shards(count: int) -> list[list[str]]:
    """The model files split into `count` shards of about equal size (largest first, each to the smallest shard)."""
    files = sorted((path for path in (REPO_ROOT / "models").rglob("*.sql") if STRIPE_MODELS not in path.parents),
                   key=lambda path: (-path.stat().st_size, str(path)))
    shards: list[list[str]] = [[] for _ in range(max(1, count))]
    sizes = [0] * len(shards)
    for path in files:
        smallest = sizes.index(min(sizes))
        shards[smallest].append(str(path.relative_to(REPO_ROOT)))
        sizes[smallest] += path.stat().st_size
    return [sorted(shard) for shard in shards if shard]


class Sqlfluff:
    def __init__(self, shards: int = SQLFLUFF_SHARDS) -> None:
        self.watch = Stopwatch()
        self.log, handle = open_log("sqlfluff")
        handle.close()
        self.parts: list[tuple[subprocess.Popen, Path]] = []
        jobs: list[tuple[list[str], list[str]]] = [(files, []) for files in model_shards(shards)]
        stripe_files = sorted(str(path.relative_to(REPO_ROOT)) for path in STRIPE_MODELS.rglob("*.sql"))
        if stripe_files:
            config = stripe_lint_config(TEST_OUTPUT / "lint_stripe" / "stripe.sqlfluff")
            jobs.append((stripe_files, ["--config", str(config)]))
        for number, (files, options) in enumerate(jobs):
            log = LOGS / f"sqlfluff_{number}.log"
            env = dbt_env(TEST_OUTPUT / f"lint_{number}.duckdb", {
                "DBT_TARGET_PATH": str(TEST_OUTPUT / f"lint_target_{number}"),
                "DBT_LOG_PATH": str(TEST_OUTPUT / f"lint_logs_{number}"),
                "DUCKDB_TEMP_DIR": str(TEST_OUTPUT / f"lint_spill_{number}"),
            })
            with log.open("w", encoding="utf-8") as output:
                process = subprocess.Popen(
                    [venv_bin("sqlfluff"), "lint", *files, *options, "--format", "human", "--processes", "1"],
                    cwd=REPO_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, text=True,
                )
            self.parts.append((process, log))

    def result(self) -> StepResult:
        codes = [process.wait() for process, _ in self.parts]
        output = "\n".join(log.read_text(encoding="utf-8", errors="replace") for _, log in self.parts)
        self.log.write_text(output, encoding="utf-8")
        if VERBOSE:
            print(output, flush=True)
        files = len(list((REPO_ROOT / "models").rglob("*.sql")))
        violations = len(re.findall(r"^L:\s*\d+", output, flags=re.MULTILINE))
        skipped = len(re.findall(r"Skipped file", output))
        failed = 1 if (any(codes) or violations or skipped) else 0
        detail = f"{violations} violations, {skipped} files not linted" if failed else f"{files} files clean"
        result = StepResult("sqlfluff", 0 if failed else files, failed, self.watch.seconds(), detail,
                            f"sqlfluff {detail}")
        report(result, self.log)
        return result


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
    if VERBOSE:
        progress(f"dbt build on fixtures ({relative(FIXTURE_DIR)}, as of {FIXTURE_AS_OF})")
    watch = Stopwatch()
    if FIXTURE_WAREHOUSE.exists():
        FIXTURE_WAREHOUSE.unlink()
    run_results = DBT_TARGET / "run_results.json"
    if run_results.exists():
        run_results.unlink()
    code, lines = run_dbt(
        ["build", "--target-path", str(DBT_TARGET), "--log-path", str(TEST_OUTPUT / "logs")],
        FIXTURE_WAREHOUSE, {"raw_data_dir": str(FIXTURE_DIR), "as_of_date": FIXTURE_AS_OF}, quiet=not VERBOSE)
    log, handle = open_log("dbt_build")
    handle.write("\n".join(lines) + "\n")
    handle.close()
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
    result = StepResult("dbt build", counts.get("PASS", 0) + counts.get("WARN", 0), failed, watch.seconds(),
                        done.split("Done. ", 1)[-1].strip() or "no result", "dbt " + " + ".join(parts))
    report(result, log)
    return result


def step_great_expectations() -> StepResult:
    watch = Stopwatch()
    docs = TEST_OUTPUT / "data_docs"
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "validate_marts.py"), "--warehouse", str(FIXTURE_WAREHOUSE),
         "--as-of-date", FIXTURE_AS_OF, "--docs-dir", str(docs), "--history", str(TEST_OUTPUT / "validation_history.json")],
        cwd=REPO_ROOT, capture_output=True, text=True,
    )
    output = (result.stdout + result.stderr).strip()
    log, handle = open_log("great_expectations")
    handle.write(output + "\n")
    handle.close()
    if VERBOSE:
        print(output, flush=True)
    match = re.search(r"Great Expectations: (\d+) expectations, (\d+) failed", output)
    evaluated, failed = (int(match.group(1)), int(match.group(2))) if match else (0, 1)
    if result.returncode != 0 and failed == 0:
        failed = 1
    summary = f"GE {evaluated - failed} expectations" + (f" ({failed} failed)" if failed else "")
    step = StepResult("GE", evaluated - failed, failed, watch.seconds(),
                      f"{evaluated} expectations, {failed} failed; Data Docs {relative(docs)}/index.html", summary)
    report(step, log)
    return step


def pytest_counts(last: str) -> tuple[int, int, int]:
    """(passed, failed, skipped) from pytest's last line, e.g. '120 passed, 2 skipped in 61.2s'."""
    passed = sum(int(n) for n in re.findall(r"(\d+) passed", last))
    failed = sum(int(n) for n in re.findall(r"(\d+) (?:failed|errors?)\b", last))
    skipped = sum(int(n) for n in re.findall(r"(\d+) skipped", last))
    return passed, failed, skipped


def step_pytest(extra: list[str]) -> StepResult:
    watch = Stopwatch()
    parallel = importlib.util.find_spec("xdist") is not None and not any(a.startswith("-n") for a in extra)
    command = [sys.executable, "-m", "pytest", "tests/python", "-q", "-rfEs", "--durations=20"]  # the slowest tests, in the log
    if parallel:
        command += ["-n", str(PYTEST_WORKERS), "--dist", "loadfile"]
    log, handle = open_log("pytest")
    process = subprocess.Popen([*command, *extra], cwd=REPO_ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    progress(f"pytest    running tests/python{f' on {PYTEST_WORKERS} workers' if parallel else ''} "
             f"(progress every 10 %; log: {relative(log)})")
    last, shown = "", 0
    for line in process.stdout:
        handle.write(line)
        handle.flush()
        if VERBOSE:
            print(line, end="", flush=True)
        match = re.search(r"\[\s*(\d+)%\]\s*$", line)
        if match and not VERBOSE and int(match.group(1)) // 10 > shown // 10:
            shown = int(match.group(1))
            fails = line.count("F") + line.count("E")
            progress(f"pytest    {shown:3d}%  {watch.seconds():6.1f}s" + ("  (failures so far: see the log)" if fails else ""))
        if line.strip():
            last = line.strip()
    code = process.wait()
    handle.close()
    passed, failed, skipped = pytest_counts(last)
    if code not in (0,) and failed == 0:
        failed = 1
    result = StepResult("pytest", passed, failed, watch.seconds(), last.strip("= "),
                        f"pytest {passed} passed" + (f", {skipped} skipped" if skipped else "")
                        + (f" ({failed} failed)" if failed else ""), skipped)
    report(result, log)
    return result


def main(argv: list[str] | None = None) -> int:
    global VERBOSE
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip", action="append", default=[], choices=["sqlfluff", "dbt", "ge", "pytest"],
                        help="skip a step (for local iteration only; CI runs all)")
    parser.add_argument("--verbose", action="store_true", help="stream every step's output")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args(argv)
    VERBOSE = args.verbose
    TEST_OUTPUT.mkdir(parents=True, exist_ok=True)
    watch = Stopwatch()
    results: list[StepResult] = []
    lint = Sqlfluff() if "sqlfluff" not in args.skip else None
    if lint is not None:
        progress(f"sqlfluff  linting every model in the background ({len(lint.parts)} processes)")
    if "dbt" not in args.skip:
        results.append(step_dbt_build())
    if "ge" not in args.skip:
        results.append(step_great_expectations())
    if lint is not None:
        results.insert(0, lint.result())
    if "pytest" not in args.skip:
        results.append(step_pytest(args.pytest_args))
    print(f"\n=== summary ({watch.seconds():.0f}s) ===", flush=True)
    for result in results:
        status = "ok  " if result.failed == 0 else "FAIL"
        print(f"{status} {result.name:<10} {result.seconds:6.1f}s  {result.detail}")
    passed = sum(r.passed for r in results)
    failed = sum(r.failed for r in results)
    skipped = sum(r.skipped for r in results)
    print(" · ".join(r.summary for r in results) + f" — {passed} passed, {failed} failed"
          + (f", {skipped} skipped" if skipped else ""))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
