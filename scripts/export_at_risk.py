#!/usr/bin/env python3
"""Export the at-risk customers for customer success, as CSV and JSON.

    python scripts/export_at_risk.py                          # latest snapshot -> output/at_risk/
    python scripts/export_at_risk.py --out /data/cs --snapshot-date 2026-09-30

Reads the customers flagged at risk (`is_at_risk`: risk tier medium or high)
in one snapshot of the `hidden_churn_risk` mart (the latest one unless
--snapshot-date says otherwise), riskiest MRR first, with their reasons,
MRR at risk, segment and a suggested next step per signal:

    failed payments / past due        -> dunning
    few of the paid seats used        -> adoption
    no activity, or usage declining   -> outreach
    annual renewal while usage is low -> renewal review

Writes `at_risk_customers.csv` (next steps joined by '; ') and
`at_risk_customers.json` (snapshot, totals and one object per customer, next
steps as a list) to the output directory. Like the Parquet export it opens
the warehouse read-only and writes each file beside its target and renames
it over it, so a reader never sees a half-written file.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from export_parquet import default_warehouse  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO_ROOT / "output" / "at_risk"
MART = "hidden_churn_risk"
CSV_NAME = "at_risk_customers.csv"
JSON_NAME = "at_risk_customers.json"

#: (signal points column of hidden_churn_risk, suggested next step), in the
#: order the steps are listed. A step is suggested once, when any of its
#: signals scored.
NEXT_STEPS: list[tuple[str, str]] = [
    ("payment_points", "dunning"),
    ("seat_utilisation_points", "adoption"),
    ("inactivity_points", "outreach"),
    ("usage_decline_points", "outreach"),
    ("renewal_points", "renewal review"),
]

COLUMNS = ["customer_id", "snapshot_date", "segment", "plan_id", "mrr", "mrr_at_risk", "risk_score",
           "risk_tier", "reasons", "next_steps"]


@dataclass
class Export:
    snapshot_date: dt.date
    customers: list[dict[str, object]]
    csv_path: Path
    json_path: Path

    @property
    def mrr_at_risk(self) -> Decimal:
        return sum((Decimal(str(row["mrr_at_risk"])) for row in self.customers), Decimal("0"))


def next_steps(points: dict[str, float]) -> list[str]:
    """The suggested next steps for a customer's scored signals (points > 0), without repeats."""
    steps: list[str] = []
    for column, step in NEXT_STEPS:
        if (points.get(column) or 0) > 0 and step not in steps:
            steps.append(step)
    return steps


def _write_atomically(target: Path, text: str) -> None:
    partial = target.with_name(f".{target.name}.partial")
    with partial.open("w", encoding="utf-8", newline="") as handle:
        handle.write(text)
    os.replace(partial, target)


def _csv_text(rows: list[dict[str, object]]) -> str:
    class _Buffer:
        def __init__(self) -> None:
            self.parts: list[str] = []

        def write(self, text: str) -> None:
            self.parts.append(text)

    buffer = _Buffer()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "next_steps": "; ".join(row["next_steps"]), "reasons": row["reasons"] or ""})
    return "".join(buffer.parts)


def export_at_risk(
    warehouse: Path | str,
    out_dir: Path | str = DEFAULT_OUT,
    snapshot_date: dt.date | None = None,
    schema: str = "marts",
) -> Export:
    """Write the at-risk customers of one snapshot to CSV and JSON in `out_dir`.

    Raises FileNotFoundError when the warehouse file is missing and
    ValueError when the mart or the snapshot is not there.
    """
    warehouse = Path(warehouse)
    out_dir = Path(out_dir).resolve()
    if not warehouse.exists():
        raise FileNotFoundError(f"warehouse not found: {warehouse} (run dbt build first)")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        found = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = ? and table_catalog = current_database()",
            [schema, MART],
        ).fetchone()[0]
        if not found:
            raise ValueError(f"{schema}.{MART} not found in {warehouse} (build the hidden churn marts first)")
        relation = f'"{schema}"."{MART}"'
        if snapshot_date is None:
            snapshot_date = con.execute(f"select max(snapshot_date) from {relation}").fetchone()[0]
            if snapshot_date is None:
                raise ValueError(f"{schema}.{MART} has no snapshot")
        else:
            known = con.execute(
                f"select count(*) from {relation} where snapshot_date = ?", [snapshot_date]
            ).fetchone()[0]
            if not known:
                latest = con.execute(f"select max(snapshot_date) from {relation}").fetchone()[0]
                raise ValueError(f"no snapshot {snapshot_date} in {schema}.{MART} (latest: {latest})")
        point_columns = sorted({column for column, _ in NEXT_STEPS})
        cursor = con.execute(
            f"select customer_id, snapshot_date, segment, plan_id, mrr, mrr_at_risk, risk_score, risk_tier, "
            f"reasons, {', '.join(point_columns)} from {relation} "
            f"where snapshot_date = ? and is_at_risk "
            f"order by mrr_at_risk desc, risk_score desc, customer_id",
            [snapshot_date],
        )
        names = [description[0] for description in cursor.description]
        records = [dict(zip(names, values)) for values in cursor.fetchall()]
    customers: list[dict[str, object]] = []
    for record in records:
        customer = {column: record[column] for column in COLUMNS if column != "next_steps"}
        customer["next_steps"] = next_steps({column: record[column] for column in point_columns})
        customers.append(customer)

    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path = out_dir / CSV_NAME
    json_path = out_dir / JSON_NAME
    _write_atomically(csv_path, _csv_text(customers))
    result = Export(snapshot_date, customers, csv_path, json_path)
    document = {
        "exported_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "warehouse": str(warehouse.resolve()),
        "snapshot_date": snapshot_date.isoformat(),
        "customers_at_risk": len(customers),
        "mrr_at_risk": str(result.mrr_at_risk),
        "customers": [
            {**row, "snapshot_date": row["snapshot_date"].isoformat(),
             "mrr": str(row["mrr"]), "mrr_at_risk": str(row["mrr_at_risk"])}
            for row in customers
        ],
    }
    _write_atomically(json_path, json.dumps(document, indent=2, default=str) + "\n")
    return result


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", type=Path, default=None,
                        help="DuckDB file to read (default: $WAREHOUSE_PATH or warehouse/subscription_metrics.duckdb)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory (default: output/at_risk)")
    parser.add_argument("--snapshot-date", default=None,
                        help="snapshot to export, YYYY-MM-DD (default: the latest)")
    parser.add_argument("--schema", default="marts", help="schema of the marts (default: marts)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    warehouse = args.warehouse or default_warehouse()
    try:
        snapshot = dt.date.fromisoformat(args.snapshot_date) if args.snapshot_date else None
    except ValueError:
        print(f"[export_at_risk] --snapshot-date must be YYYY-MM-DD, got {args.snapshot_date!r}", file=sys.stderr)
        return 2
    try:
        result = export_at_risk(warehouse, args.out, snapshot, args.schema)
    except (FileNotFoundError, ValueError, duckdb.Error) as error:
        print(f"[export_at_risk] {error}", file=sys.stderr)
        return 1
    print(f"[export_at_risk] snapshot {result.snapshot_date}: {len(result.customers):,} customers at risk, "
          f"{result.mrr_at_risk:,} MRR at risk -> {result.csv_path}, {result.json_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
