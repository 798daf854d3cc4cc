#!/usr/bin/env python3
"""Run the warehouse end to end: landing data -> dbt build -> publish -> summary -> dashboard.

    python scripts/pipeline.py                       # demo data, as of today
    python scripts/pipeline.py --raw-data-dir DIR --as-of-date 2026-10-31

Without --raw-data-dir it uses the generated demo business in
data/generated/demo, and generates it again (scripts/generate_data.py)
whenever it does not cover the as-of date: missing, generated with another
scale or seed, ending before the date or starting after it. The build goes
through scripts/publish.py: dbt builds a fresh file which replaces the
published warehouse atomically once every test passed, so BI readers never
see a half-built warehouse nor a lock error.

It prints one line per stage with its time; dbt's whole output goes to a
log file whose path is printed (--verbose shows it as it runs).

Exit codes: 0 done; 1 the build failed; 2 a bad argument or an invalid var;
3-5 see scripts/publish.py. Every failure is one line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import NoReturn

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DEFAULT_DEMO_DIR, REPO_ROOT, Stopwatch, default_warehouse  # noqa: E402
from publish import EXIT_OTHER, EXIT_USAGE, PublishError, build_and_publish, vars_from_args  # noqa: E402
from dashboard import build_dashboard  # noqa: E402

#: What the generated demo data covers (scale, seed, first and last day), beside it.
DEMO_MARKER = "_demo_data.json"
#: dbt's console output of the last build (the full log; --verbose prints it).
BUILD_LOG = REPO_ROOT / "logs" / "pipeline_dbt_build.log"
#: Generator scales and their history length in months (scripts/generate_data.py).
SCALE_MONTHS = {"tiny": 18, "demo": 36, "large": 36}
#: The years validate_vars accepts for as_of_date.
FIRST_YEAR, LAST_YEAR = 1970, 2199


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line (exit 2), without the usage block."""

    def error(self, message: str) -> NoReturn:
        print(f"[pipeline] FAILED: {message} (see --help)", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def calendar_date(text: str) -> str:
    """An --as-of-date value: a real calendar date YYYY-MM-DD within the accepted years."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise argparse.ArgumentTypeError(f"'{text}' is not a date as YYYY-MM-DD")
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a calendar date") from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise argparse.ArgumentTypeError(f"'{text}' is outside the years {FIRST_YEAR}-{LAST_YEAR}")
    return text


def seed_number(text: str) -> int:
    if not re.fullmatch(r"\d{1,9}", text.strip()):
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number >= 0")
    return int(text)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = OneLineParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--raw-data-dir", type=Path, help="landing directory (default: generated demo data)")
    parser.add_argument("--as-of-date", type=calendar_date,
                        default=dt.datetime.now(dt.timezone.utc).date().isoformat(),
                        help="last day the marts describe, YYYY-MM-DD (default: today, UTC)")
    parser.add_argument("--warehouse", type=Path, default=default_warehouse(),
                        help="published DuckDB file (default: $WAREHOUSE_PATH or warehouse/subscription_metrics.duckdb)")
    parser.add_argument("--scale", default="demo", choices=sorted(SCALE_MONTHS),
                        help="generator scale for the demo data (default: demo)")
    parser.add_argument("--seed", type=seed_number, default=42, help="generator seed for the demo data (default: 42)")
    parser.add_argument("--vars", default="", help="extra dbt vars as YAML/JSON, e.g. '{churn_grace_days: 7}'")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--verbose", action="store_true", help="print dbt's whole output as it runs")
    output.add_argument("--quiet", action="store_true", help="print only the summary")
    args = parser.parse_args(argv)
    if args.raw_data_dir is not None and not args.raw_data_dir.is_dir():
        parser.error(f"--raw-data-dir {args.raw_data_dir} is not a directory")
    return args


# ---------------------------------------------------------------------------
# demo data


def history_start(end_date: dt.date, months: int) -> dt.date:
    """First day of the generated history: the first of the month `months - 1` before `end_date`'s."""
    index = end_date.year * 12 + end_date.month - 1 - (months - 1)
    return dt.date(index // 12, index % 12 + 1, 1)


def demo_coverage(raw_dir: Path) -> dict[str, object] | None:
    """What the demo data in `raw_dir` covers, from its marker; None when unknown."""
    marker = raw_dir / DEMO_MARKER
    present = (raw_dir / "customers.csv").exists() or (raw_dir / "customers.parquet").exists()
    if not present or not marker.exists():
        return None
    try:
        coverage = json.loads(marker.read_text(encoding="utf-8"))
        dt.date.fromisoformat(coverage["start_date"])
        dt.date.fromisoformat(coverage["end_date"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return coverage


def demo_data_covers(coverage: dict[str, object] | None, scale: str, seed: int, as_of_date: str) -> bool:
    """Whether generated data can serve `as_of_date`: same scale and seed, and the date within its history
    (a later date would fail the freshness tests, an earlier one would have no data)."""
    if coverage is None or coverage.get("scale") != scale or coverage.get("seed") != seed:
        return False
    return str(coverage["start_date"]) <= as_of_date <= str(coverage["end_date"])


def ensure_demo_data(raw_dir: Path, scale: str, seed: int, as_of_date: str, quiet: bool = False) -> str:
    """Generate the demo landing files unless they cover `as_of_date`; returns what was done.

    The new data is written beside the old and swapped in only when complete,
    so an interrupted generation leaves nothing half-written behind.
    """
    if demo_data_covers(demo_coverage(raw_dir), scale, seed, as_of_date):
        return f"reused {relative(raw_dir)} (covers {as_of_date})"
    end = dt.date.fromisoformat(as_of_date)
    start = history_start(end, SCALE_MONTHS[scale])
    partial = raw_dir.with_name(raw_dir.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "generate_data.py"), "--scale", scale, "--seed", str(seed),
         "--end-date", as_of_date, "--out", str(partial), "--quiet"],
        capture_output=True, text=True,
    )
    if result.returncode != 0:
        shutil.rmtree(partial, ignore_errors=True)
        message = (result.stderr.strip() or result.stdout.strip() or "no output").splitlines()[-1]
        raise PublishError(f"generating the demo data failed: {message}", EXIT_OTHER)
    (partial / DEMO_MARKER).write_text(json.dumps(
        {"scale": scale, "seed": seed, "start_date": start.isoformat(), "end_date": as_of_date}) + "\n")
    shutil.rmtree(raw_dir, ignore_errors=True)
    partial.rename(raw_dir)
    return f"{scale} data, seed {seed}, {start} to {as_of_date} -> {relative(raw_dir)}"


# ---------------------------------------------------------------------------
# summary


def money(value: object) -> str:
    return "n/a" if value is None else f"{float(value):,.2f}"


def signed_money(value: object) -> str:
    """+1,234.50 / -1,234.50: a change that can go either way."""
    return "n/a" if value is None else f"{float(value):+,.2f}"


def percent(value: object) -> str:
    return "n/a" if value is None else f"{100 * float(value):.1f}%"


def summary_lines(warehouse: Path, reporting_currency: str = "USD", as_of_date: str | None = None) -> list[str]:
    """A short, human summary of the latest month of the marts (without the warehouse's path);
    a month that `as_of_date` ends before its last day is labelled as to date."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        latest = con.execute(
            "select * from marts.mrr_movements order by month desc limit 1"
        ).fetchone()
        columns = [d[0] for d in con.description]
        row = dict(zip(columns, latest)) if latest else {}
        churn = con.execute(
            "select logo_churn_rate, customer_retention_rate, churn_cost_annualized "
            "from marts.churn_summary where period_type = 'month' and segment = 'all' "
            "order by period_start desc limit 1"
        ).fetchone()
        reconciliation = con.execute(
            "select source_table, raw_rows, clean_rows, quarantined_rows, duplicates_removed "
            "from audit.raw_row_reconciliation order by source_table"
        ).fetchall()
    quick_ratio = row.get("quick_ratio")
    to_date = ""
    month = row.get("month")
    if as_of_date and isinstance(month, dt.date):
        as_of_day = dt.date.fromisoformat(as_of_date)
        next_month = (month.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        if month <= as_of_day < next_month - dt.timedelta(days=1):
            days = (next_month - month).days
            to_date = f", to date: {as_of_day.day} of {days} days; the flows cover only those days"
    lines = [
        f"Subscription metrics — month of {month} ({reporting_currency}{to_date})",
        f"  MRR {money(row.get('ending_mrr'))}   ARR {money(row.get('arr'))}   "
        f"customers {row.get('customers_end')}   ARPA {money(row.get('arpa'))}",
        f"  new {money(row.get('new_mrr'))}  expansion {money(row.get('expansion_mrr'))}  "
        f"reactivation {money(row.get('reactivation_mrr'))}  contraction -{money(row.get('contraction_mrr'))}  "
        f"churned -{money(row.get('churned_mrr'))}  fx impact {signed_money(row.get('fx_impact_mrr'))}  "
        f"net new {money(row.get('net_new_mrr'))}",
        f"  NRR {percent(row.get('net_revenue_retention'))}   GRR {percent(row.get('gross_revenue_retention'))}   "
        f"quick ratio {'n/a' if quick_ratio is None else f'{float(quick_ratio):.2f}'}",
    ]
    if churn:
        lines.append(f"  logo churn {percent(churn[0])}   retention {percent(churn[1])}   "
                     f"churn cost (annualised) {money(churn[2])}")
    lines.append("  landing rows:")
    lines += [f"    {table}: {raw:,} = {clean:,} clean + {quarantined:,} quarantined + {dupes:,} duplicates"
              for table, raw, clean, quarantined, dupes in reconciliation]
    return lines


def print_summary(warehouse: Path, reporting_currency: str = "USD", as_of_date: str | None = None) -> None:
    print()
    for line in summary_lines(warehouse, reporting_currency, as_of_date):
        print(line)
    print(f"  warehouse: {relative(warehouse)}")


# ---------------------------------------------------------------------------
# progress


def relative(path: Path) -> str:
    """`path` relative to the repository when inside it (shorter lines), else absolute."""
    try:
        return str(Path(path).absolute().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def stage(name: str, text: str, seconds: float | None = None) -> None:
    timing = f"  {seconds:5.1f}s" if seconds is not None else ""
    print(f"[pipeline] {name:<10} {text}{timing}", flush=True)


class BuildProgress:
    """Counts dbt's finished nodes; on a terminal shows `n of N` in place."""

    def __init__(self, live: bool) -> None:
        self.live = live
        self.pattern = re.compile(r"\b(\d+) of (\d+) (OK|PASS|WARN|ERROR|FAIL|SKIP)\b")
        self.shown = False

    def __call__(self, line: str) -> None:
        match = self.pattern.search(line)
        if match and self.live:
            print(f"\r[pipeline] build      {match.group(1)} of {match.group(2)} models and tests ...",
                  end="", flush=True)
            self.shown = True

    def clear(self) -> None:
        if self.shown:
            print("\r" + " " * 72 + "\r", end="", flush=True)
            self.shown = False


def build_counts(target: Path) -> dict[str, dict[str, int]]:
    """Models and data tests of the last dbt run, per status, with their summed execution time."""
    counts: dict[str, dict[str, float]] = {"model": {}, "test": {}}
    try:
        results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))["results"]
    except (OSError, ValueError, KeyError):
        return counts
    for result in results:
        kind = result.get("unique_id", "").split(".", 1)[0]
        if kind in counts:
            bucket = counts[kind]
            bucket[result["status"]] = bucket.get(result["status"], 0) + 1
            bucket["seconds"] = bucket.get("seconds", 0.0) + float(result.get("execution_time") or 0.0)
    return counts


