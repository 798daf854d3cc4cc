"""`make demo` (scripts/pipeline.py) has no traps.

- the demo data is generated again whenever it does not cover the as-of
  date, later or earlier, so one run with a far date cannot break the next;
- every bad argument ends in one line and exit code 2, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "scripts"))

import pipeline  # noqa: E402


def newest_invoice_day(raw_dir: Path) -> dt.date:
    with duckdb.connect() as con:
        return con.execute(
            f"select max(cast(issued_at as timestamp))::date from read_csv('{raw_dir / 'invoices.csv'}', all_varchar=true)"
        ).fetchone()[0]


def test_history_start_is_the_first_day_of_the_first_month() -> None:
    assert pipeline.history_start(dt.date(2026, 12, 6), 36) == dt.date(2024, 1, 1)
    assert pipeline.history_start(dt.date(2026, 1, 31), 1) == dt.date(2026, 1, 1)
    assert pipeline.history_start(dt.date(2026, 3, 15), 18) == dt.date(2024, 10, 1)


def test_coverage_needs_the_same_scale_seed_and_a_date_within_the_history() -> None:
    coverage = {"scale": "demo", "seed": 42, "start_date": "2024-01-01", "end_date": "2026-12-06"}
    assert pipeline.demo_data_covers(coverage, "demo", 42, "2026-12-06")
    assert pipeline.demo_data_covers(coverage, "demo", 42, "2024-01-01")
    assert not pipeline.demo_data_covers(coverage, "demo", 42, "2026-12-07")  # later: stale, fails freshness
    assert not pipeline.demo_data_covers(coverage, "demo", 42, "2023-12-31")  # earlier: no data yet
    assert not pipeline.demo_data_covers(coverage, "demo", 7, "2026-10-31")
    assert not pipeline.demo_data_covers(coverage, "tiny", 42, "2026-10-31")
    assert not pipeline.demo_data_covers(None, "demo", 42, "2026-10-31")


@pytest.mark.slow
def test_demo_data_follows_the_as_of_date_in_both_directions(tmp_path: Path) -> None:
    raw_dir = tmp_path / "demo"
    far = pipeline.ensure_demo_data(raw_dir, "tiny", 3, "2031-01-01")
    assert "2031-01-01" in far and newest_invoice_day(raw_dir) > dt.date(2030, 11, 30)
    # Back to an earlier date the far data does not cover (it starts in 2029): generated again.
    again = pipeline.ensure_demo_data(raw_dir, "tiny", 3, "2026-10-31")
    assert not again.startswith("reused")
    assert dt.date(2026, 9, 30) < newest_invoice_day(raw_dir) <= dt.date(2026, 10, 31)
    marker = json.loads((raw_dir / pipeline.DEMO_MARKER).read_text())
    assert marker == {"scale": "tiny", "seed": 3, "start_date": "2025-05-01", "end_date": "2026-10-31"}
    # A date inside the history reuses it; nothing half-written is left beside it.
    assert pipeline.ensure_demo_data(raw_dir, "tiny", 3, "2026-06-30").startswith("reused")
    assert not (tmp_path / "demo.partial").exists()
    # Data without a marker (an older checkout's, or copied by hand) is not trusted.
    (raw_dir / pipeline.DEMO_MARKER).unlink()
    assert not pipeline.ensure_demo_data(raw_dir, "tiny", 3, "2026-10-31").startswith("reused")


@pytest.mark.parametrize("arguments", [
    ["--as-of-date", "2026-13-45"],
    ["--as-of-date", "yesterday"],
    ["--as-of-date", "1900-01-01"],
    ["--scale", "foo"],
    ["--seed", "x"],
    ["--raw-data-dir", "/nonexistent/landing"],
    ["--vars", "[1, 2]"],
    ["--vars", "{a:"],
    ["--verbose", "--quiet"],
    ["--no-such-option"],
])
def test_a_bad_argument_is_one_line_and_exit_2(arguments: list[str], tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "pipeline.py"), *arguments,
                             "--warehouse", str(tmp_path / "w.duckdb")],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("[pipeline] FAILED: "), result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "w.duckdb").exists()
