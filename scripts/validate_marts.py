#!/usr/bin/env python3
"""Great Expectations checkpoint over the marts of a built warehouse.

    python scripts/validate_marts.py --warehouse warehouse/subscription_metrics.duckdb

Validates what dbt tests do not express well — distributions and ranges of
the rates (bounds learned from the demo business), row-count change since the
previous validated build, and freshness (the marts reach the month of
as_of_date) — and renders Data Docs (HTML) into output/data_docs/. Exits 1
when any expectation fails and names the mart, column and expectation.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DEFAULT_WAREHOUSE, REPO_ROOT  # noqa: E402

DEFAULT_DOCS_DIR = REPO_ROOT / "output" / "data_docs"
DEFAULT_HISTORY = REPO_ROOT / "output" / "validation_history.json"
# A build may grow or shrink a mart by at most this factor against the last validated one.
MAX_ROW_COUNT_CHANGE = 2.0


@dataclass
class MartSuite:
    """Expectations for one mart, as (expectation class name, kwargs)."""

    mart: str
    query: str
    expectations: list[tuple[str, dict]] = field(default_factory=list)


def suites(as_of_month: dt.date) -> list[MartSuite]:
    """The expectation suites. Bounds come from the demo business (seed 42, 3 years) with margin."""
    month = as_of_month.isoformat()
    return [
        MartSuite(
            "mrr_movements",
            "select * from marts.mrr_movements",
            [
                ("ExpectTableRowCountToBeBetween", {"min_value": 1}),
                ("ExpectColumnValuesToBeUnique", {"column": "month"}),
                ("ExpectColumnMaxToBeBetween", {"column": "month", "min_value": month, "max_value": month}),
                ("ExpectColumnValuesToBeBetween", {"column": "gross_revenue_retention", "min_value": 0.5,
                                                   "max_value": 1.0, "mostly": 0.95}),
                ("ExpectColumnValuesToBeBetween", {"column": "net_revenue_retention", "min_value": 0.5,
                                                   "max_value": 2.0, "mostly": 0.95}),
                ("ExpectColumnValuesToBeBetween", {"column": "gross_mrr_churn_rate", "min_value": 0.0,
                                                   "max_value": 0.5, "mostly": 0.95}),
                ("ExpectColumnMedianToBeBetween", {"column": "gross_mrr_churn_rate", "min_value": 0.0,
                                                   "max_value": 0.15}),
                ("ExpectColumnValuesToBeBetween", {"column": "ending_mrr", "min_value": 0}),
                ("ExpectColumnValuesToBeBetween", {"column": "arpa", "min_value": 1, "max_value": 100000,
                                                   "mostly": 0.99}),
            ],
        ),
        MartSuite(
            "churn_summary",
            "select * from marts.churn_summary",
            [
                ("ExpectTableRowCountToBeBetween", {"min_value": 1}),
                ("ExpectColumnDistinctValuesToEqualSet", {"column": "period_type",
                                                          "value_set": ["month", "quarter", "year"]}),
                ("ExpectColumnValuesToBeBetween", {"column": "logo_churn_rate", "min_value": 0.0, "max_value": 1.0}),
                ("ExpectColumnMedianToBeBetween", {"column": "logo_churn_rate", "min_value": 0.0,
                                                   "max_value": 0.2}),
                ("ExpectColumnValuesToBeBetween", {"column": "customer_retention_rate", "min_value": 0.0,
                                                   "max_value": 1.0}),
            ],
        ),
        MartSuite(
            "fct_mrr",
            "select * from marts.fct_mrr",
            [
                ("ExpectTableRowCountToBeBetween", {"min_value": 1}),
                ("ExpectColumnValuesToNotBeNull", {"column": "customer_id"}),
                ("ExpectColumnValuesToBeInSet", {"column": "movement", "value_set": [
                    "new", "reactivation", "expansion", "contraction", "churn", "flat", "inactive"]}),
                ("ExpectColumnValuesToBeBetween", {"column": "mrr", "min_value": 0}),
                ("ExpectColumnMedianToBeBetween", {"column": "mrr", "min_value": 0, "max_value": 20000}),
                ("ExpectColumnMaxToBeBetween", {"column": "mrr", "min_value": 0, "max_value": 1000000}),
            ],
        ),
    ]


def load(warehouse: Path, query: str) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        frame = con.execute(query).df()
    # Decimals and dates as plain numbers / ISO strings so every expectation can compare them.
    for column in frame.columns:
        if frame[column].dtype == object and len(frame) and hasattr(frame[column].iloc[0], "as_tuple"):
            frame[column] = frame[column].astype(float)
        elif "datetime" in str(frame[column].dtype) or (len(frame) and isinstance(frame[column].iloc[0], dt.date)):
            frame[column] = pd.to_datetime(frame[column]).dt.strftime("%Y-%m-%d")
    return frame


def row_count_expectations(history: dict, counts: dict[str, int]) -> dict[str, tuple[str, dict]]:
    """Row-count change since the last validated build, per mart."""
    out = {}
    for mart, previous in history.get("row_counts", {}).items():
        if mart in counts and previous:
            out[mart] = ("ExpectTableRowCountToBeBetween", {
                "min_value": int(previous / MAX_ROW_COUNT_CHANGE), "max_value": int(previous * MAX_ROW_COUNT_CHANGE)})
    return out


def run(warehouse: Path, as_of_date: dt.date, docs_dir: Path, history_file: Path) -> list[str]:
    """Validate the marts; return the failures as one line each."""
    warnings.filterwarnings("ignore")
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    import great_expectations as gx

    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    docs_dir.mkdir(parents=True, exist_ok=True)
    context.add_data_docs_site(site_name="marts", site_config={
        "class_name": "SiteBuilder",
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
    })
    source = context.data_sources.add_pandas("warehouse")
    history = json.loads(history_file.read_text()) if history_file.exists() else {}
    selected = suites(as_of_date.replace(day=1))
    frames = {suite.mart: load(warehouse, suite.query) for suite in selected}
    counts = {mart: len(frame) for mart, frame in frames.items()}
    change = row_count_expectations(history, counts)
    failures: list[str] = []
    for suite_spec in selected:
        asset = source.add_dataframe_asset(name=suite_spec.mart)
        batch = asset.add_batch_definition_whole_dataframe(f"{suite_spec.mart}_all")
        suite = context.suites.add(gx.ExpectationSuite(name=f"marts.{suite_spec.mart}"))
        for name, kwargs in suite_spec.expectations + ([change[suite_spec.mart]] if suite_spec.mart in change else []):
            suite.add_expectation(getattr(gx.expectations, name)(**kwargs))
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=f"validate_{suite_spec.mart}", data=batch, suite=suite))
        checkpoint = context.checkpoints.add(gx.Checkpoint(
            name=f"checkpoint_{suite_spec.mart}", validation_definitions=[definition],
            actions=[gx.checkpoint.UpdateDataDocsAction(name="docs", site_names=["marts"])]))
        result = checkpoint.run(batch_parameters={"dataframe": frames[suite_spec.mart]})
        for validation in result.run_results.values():
            for outcome in validation.results:
                if not outcome.success:
                    config = outcome.expectation_config
                    column = config.kwargs.get("column", "(table)")
                    observed = (outcome.result or {}).get("observed_value",
                                                          (outcome.result or {}).get("partial_unexpected_list"))
                    failures.append(f"marts.{suite_spec.mart}.{column}: {config.type} failed (observed {observed})")
    if not failures:
        history_file.parent.mkdir(parents=True, exist_ok=True)
        history_file.write_text(json.dumps({"row_counts": counts, "as_of_date": as_of_date.isoformat()}, indent=2))
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", type=Path, default=DEFAULT_WAREHOUSE)
    parser.add_argument("--as-of-date", type=dt.date.fromisoformat,
                        default=dt.datetime.now(dt.timezone.utc).date(), help="the build's as_of_date")
    parser.add_argument("--docs-dir", type=Path, default=DEFAULT_DOCS_DIR, help="where Data Docs are written")
    parser.add_argument("--history", type=Path, default=DEFAULT_HISTORY,
                        help="row counts of the last validated build (for the row-count change check)")
    args = parser.parse_args(argv)
    if not args.warehouse.exists():
        print(f"validate_marts: warehouse {args.warehouse} not found (build it first)", file=sys.stderr)
        return 2
    failures = run(args.warehouse, args.as_of_date, args.docs_dir, args.history)
    for line in failures:
        print(f"FAIL {line}")
    print(f"Great Expectations: {'all expectations met' if not failures else f'{len(failures)} failed'}; "
          f"Data Docs in {args.docs_dir / 'index.html'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
