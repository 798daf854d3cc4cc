"""scripts/benchmark.py without timing anything: the baseline types the events
as the project does, the report's ratios and the model time split are right."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import benchmark  # noqa: E402


@pytest.mark.dbt
def test_baseline_types_the_events_as_the_project_does(tmp_path: Path) -> None:
    columns = benchmark.typed_events_columns(tmp_path)
    assert sorted(columns) == sorted(benchmark.TYPED_COLUMNS)
    raw = [
        # customer_id, user_id, event_name, occurred_at, duration_seconds
        ("  C1 ", "U1", " LOGIN", "2026-10-30T23:30:00-02:00", " 12.5"),
        ("C2", "", "session", " 2026-10-31 08:00:00 ", "x"),
        ("", "U3", "Feature_Used", "1899-12-31T00:00:00", "-1e13"),
        ("C4", "U4", "login", "not a time", None),
    ]
    select = ", ".join(f"{columns[name]} as {name}" for name in benchmark.TYPED_COLUMNS)
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        con.execute("create table raw (customer_id varchar, user_id varchar, event_name varchar, "
                    "occurred_at varchar, duration_seconds varchar)")
        con.executemany("insert into raw values (?, ?, ?, ?, ?)", raw)
        typed = con.execute(f"select {select} from raw").fetchall()
    assert typed == [
        # trimmed, lower-cased code, UTC time from the offset, number
        ("C1", "U1", "login", dt.datetime(2026, 10, 31, 1, 30), 12.5),
        # empty text is null, a time with spaces around parses, a bad number is null
        ("C2", None, "session", dt.datetime(2026, 10, 31, 8, 0), None),
        # out-of-range time and number are null
        (None, "U3", "feature_used", None, None),
        ("C4", "U4", "login", None, None),
    ]


def _result(uid: str, seconds: float, start: str | None = None, end: str | None = None) -> dict:
    timing = [{"name": "execute", "started_at": f"2026-11-26T00:00:{start}Z",
               "completed_at": f"2026-11-26T00:00:{end}Z"}]
    return {"unique_id": uid, "execution_time": seconds, "timing": timing if start else []}


def test_model_wall_time_is_the_union_of_overlapping_intervals(tmp_path: Path) -> None:
    results = [
        _result("model.p.a", 10.0, "00", "10"),
        _result("model.p.b", 4.0, "05", "09"),   # inside a
        _result("model.p.c", 6.0, "08", "14"),   # overlaps a's end
        _result("model.p.d", 2.0, "20", "22"),   # after a gap
        _result("test.p.t1", 1.5),
        _result("unit_test.p.u1", 0.5),
        _result("seed.p.s", 9.0),
    ]
    (tmp_path / "run_results.json").write_text(json.dumps({"results": results}))
    timings = benchmark.dbt_timings(tmp_path)
    assert timings["models_wall_seconds"] == 16.0  # 0-14 and 20-22
    assert timings["models_sum_seconds"] == 22.0
    assert timings["tests_sum_seconds"] == 2.0
    assert (timings["models"], timings["tests"]) == (4, 2)
    assert [m["model"] for m in timings["slowest_models"]] == ["a", "c", "b", "d"]


def _build(seconds: float, rss: int) -> dict:
    return {"seconds": seconds, "peak_rss_mb": rss, "models_wall_seconds": 1.0, "models_sum_seconds": 1.0,
            "tests_sum_seconds": 1.0, "models": 51, "tests": 495,
            "slowest_models": [{"model": f"m{seconds:g}", "seconds": 1.0}]}


def test_report_gives_each_scale_its_ratios_and_the_largest_peak() -> None:
    def row(scale: str, events: int, base: float, full: float, incr: float, same: float, rss: list[int]) -> dict:
        return {"scale": scale, "customers": 10, "events": events, "memory_limit": "4GB",
                "generation": {"seconds": None, "reused": True},
                "baseline": {"seconds": base, "peak_rss_mb": rss[0]},
                "full_build": _build(full, rss[1]), "day_before_build": _build(full, rss[2]),
                "incremental_build": _build(incr, rss[3]), "no_change_build": _build(same, rss[4])}

    report = {"machine": {"date": "d", "cores": 2, "memory_gib": 24, "duckdb": "1", "dbt_core": "1",
                          "dbt_duckdb": "1", "python": "3", "dbt_threads": 2, "git_commit": "abc"},
              "command": "benchmark", "results": [row("big", 1000, 50.0, 120.0, 30.0, 12.0, [10, 20, 35, 30, 5]),
                                                  row("small", 10, 2.0, 20.0, 25.0, 15.0, [1, 2, 3, 4, 9])]}
    text = benchmark.markdown(report)
    assert "| big | 10 | 1,000 | reused | 50.0 | 120.0 (2.40×) | 30.0 (25%) | 12.0 (10%) | 35 | 4GB |" in text
    assert "| small | 10 | 10 | reused | 2.0 | 20.0 (10.00×) | 25.0 (125%) | 15.0 (75%) | 9 | 4GB |" in text
    assert "Slowest models of the full build at scale big: m120 1.0 s." in text
