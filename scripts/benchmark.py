#!/usr/bin/env python3
"""Benchmark the warehouse at growing scales against a bare DuckDB baseline.

    .venv/bin/python scripts/benchmark.py --scales demo,10x,large
    .venv/bin/python scripts/benchmark.py --scales demo --reuse-data --memory-limit 4GB

For each scale, in one run: generate the landing data (Parquet), run the
baseline (one bare DuckDB query aggregating the events per customer per UTC
day in a single pass), a full `dbt build`, an incremental `dbt build` after
one more day of events arrives, and a no-change `dbt build` right after it
(nothing new: the fixed cost of any daily run). Production builds: models and
every data test; the dbt unit tests, fixed inputs, run in `make test`. With
the wall time and the peak memory (RSS) of each process. Prints a Markdown
table and writes it to <output>/benchmark.md and benchmark.json (with the machine's cores, memory
and the versions). Scales: demo (2,000 customers, 36 months), 10x (20,000
customers, 36 months), large (100,000 customers, ~100M events).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import PRODUCTION_BUILD_EXCLUDES, REPO_ROOT, Stopwatch, dbt_env, dbt_errors, venv_bin  # noqa: E402

# scale -> generate_data.py arguments
SCALES = {
    "demo": ["--scale", "demo"],
    "10x": ["--scale", "demo", "--customers", "20000"],
    "large": ["--scale", "large"],
}
GENERATION_RECORD = "_benchmark_generation.json"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# The events columns the baseline reads, each typed by the project's own
# macro (parse_typed with the raw contract's type, macros/raw/parse_landing.sql):
# compiled by dbt at the start of a run, so the baseline trims, casts and
# range-checks every value exactly as base_events does.
TYPED_COLUMNS = ("customer_id", "user_id", "event_name", "occurred_at", "duration_seconds")
TYPED_EVENTS_INLINE = (
    "{%- for column in raw_contract()['events'].columns if column.name in ("
    + ", ".join(f"'{name}'" for name in TYPED_COLUMNS) + ") %}"
    " /* column:{{ column.name }} */ {{ parse_typed(column.name, column.type) }}"
    " {%- endfor %}"
)

# The baseline, run in its own process: what the project computes per customer
# and day (int_usage_daily), as one query straight from the landing file, the
# text columns typed the way the project types them. No quarantine, no
# deduplication, no join to customers, no as_of_date filter.
BASELINE_SQL = """
create or replace table usage_daily as
with events as (
    select {typed_columns}
    from {reader}
)
select
    customer_id,
    cast(occurred_at as date) as usage_date,
    count(*) filter (where event_name = 'login') as logins,
    count(*) filter (where event_name = 'session') as sessions,
    coalesce(sum(duration_seconds) filter (where event_name = 'session'), 0) / 60 as session_minutes,
    count(*) filter (where event_name = 'feature_used') as feature_uses,
    count(*) as events,
    count(distinct user_id) as active_users
from events
where customer_id is not null and occurred_at is not null
group by customer_id, usage_date
"""
# Every DuckDB query of the benchmark runs in a child process: a child forked
# from a parent that has grown would report the parent's size as its own peak
# RSS (Linux keeps the high-water mark across exec), and the parent stays small.
DUCKDB_SCRIPT = """
import json, sys, time, duckdb
db, memory_limit, temp_dir, statements = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
con = duckdb.connect(db, config={"memory_limit": memory_limit, "temp_directory": temp_dir,
                                 "preserve_insertion_order": True})
con.execute("set TimeZone = 'UTC'")
con.execute("set enable_progress_bar = false")
result = {"threads": con.execute("select current_setting('threads')").fetchone()[0], "rows": []}
start = time.perf_counter()
for sql in statements:
    result["rows"] = [[str(value) for value in row] for row in con.execute(sql).fetchall()]
