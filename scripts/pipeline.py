#!/usr/bin/env python3
"""Run the warehouse end to end: landing data -> dbt build -> publish -> summary.

    python scripts/pipeline.py                       # demo data, as of today
    python scripts/pipeline.py --raw-data-dir DIR --as-of-date 2026-10-31

Without --raw-data-dir it generates the demo business (scripts/generate_data.py,
scale `demo`, ending on the as-of date) if it is not there yet. The build
goes through scripts/publish.py: dbt builds a fresh file which replaces the
published warehouse atomically once every test passed, so BI readers never
see a half-built warehouse nor a lock error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DEFAULT_DEMO_DIR, REPO_ROOT, Stopwatch, default_warehouse  # noqa: E402
from publish import PublishError, build_and_publish, vars_from_args  # noqa: E402
from dashboard import build_dashboard  # noqa: E402

# The end date of the generated demo data, beside it.
DEMO_END_MARKER = "_demo_end_date.txt"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--raw-data-dir", type=Path, help="landing directory (default: generated demo data)")
    parser.add_argument("--as-of-date", default=dt.datetime.now(dt.timezone.utc).date().isoformat(),
                        help="last day the marts describe, YYYY-MM-DD (default: today, UTC)")
    parser.add_argument("--warehouse", type=Path, default=default_warehouse(),
                        help="published DuckDB file (default: $WAREHOUSE_PATH or warehouse/subscription_metrics.duckdb)")
    parser.add_argument("--scale", default="demo", help="generator scale for the demo data (default: demo)")
    parser.add_argument("--seed", type=int, default=42, help="generator seed for the demo data")
    parser.add_argument("--vars", default="", help="extra dbt vars as YAML/JSON, e.g. '{churn_grace_days: 7}'")
    parser.add_argument("--quiet", action="store_true", help="print only the summary")
    return parser.parse_args(argv)


def ensure_demo_data(raw_dir: Path, scale: str, seed: int, end_date: str) -> None:
    """Generate the demo landing files unless they are there and reach `end_date`.

    Demo data that ends before the as-of date would fail the landing
    freshness tests (vars freshness_warn_days / freshness_error_days), so it
    is generated again, ending on the new date (recorded in DEMO_END_MARKER).
    """
    marker = raw_dir / DEMO_END_MARKER
    present = (raw_dir / "customers.csv").exists() or (raw_dir / "customers.parquet").exists()
    if present and marker.exists() and marker.read_text().strip() >= end_date:
        print(f"[pipeline] using landing data in {raw_dir}")
        return
    print(f"[pipeline] generating {scale} data (seed {seed}, ending {end_date}) into {raw_dir}")
    subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "generate_data.py"), "--scale", scale, "--seed", str(seed),
         "--end-date", end_date, "--out", str(raw_dir)],
        check=True,
    )
    marker.write_text(end_date + "\n")


def money(value: object) -> str:
    return "n/a" if value is None else f"{float(value):,.2f}"


def percent(value: object) -> str:
    return "n/a" if value is None else f"{100 * float(value):.1f}%"


def print_summary(warehouse: Path, reporting_currency: str = "USD") -> None:
    """A short, human summary of the latest month of the marts."""
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
    print()
    print(f"Subscription metrics — month of {row.get('month')} ({reporting_currency})")
    print(f"  MRR {money(row.get('ending_mrr'))}   ARR {money(row.get('arr'))}   "
          f"customers {row.get('customers_end')}   ARPA {money(row.get('arpa'))}")
    print(f"  new {money(row.get('new_mrr'))}  expansion {money(row.get('expansion_mrr'))}  "
          f"reactivation {money(row.get('reactivation_mrr'))}  contraction -{money(row.get('contraction_mrr'))}  "
          f"churned -{money(row.get('churned_mrr'))}  net new {money(row.get('net_new_mrr'))}")
    print(f"  NRR {percent(row.get('net_revenue_retention'))}   GRR {percent(row.get('gross_revenue_retention'))}   "
          f"quick ratio {row.get('quick_ratio') and round(row.get('quick_ratio'), 2)}")
    if churn:
        print(f"  logo churn {percent(churn[0])}   retention {percent(churn[1])}   "
              f"churn cost (annualised) {money(churn[2])}")
    print("  landing rows: " + "; ".join(
        f"{table} {raw} = {clean} clean + {quarantined} quarantined + {dupes} duplicates"
        for table, raw, clean, quarantined, dupes in reconciliation))
    print(f"  warehouse: {warehouse}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    watch = Stopwatch()
    raw_dir = args.raw_data_dir
    if raw_dir is None:
        raw_dir = DEFAULT_DEMO_DIR
        ensure_demo_data(raw_dir, args.scale, args.seed, args.as_of_date)
    try:
        dbt_vars = vars_from_args(raw_dir, args.as_of_date, "")
        dbt_vars.update(vars_from_args(None, None, args.vars))  # --vars wins, as always
        print(f"[pipeline] dbt build (as of {args.as_of_date}) and publish to {args.warehouse}")
        result = build_and_publish(args.warehouse, dbt_vars, quiet=args.quiet)
    except PublishError as error:
        print(f"[pipeline] FAILED: {error}", file=sys.stderr)
        return error.code
    print(f"[pipeline] published version {result.version_id}")
    print_summary(args.warehouse, str(dbt_vars.get("reporting_currency", "USD")))
    dashboard_path = build_dashboard(args.warehouse, REPO_ROOT / "output" / "dashboard.html",
                                     as_of_date=args.as_of_date,
                                     reporting_currency=str(dbt_vars.get("reporting_currency", "USD")))
    print(f"[pipeline] done in {watch.seconds():.1f}s")
    print(f"[pipeline] dashboard: {dashboard_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
