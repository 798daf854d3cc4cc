"""Shared helpers for the command-line scripts: paths, dbt invocation, output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterable

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_WAREHOUSE = REPO_ROOT / "warehouse" / "subscription_metrics.duckdb"
DEFAULT_DEMO_DIR = REPO_ROOT / "data" / "generated" / "demo"
FIXTURE_DIR = REPO_ROOT / "tests" / "fixtures" / "landing"
FIXTURE_AS_OF = "2026-10-31"
#: A production `dbt build` (publish, the benchmark) builds the data and runs
#: every data test; dbt unit tests check the SQL logic on fixed inputs, so
#: they run where the code changes (`make test`, CI), not on every load —
#: as dbt recommends.
PRODUCTION_BUILD_EXCLUDES = ["--exclude-resource-type", "unit_test"]
# `dbt run` without the data tests, but with the seeds the models read
# (seeds/churn_reason_mapping.csv): a build that excludes every test.
BUILD_WITHOUT_TESTS = ["build", "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]


def default_warehouse() -> Path:
    """The warehouse file BI tools read: $WAREHOUSE_PATH (a relative path is
    relative to the repo root, as for dbt run from there) or the default."""
    configured = os.environ.get("WAREHOUSE_PATH")
    if not configured:
        return DEFAULT_WAREHOUSE
    path = Path(configured).expanduser()
    return path if path.is_absolute() else REPO_ROOT / path


def venv_bin(name: str) -> str:
    """Path of an executable installed next to the running Python."""
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


def dbt_env(warehouse: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for a dbt run against `warehouse`, with the repo profile."""
    env = dict(os.environ)
    env["DBT_PROFILES_DIR"] = str(REPO_ROOT)
    env["WAREHOUSE_PATH"] = str(warehouse)
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    if extra:
        env.update(extra)
    return env


def run_dbt(
    args: list[str],
    warehouse: Path,
    dbt_vars: dict[str, object] | None = None,
    quiet: bool = False,
    extra_env: dict[str, str] | None = None,
) -> tuple[int, list[str]]:
    """Run a dbt command from the repo root, streaming its progress lines.

    Returns the exit code and the lines dbt printed.
    """
    command = [venv_bin("dbt"), *args]
    if dbt_vars:
        command += ["--vars", json.dumps(dbt_vars)]
    lines: list[str] = []
    process = subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        env=dbt_env(warehouse, extra_env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line.rstrip("\n"))
        if not quiet:
            print(line, end="", flush=True)
    return process.wait(), lines


def dbt_errors(lines: Iterable[str]) -> list[str]:
    """The lines of dbt output that say what failed."""
    keep = []
    for line in lines:
        text = line.split("  ", 1)[-1].strip() if line[:1].isdigit() or "\x1b" in line else line.strip()
        if any(word in line for word in ("Error in", "Failure in", "Compilation Error", "Runtime Error")):
            keep.append(text)
        elif keep and text and not text.startswith(("Done.", "Finished")) and len(keep) < 40:
            keep.append("  " + text)
    return keep


class Stopwatch:
    """Wall-clock timer for progress messages."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    def seconds(self) -> float:
        return time.perf_counter() - self.start
