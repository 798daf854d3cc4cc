"""Incremental runs give the same marts as a full refresh of the same data.

A small generated business is followed through its last days, the way a
daily pipeline sees it: one landing directory whose events file is rewritten
as days arrive, and an incremental `dbt run` per day (the events path and
the usage rollups are incremental; everything downstream is rebuilt from
them):

    as_of D-3  full build; events through D-3, and two rows whose time does
               not parse: one whose text starts with an old date (D-40),
               which incremental runs skip without parsing and must keep
               stored, and one that does not start like a date (re-read
               every run)
    as_of D-2  events through D-2 (checked: both untimed rows still quarantined)
    as_of D-1  events through D-1, except part of day D-2 (they arrive late),
               and a late untimed row whose text starts with D-30 (checked:
               the changed count of untimed rows makes the run take it in)
    as_of D    events through D, and the late D-2 events (inside
               usage_lookback_days, so the incremental run must take them in),
               and two copies of D-20 events appended at the end of the file:
               an exact copy and one with the same event_id but another user
               (a duplicate key: both copies leave the usage). Their ids were
               folded long ago, so the run must re-judge the whole file.

Then every table of schema `marts`, and each incremental usage rollup
(intermediate.int_usage_*), must equal the one a full refresh at as_of D on
the final data builds: the same rows in any order, floats within 1e-9.
(tests/python/test_hidden_churn.py checks the rollup itself, int_usage_daily,
including moving as_of_date back.)
"""

from __future__ import annotations

import csv
import math
import shutil
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import build_warehouse, generate

duckdb = pytest.importorskip("duckdb")

D = date(2026, 10, 31)
OCCURRED = "cast(try_cast(occurred_at as timestamptz) as timestamp)"
# Part of day D-2's events reach the landing only with day D.
LATE = f"cast({OCCURRED} as date) = date '{D - timedelta(days=2)}' and hash(event_id) % 3 = 0"


def day(offset: int) -> str:
    return (D + timedelta(days=offset)).isoformat()


def write_events(events_file: Path, landing: Path, where: str) -> int:
    """Rewrite `landing`/events.csv as the rows of `events_file` matching
    `where` (all columns as text, as they were); return how many."""
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        con.execute(f"create view events as select * from read_csv('{events_file}', "
                    "all_varchar = true, header = true)")
        tmp = landing / "events.csv.tmp"
        con.execute(f"copy (select * from events where {where}) to '{tmp}' (header, delimiter ',')")
        tmp.replace(landing / "events.csv")
        return con.execute(f"select count(*) from events where {where}").fetchone()[0]