result["query_seconds"] = time.perf_counter() - start
print(json.dumps(result))
"""


class BenchmarkError(Exception):
    """A step failed; the message is the one line to print."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="demo", help="comma-separated, of: " + ", ".join(SCALES))
    parser.add_argument("--memory-limit", default="4GB", help="DuckDB memory limit for dbt and the baseline")
    parser.add_argument("--output", type=Path, default=REPO_ROOT / "output" / "benchmark",
                        help="where benchmark.json/.md and the scratch warehouses go (default: output/benchmark)")
    parser.add_argument("--data-dir", type=Path, default=REPO_ROOT / "data" / "generated",
                        help="landing data goes to <data-dir>/<scale> (default: data/generated)")
    parser.add_argument("--reuse-data", action="store_true",
                        help="use <data-dir>/<scale> when it exists instead of generating it again")
    parser.add_argument("--seed", type=int, default=42, help="generator seed (default: 42)")
    parser.add_argument("--end-date", default="2026-10-31", help="generator end date (default: 2026-10-31)")
    parser.add_argument("--keep-warehouses", action="store_true", help="keep the scratch DuckDB files")
    args = parser.parse_args(argv)
    args.scales = [s.strip() for s in args.scales.split(",") if s.strip()]
    unknown = [s for s in args.scales if s not in SCALES]
    if unknown or not args.scales:
        parser.error(f"unknown scale(s) {unknown}; choose from {', '.join(SCALES)}")
    args.output, args.data_dir = args.output.resolve(), args.data_dir.resolve()
    return args


WATCH = Stopwatch()


def progress(message: str) -> None:
    seconds = int(WATCH.seconds())
    print(f"[benchmark {seconds // 60:02d}:{seconds % 60:02d}] {message}", flush=True)


def run_measured(label: str, command: list[str], env: dict[str, str], log_path: Path) -> dict:
    """Run `command`, its output into `log_path`; its wall time, peak RSS (of
    that process) and exit code. Prints a progress line every 30 s."""
    progress(f"{label} ...")
    watch, last, stop = Stopwatch(), [""], threading.Event()

    def heartbeat() -> None:
        while not stop.wait(30):
            progress(f"  {label}: {watch.seconds():.0f} s" + (f"; {last[0][:110]}" if last[0] else ""))

    threading.Thread(target=heartbeat, daemon=True).start()
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        assert process.stdout is not None
        for line in process.stdout:
            log.write(line)
            if line.strip():
                last[0] = ANSI.sub("", line).strip()
        _, status, usage = os.wait4(process.pid, 0)
    seconds = watch.seconds()
    stop.set()
    process.returncode = os.waitstatus_to_exitcode(status)
    result = {"seconds": round(seconds, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024),
              "exit_code": process.returncode}
    progress(f"{label}: {seconds:.1f} s, peak RSS {result['peak_rss_mb']:,} MB")
    if process.returncode != 0:
        raise BenchmarkError(f"{label} exited {process.returncode}: "
                             f"{failure_reason(log_path.read_text().splitlines()) or last[0]} (log: {log_path})")
    return result


def failure_reason(lines: list[str]) -> str:
    """One line from a failed step's output: what failed (dbt's first error) and why."""
    lines = [ANSI.sub("", line) for line in lines]
    errors = [line.strip() for line in dbt_errors(lines)]
    if not errors:  # not dbt: the last exception line
        return ([line for line in lines if re.search(r"Error|Exception", line)] or [""])[-1].strip()
    why = [line for line in errors[1:] if line and not re.match(r"(\w+ Error in|Failure in|> )", line)]
    return errors[0] + (": " + why[0] if why else "")


def landing_file(directory: Path, table: str) -> Path:
    for suffix in (".parquet", ".csv"):
        if (directory / f"{table}{suffix}").exists():
            return directory / f"{table}{suffix}"
    raise BenchmarkError(f"no {table}.parquet or {table}.csv in {directory}")


def reader(path: Path) -> str:
    """A DuckDB table function reading a landing file, every column as text."""
    quoted = str(path).replace("'", "''")
    if path.suffix == ".csv":
        return f"read_csv('{quoted}', header = true, all_varchar = true)"
    return f"read_parquet('{quoted}')"


