"""Shared pytest fixtures: generated landing data and dbt builds in tmp dirs.

Builds never touch the repo's warehouse/ or target/: each uses its own
DuckDB file, target path and log path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURE_DIR = REPO_ROOT / "tests" / "fixtures" / "landing"
FIXTURE_AS_OF = "2026-10-31"
DBT = str(Path(sys.executable).parent / "dbt")
sys.path.insert(0, str(REPO_ROOT / "scripts"))

from _common import BUILD_WITHOUT_TESTS  # noqa: E402


def generate(out: Path, *args: str) -> Path:
    """Run the data generator into `out` (quietly) and return `out`."""
    subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "generate_data.py"), "--out", str(out), "--quiet", *args],
        check=True,
    )
    return out


def build_warehouse(
    raw_dir: Path,
    warehouse: Path,
    as_of_date: str = FIXTURE_AS_OF,
    select: list[str] | None = None,
    extra_vars: dict | None = None,
    command: str = "build",
) -> subprocess.CompletedProcess:
    """dbt build from `raw_dir` into `warehouse`; fails the test with dbt's errors."""
    work = warehouse.parent
    env = dict(os.environ, DBT_PROFILES_DIR=str(REPO_ROOT), WAREHOUSE_PATH=str(warehouse),
               DUCKDB_TEMP_DIR=str(work / "spill"))
    dbt_vars = {"raw_data_dir": str(raw_dir), "as_of_date": as_of_date, **(extra_vars or {})}
    # `run` is done as a build without tests, so that the seeds the models
    # read (seeds/) are loaded too.
    verb = BUILD_WITHOUT_TESTS if command == "run" else [command]
    args = [DBT, *verb, "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
            "--vars", json.dumps(dbt_vars)]
    if select:
        args += ["--select", *select, "--indirect-selection", "cautious"]
    result = subprocess.run(args, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        errors = [line for line in result.stdout.splitlines() if "ERROR" in line or "Error" in line or "FAIL" in line]
        pytest.fail("dbt " + command + " failed:\n" + "\n".join(errors[-30:]))
    return result


@pytest.fixture(scope="session")
def generated_bad_rows_dir(tmp_path_factory) -> Path:
    """A small generated business with bad rows injected (and a manifest of them)."""
    return generate(tmp_path_factory.mktemp("bad_rows") / "raw", "--scale", "tiny", "--customers", "60",
                    "--months", "12", "--seed", "11", "--bad-rows-rate", "0.02", "--end-date", FIXTURE_AS_OF)