def append_late_duplicates(events_file: Path) -> list[str]:
    """Append to `events_file` an exact copy of one D-20 event and a copy of
    another with a different user_id; return their event_ids."""
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        rows = con.execute(
            f"select * from read_csv('{events_file}', all_varchar = true, header = true) "
            f"where cast({OCCURRED} as date) = date '{day(-20)}' order by event_id limit 2").fetchall()
    assert len(rows) == 2
    exact, other = list(rows[0]), list(rows[1])
    other[2] = "U-late-copy"   # user_id
    with events_file.open("a", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(
            [["" if value is None else value for value in row] for row in (exact, other)])
    return [exact[0], other[0]]


def append_untimed(events_file: Path) -> dict[str, str]:
    """Append copies of the first event whose occurred_at does not parse;
    return {event_id: occurred_at}."""
    untimed = {"E-untimed-old": f"{day(-40)}T25:61:00", "E-untimed-text": "last tuesday",
               "E-untimed-late": f"{day(-30)}T99:00:00"}
    with events_file.open(newline="") as handle:
        reader = csv.reader(handle)
        header, first = next(reader), next(reader)
    with events_file.open("a", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        for event_id, occurred_at in untimed.items():
            row = dict(zip(header, first), event_id=event_id, occurred_at=occurred_at)
            writer.writerow([row[column] for column in header])
    return untimed


def quarantined_untimed(warehouse: Path, event_ids: list[str]) -> set[str]:
    """Which of `event_ids` the warehouse holds as quarantined unparseable rows."""
    marks = ", ".join("?" for _ in event_ids)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {event_id for (event_id,) in con.execute(
            f"select event_id from staging.base_event_exceptions where event_id in ({marks}) "
            "and quarantine_reason_code = 'unparseable_value'", event_ids).fetchall()}


def quarantine(warehouse: Path) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("select source_table, raw_row_number, quarantine_reason_code "
                           "from audit.quarantined_rows order by all").fetchall()


def mart_rows(warehouse: Path) -> dict[str, tuple[list[str], list[tuple]]]:
    """Every table of schema marts, and the incremental usage rollups of
    schema intermediate: their column names and rows."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = [f"{schema}.{name}" for (schema, name) in con.execute(
            "select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE' "
            "and (table_schema = 'marts' or (table_schema = 'intermediate' and table_name like 'int_usage_%')) "
            "order by all").fetchall()]
        result = {}
        for table in tables:
            cursor = con.execute(f"select * from {table}")
            result[table] = ([column[0] for column in cursor.description], cursor.fetchall())
        return result


def _sort_key(row: tuple) -> tuple:
    # None first; floats rounded so that tolerance-level noise does not reorder rows.
    return tuple((0, "") if v is None else (1, round(v, 6) if isinstance(v, float) else v) for v in row)


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def assert_same_table(name: str, got: tuple[list[str], list[tuple]], want: tuple[list[str], list[tuple]]) -> None:
    assert got[0] == want[0], f"{name}: columns differ"
    got_rows, want_rows = sorted(got[1], key=_sort_key), sorted(want[1], key=_sort_key)
    assert len(got_rows) == len(want_rows), f"{name}: {len(got_rows)} rows incrementally, {len(want_rows)} in full"
    for g, w in zip(got_rows, want_rows):
        if not all(_same(x, y) for x, y in zip(g, w)):
            diff = {c: (x, y) for c, x, y in zip(got[0], g, w) if not _same(x, y)}
            pytest.fail(f"{name}: incremental row differs from the full refresh: {diff}\n  row: {g}")


@pytest.mark.dbt
@pytest.mark.slow
def test_incremental_days_give_the_marts_of_a_full_refresh(tmp_path: Path) -> None:
    source = generate(tmp_path / "source", "--scale", "tiny", "--customers", "40", "--months", "6",
                      "--seed", "5", "--end-date", D.isoformat())
    original = tmp_path / "original_events.csv"
    shutil.copy(source / "events.csv", original)
    late_copies = append_late_duplicates(source / "events.csv")
    untimed = append_untimed(source / "events.csv")
    append_untimed(original)
    stable = "event_id in ('E-untimed-old', 'E-untimed-text')"
    landing = tmp_path / "landing"
    shutil.copytree(source, landing)
    incremental = tmp_path / "incremental" / "wh.duckdb"
    full = tmp_path / "full" / "wh.duckdb"
    for warehouse in (incremental, full):
        warehouse.parent.mkdir()

    with ThreadPoolExecutor(1) as pool:
        # The reference: a full refresh at D on the final data (meanwhile).
        reference = pool.submit(build_warehouse, source, full, day(0), None, None, "run")

        # Day D-3: the first build, with the events there were then.
        first = write_events(original, landing, f"{OCCURRED} < timestamp '{day(-2)}' or {stable}")
        build_warehouse(landing, incremental, day(-3), command="run")
        # Day D-2: one more day; the untimed rows are not lost.
        write_events(original, landing, f"{OCCURRED} < timestamp '{day(-1)}' or {stable}")
        build_warehouse(landing, incremental, day(-2), command="run")
        assert quarantined_untimed(incremental, list(untimed)) == {"E-untimed-old", "E-untimed-text"}
        # Day D-1: one more day, but part of D-2 has not arrived yet; a late
        # untimed row with an old date.
        second = write_events(original, landing,
                              f"({OCCURRED} < timestamp '{day(0)}' and not ({LATE})) or {stable} "
                              "or event_id = 'E-untimed-late'")
        build_warehouse(landing, incremental, day(-1), command="run")
        assert quarantined_untimed(incremental, list(untimed)) == set(untimed)
        # Day D: the last day, the late D-2 events (within the lookback) and
        # the late copies of D-20 events.
        shutil.copy(source / "events.csv", landing / "events.csv")
        build_warehouse(landing, incremental, day(0), command="run")
        reference.result()

    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        late, total = con.execute(
            f"select count(*) filter ({LATE}), count(*) from read_csv('{source / 'events.csv'}', "
            "all_varchar = true, header = true)").fetchone()
    assert 0 < first < second < total and late > 0, (first, second, late, total)

    got, want = mart_rows(incremental), mart_rows(full)
    assert len(want) >= 16 and sorted(got) == sorted(want)
    assert {f"intermediate.{name}" for name in ("int_usage_daily", "int_usage_weekly", "int_usage_monthly",
                                                 "int_usage_snapshot_windows")} <= set(want)
    for name in want:
        assert_same_table(name, got[name], want[name])
    # The late events are in: day D-2 counts every event of D-2, as in the full refresh.
    d2 = f"select sum(events) from intermediate.int_usage_daily where usage_date = date '{day(-2)}'"
    with duckdb.connect(str(incremental), read_only=True) as con:
        got_d2 = con.execute(d2).fetchone()[0]
    with duckdb.connect(str(full), read_only=True) as con:
        assert got_d2 == con.execute(d2).fetchone()[0]
    # The late copies are judged as in the full refresh: the exact copy is
    # removed, both rows of the duplicate key are quarantined.
    got_quarantine = quarantine(incremental)
    assert got_quarantine == quarantine(full)
    with duckdb.connect(str(incremental), read_only=True) as con:
        reasons = dict(con.execute(
            "select event_id || '#' || count(*), string_agg(distinct quarantine_reason_code, ',') "
            "from staging.base_event_exceptions where event_id in (?, ?) group by event_id",
            late_copies).fetchall())
    assert reasons == {f"{late_copies[0]}#2": "exact_duplicate", f"{late_copies[1]}#2": "duplicate_key"}, reasons