def generate(scale: str, data_dir: Path, args: argparse.Namespace, work: Path) -> dict:
    """Generate (or reuse) <data-dir>/<scale>; the generation measurement."""
    record_path = data_dir / GENERATION_RECORD
    if args.reuse_data and data_dir.exists() and any(data_dir.glob("events.*")):
        events = landing_file(data_dir, "events")
        record = json.loads(record_path.read_text()) if record_path.exists() else {}
        if record.get("events_file") == [events.name, events.stat().st_size, events.stat().st_mtime_ns]:
            progress(f"{scale}: reusing {data_dir} (generated earlier in {record['seconds']} s)")
            return {**record, "reused": True}
        progress(f"{scale}: reusing {data_dir} (generation time not recorded)")
        return {"seconds": None, "reused": True}
    command = [sys.executable, str(REPO_ROOT / "scripts" / "generate_data.py"), *SCALES[scale], "--format", "parquet",
               "--seed", str(args.seed), "--end-date", args.end_date, "--out", str(data_dir)]
    result = run_measured(f"{scale}: generate data", command, dict(os.environ), work / "generate.log")
    events = landing_file(data_dir, "events")
    result["command"] = command[1:]
    result["events_file"] = [events.name, events.stat().st_size, events.stat().st_mtime_ns]
    record_path.write_text(json.dumps(result, indent=2))
    return {**result, "reused": False}


def duckdb_child(label: str, statements: list[str], work: Path, memory_limit: str, database: str = ":memory:",
                 log_name: str = "duckdb.log") -> dict:
    """Run `statements` in a fresh DuckDB process; the measurement plus the
    threads, the last statement's rows (as text) and the query time."""
    command = [sys.executable, "-c", DUCKDB_SCRIPT, database, memory_limit, str(work / "spill"),
               json.dumps(statements)]
    result = run_measured(label, command, dict(os.environ), work / log_name)
    return {**result, **json.loads((work / log_name).read_text().strip().splitlines()[-1])}


def describe_data(scale: str, data_dir: Path, work: Path, memory_limit: str, timestamp: str) -> dict:
    """Customers, events and the last day with events."""
    (customers, events, last_day), = duckdb_child(
        f"{scale}: count customers and events",
        [f"select (select count(*) from {reader(landing_file(data_dir, 'customers'))}), count(*), "
         f"max(cast({timestamp} as date)) from {reader(landing_file(data_dir, 'events'))}"], work, memory_limit)["rows"]
    return {"customers": int(customers), "events": int(events), "last_day": last_day}