def main(argv: list[str] | None = None) -> int:
    try:
        args = parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0) if isinstance(exit_.code, int) else EXIT_USAGE
    watch = Stopwatch()
    started = time.time()
    show = (lambda *a, **k: None) if args.quiet else stage
    reporting_currency = "USD"
    try:
        dbt_vars = vars_from_args(None, None, args.vars)  # a bad --vars stops before anything is generated
        raw_dir = args.raw_data_dir
        if raw_dir is None:
            raw_dir = DEFAULT_DEMO_DIR
            step = Stopwatch()
            done = ensure_demo_data(raw_dir, args.scale, args.seed, args.as_of_date)
            show("generate", done, step.seconds())
        today = dt.datetime.now(dt.timezone.utc).date().isoformat()
        if args.as_of_date > today:
            show("note", f"as-of date {args.as_of_date} is after today ({today}): the marts describe a future day")
        base_vars = vars_from_args(raw_dir, args.as_of_date, "")
        dbt_vars = {**base_vars, **dbt_vars}  # --vars wins, as always
        reporting_currency = str(dbt_vars.get("reporting_currency", "USD"))
        target = REPO_ROOT / "target"
        progress = BuildProgress(live=not args.quiet and not args.verbose and sys.stdout.isatty())
        if args.verbose:
            stage("build", f"dbt build as of {dbt_vars['as_of_date']} (output below; also in {relative(BUILD_LOG)})")
        try:
            result = build_and_publish(args.warehouse, dbt_vars, quiet=not args.verbose, target_path=target,
                                       console_log=BUILD_LOG, on_dbt_line=progress)
        finally:
            progress.clear()
    except PublishError as error:
        hint = ""
        if "days_behind_as_of" in str(error):
            hint = (" — the landing data ends too long before the as-of date: pass --as-of-date with a day "
                    "near its newest invoice and event (freshness vars: docs/configuration.md)")
        print(f"[pipeline] FAILED: {error}{hint}", file=sys.stderr)
        if BUILD_LOG.exists() and BUILD_LOG.stat().st_mtime >= started:
            print(f"[pipeline] dbt's whole output: {relative(BUILD_LOG)}", file=sys.stderr)
        return error.code
    except KeyboardInterrupt:
        print("[pipeline] FAILED: interrupted; the published warehouse is unchanged", file=sys.stderr)
        return EXIT_OTHER
    counts = build_counts(target)
    models, tests = counts["model"], counts["test"]
    model_count = sum(v for k, v in models.items() if k != "seconds")
    test_passed = tests.get("pass", 0) + tests.get("warn", 0)
    warned = f", {tests['warn']} warned" if tests.get("warn") else ""
    show("build", f"{model_count} models and their data tests, as of {dbt_vars['as_of_date']} "
                  f"(dbt log: {relative(BUILD_LOG)})", result.dbt_seconds)
    show("tests", f"{test_passed} data tests passed{warned}, 0 failed "
                  f"(Σ {tests.get('seconds', 0.0):.1f}s of the build)")
    show("publish", f"version {result.version_id} -> {relative(args.warehouse)}",
         result.seconds - result.dbt_seconds)
    step = Stopwatch()
    try:
        dashboard_path = build_dashboard(args.warehouse, REPO_ROOT / "output" / "dashboard.html",
                                         as_of_date=args.as_of_date, reporting_currency=reporting_currency)
        show("dashboard", dashboard_path.as_uri(), step.seconds())
        print_summary(args.warehouse, reporting_currency, str(dbt_vars["as_of_date"]))
    except (OSError, duckdb.Error, ValueError) as error:
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        print(f"[pipeline] FAILED: the warehouse was published, but reading it back failed: {first}", file=sys.stderr)
        return EXIT_OTHER
    if not args.quiet:
        print(f"\n[pipeline] done in {watch.seconds():.1f}s · dashboard {dashboard_path.as_uri()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