def landing_day_before(scale: str, data_dir: Path, target: Path, last_day: str, work: Path, memory_limit: str,
                       timestamp: str) -> None:
    """`target`: the landing as it was the day before `last_day` — the events
    before it (rows whose timestamp does not parse stay: they are quarantined
    either way); every other table links to the full file (as_of_date keeps
    what lies after it out of the marts)."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    events = landing_file(data_dir, "events")
    for path in data_dir.iterdir():
        if path.suffix in (".csv", ".parquet") and path != events:
            (target / path.name).symlink_to(path)
    options = "(header, delimiter ',')" if events.suffix == ".csv" else "(format parquet)"
    duckdb_child(f"{scale}: landing of the day before",
                 [f"copy (select * from {reader(events)} where coalesce({timestamp} < timestamp '{last_day}', true)) "
                  f"to '{target / events.name}' {options}"], work, memory_limit)


def typed_events_columns(work: Path) -> dict[str, str]:
    """Column name -> the SQL expression that types it as the project does
    (TYPED_EVENTS_INLINE compiled by `dbt compile --inline`)."""
    command = [venv_bin("dbt"), "compile", "--quiet", "--inline", TYPED_EVENTS_INLINE,
               "--target-path", str(work / "target-compile"), "--log-path", str(work / "logs")]
    done = subprocess.run(command, cwd=REPO_ROOT, env=dbt_env(work / "compile.duckdb"), text=True,
                          capture_output=True)
    parts = re.findall(r"/\* column:(\w+) \*/(.*?)(?=/\* column:|\Z)", ANSI.sub("", done.stdout), re.S)
    columns = {name: expression.strip() for name, expression in parts}
    if done.returncode != 0 or sorted(columns) != sorted(TYPED_COLUMNS):
        raise BenchmarkError("dbt compile --inline (the project's typing of the events columns) failed: "
                             f"{failure_reason((done.stdout + done.stderr).splitlines()) or done.stdout[-300:]}")
    return columns


def append_last_day(data_dir: Path, landing: Path) -> None:
    """The last day of events arrives: the landing events file becomes the full one."""
    events = landing_file(data_dir, "events")
    (landing / events.name).unlink()
    (landing / events.name).symlink_to(events)


def dbt_timings(target_path: Path) -> dict:
    """From run_results.json: the models' wall time (union of their execution
    intervals), the sums of model and test execution times, the slowest models."""
    results = json.loads((target_path / "run_results.json").read_text())["results"]
    intervals, sums, counts, models = [], {"model": 0.0, "test": 0.0}, {"model": 0, "test": 0}, []
    for result in results:
        kind = result["unique_id"].split(".")[0]
        kind = "test" if kind == "unit_test" else kind
        if kind not in sums:
            continue
        sums[kind] += result["execution_time"]
        counts[kind] += 1
        if kind == "model":
            models.append((result["execution_time"], result["unique_id"].split(".")[-1]))
            for timing in result["timing"]:
                if timing["name"] == "execute" and timing.get("started_at") and timing.get("completed_at"):
                    intervals.append((dt.datetime.fromisoformat(timing["started_at"].rstrip("Z")),
                                      dt.datetime.fromisoformat(timing["completed_at"].rstrip("Z"))))
    covered, end = 0.0, None
    for start, stop in sorted(intervals):
        if end is None or start > end:
            covered += (stop - start).total_seconds()
            end = stop
        elif stop > end:
            covered += (stop - end).total_seconds()
            end = stop
    return {"models_wall_seconds": round(covered, 2), "models_sum_seconds": round(sums["model"], 2),
            "tests_sum_seconds": round(sums["test"], 2), "models": counts["model"], "tests": counts["test"],
            "slowest_models": [{"model": name, "seconds": round(seconds, 2)}
                               for seconds, name in sorted(models, reverse=True)[:10]]}


BUILDS = ("baseline", "full_build", "day_before_build", "incremental_build", "no_change_build")


def dbt_build(label: str, work: Path, warehouse: Path, landing: Path, as_of: str, full_refresh: bool,
              memory_limit: str) -> dict:
    target = work / "target"
    command = [venv_bin("dbt"), "build", *PRODUCTION_BUILD_EXCLUDES, *(["--full-refresh"] if full_refresh else []),
               "--target-path", str(target), "--log-path", str(work / "logs"),
               "--vars", json.dumps({"raw_data_dir": str(landing), "as_of_date": as_of})]
    env = dbt_env(warehouse, {"DUCKDB_MEMORY_LIMIT": memory_limit, "DUCKDB_TEMP_DIR": str(work / "spill")})
    result = run_measured(label, command, env, work / f"{label.split(': ')[-1].replace(' ', '_')}.log")
    return {**result, "as_of_date": as_of, **dbt_timings(target)}


def bench_scale(scale: str, args: argparse.Namespace) -> dict:
    work = args.output / scale
    for stale in ("target", "target-compile", "spill", "baseline.duckdb", "full.duckdb", "incremental.duckdb",
                  "compile.duckdb"):
        path = work / stale
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    data_dir = args.data_dir / scale
    row: dict = {"scale": scale, "data_dir": str(data_dir), "memory_limit": args.memory_limit}
    row["generation"] = generate(scale, data_dir, args, work)
    typed = typed_events_columns(work)
    row.update(describe_data(scale, data_dir, work, args.memory_limit, typed["occurred_at"]))
    last_day = dt.date.fromisoformat(row["last_day"])
    day_before = (last_day - dt.timedelta(days=1)).isoformat()
    progress(f"{scale}: {row['customers']:,} customers, {row['events']:,} events through {row['last_day']}")

    sql = BASELINE_SQL.format(typed_columns=",\n        ".join(f"{typed[name]} as {name}" for name in TYPED_COLUMNS),
                              reader=reader(landing_file(data_dir, "events")))
    # `create table as` returns the number of rows it wrote.
    baseline = duckdb_child(f"{scale}: baseline query", [sql], work, args.memory_limit,
                            database=str(work / "baseline.duckdb"), log_name="baseline.log")
    row["baseline"] = {key: baseline[key] for key in ("seconds", "peak_rss_mb", "exit_code", "threads",
                                                       "query_seconds")}
    row["baseline"]["rows"] = int(baseline["rows"][0][0])

    row["full_build"] = dbt_build(f"{scale}: full build", work, work / "full.duckdb", data_dir,
                                  row["last_day"], True, args.memory_limit)

    watch = Stopwatch()
    landing = work / "landing"
    landing_day_before(scale, data_dir, landing, row["last_day"], work, args.memory_limit, typed["occurred_at"])
    row["landing_day_before_seconds"] = round(watch.seconds(), 2)
    row["day_before_build"] = dbt_build(f"{scale}: day-before build", work, work / "incremental.duckdb", landing,
                                        day_before, True, args.memory_limit)
    append_last_day(data_dir, landing)
    row["incremental_build"] = dbt_build(f"{scale}: incremental build", work, work / "incremental.duckdb",
                                         landing, row["last_day"], False, args.memory_limit)
    row["no_change_build"] = dbt_build(f"{scale}: no-change build", work, work / "incremental.duckdb",
                                       landing, row["last_day"], False, args.memory_limit)

    if not args.keep_warehouses:
        for name in ("baseline.duckdb", "full.duckdb", "incremental.duckdb", "compile.duckdb"):
            (work / name).unlink(missing_ok=True)
        shutil.rmtree(landing, ignore_errors=True)
        shutil.rmtree(work / "spill", ignore_errors=True)
    return row


def machine() -> dict:
    def version(package: str) -> str:
        try:
            return importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            return "n/a"

    def git(*command: str) -> str:
        result = subprocess.run(["git", *command], cwd=REPO_ROOT, capture_output=True, text=True)
        return result.stdout.strip() if result.returncode == 0 else ""

    return {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": sys.version.split()[0],
        "duckdb": version("duckdb"),
        "dbt_core": version("dbt-core"),
        "dbt_duckdb": version("dbt-duckdb"),
        "dbt_threads": int(os.environ.get("DBT_THREADS", "2")),
        "git_commit": git("rev-parse", "--short", "HEAD") + (" (modified)" if git("status", "--porcelain") else ""),
    }


def markdown(report: dict) -> str:
    m = report["machine"]
    lines = [
        f"# Benchmark, {m['date']}",
        "",
        f"Machine: {m['cores']} cores, {m['memory_gib']} GiB; duckdb {m['duckdb']}, dbt-core {m['dbt_core']}, "
        f"dbt-duckdb {m['dbt_duckdb']}, Python {m['python']}; dbt threads {m['dbt_threads']}; "
        f"commit {m['git_commit'] or 'n/a'}.",
        f"Command: `{report['command']}`",
        "",
        "| scale | customers | events | generation s | baseline s | full build s (× baseline) "
        "| incremental s (% of full) | no-change run s (% of full) | peak RSS MB | memory limit |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    for r in report["results"]:
        gen = r["generation"]
        gen_s = "reused" if gen["seconds"] is None else f"{gen['seconds']:.1f}{' (earlier)' if gen['reused'] else ''}"
        base, full, incr = r["baseline"]["seconds"], r["full_build"]["seconds"], r["incremental_build"]["seconds"]
        same = r["no_change_build"]["seconds"]
        peak = max(r[k]["peak_rss_mb"] for k in BUILDS)
        lines.append(f"| {r['scale']} | {r['customers']:,} | {r['events']:,} | {gen_s} | {base:.1f} "
                     f"| {full:.1f} ({full / base:.2f}×) | {incr:.1f} ({100 * incr / full:.0f}%) "
                     f"| {same:.1f} ({100 * same / full:.0f}%) | {peak:,} | {r['memory_limit']} |")
    lines += [
        "",
        "Where the build time goes (from dbt's run_results.json; models wall = time during which at least "
        "one model ran; Σ = summed over dbt's threads):",
        "",
        "| scale | models + data tests | full build s | models wall s | Σ models s | Σ tests s "
        "| day-before full build s | incremental: models wall s / Σ tests s | no-change: models wall s / Σ tests s "
        "| peak RSS MB baseline / full / incremental |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in report["results"]:
        f, i, n = r["full_build"], r["incremental_build"], r["no_change_build"]
        lines.append(f"| {r['scale']} | {f['models']} + {f['tests']} | {f['seconds']:.1f} "
                     f"| {f['models_wall_seconds']:.1f} | {f['models_sum_seconds']:.1f} | {f['tests_sum_seconds']:.1f} "
                     f"| {r['day_before_build']['seconds']:.1f} "
                     f"| {i['models_wall_seconds']:.1f} / {i['tests_sum_seconds']:.1f} "
                     f"| {n['models_wall_seconds']:.1f} / {n['tests_sum_seconds']:.1f} "
                     f"| {r['baseline']['peak_rss_mb']:,} / {f['peak_rss_mb']:,} / {i['peak_rss_mb']:,} |")
    largest = max(report["results"], key=lambda r: r["events"])
    lines += ["", f"Slowest models of the full build at scale {largest['scale']}: " + ", ".join(
        f"{m['model']} {m['seconds']:.1f} s" for m in largest["full_build"]["slowest_models"]) + ".", "", NOTES]
    return "\n".join(lines) + "\n"


NOTES = """\
- generation: `scripts/generate_data.py` (Parquet) into `<data-dir>/<scale>`; "earlier" = reused data
  (`--reuse-data`), time recorded when it was generated.
- baseline: one DuckDB query in a fresh process, `create table as` in a scratch file: events per customer per
  UTC day (logins, sessions, session minutes, feature uses, events, distinct users) straight from the landing
  file, each column typed by the project's own macro (`parse_typed`, compiled with `dbt compile --inline`);
  same memory limit, DuckDB's default threads as in dbt.
- full build: `dbt build --exclude-resource-type unit_test --full-refresh` (every model and data test; the
  unit tests run on fixed inputs in `make test`) as of the last day with events, into a new file; wall time
  of the dbt process, parsing included.
- incremental: the landing as it was the day before (events before the last day; the other tables are the
  full files, which as_of_date filters), `dbt build --full-refresh` as of the day before ("day-before full
  build"), then the events file replaced by the full one and `dbt build` as of the last day: the timed run.
- no-change run: the same `dbt build` once more, nothing new. What any daily run costs before it reads a new
  row: dbt's start-up and its per-node work for every model and data test, and the scan of the events file
  that finds what changed (the landing contract's one file per table says nothing of what is new).
- peak RSS: maximum resident memory of that process (`wait4` ru_maxrss); the table's column is the largest
  of the baseline and the four builds.
"""


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    report = {"machine": machine(), "command": " ".join([".venv/bin/python", "scripts/benchmark.py",
                                                          *(argv if argv is not None else sys.argv[1:])]),
              "memory_limit": args.memory_limit, "results": []}
    args.output.mkdir(parents=True, exist_ok=True)
    try:
        for scale in args.scales:
            report["results"].append(bench_scale(scale, args))
            (args.output / "benchmark.json").write_text(json.dumps(report, indent=2) + "\n")
            (args.output / "benchmark.md").write_text(markdown(report))
    except BenchmarkError as error:
        print(f"benchmark: FAILED: {error}", file=sys.stderr)
        return 1
    print()
    print(markdown(report), end="")
    print(f"[benchmark] wrote {args.output / 'benchmark.md'} and benchmark.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
