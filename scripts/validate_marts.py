#!/usr/bin/env python3
"""Great Expectations checkpoint over the marts of a built warehouse.

    python scripts/validate_marts.py --warehouse warehouse/subscription_metrics.duckdb

Validates what dbt tests do not express well, and renders Data Docs (HTML)
into output/data_docs/ (open index.html):

- distributions and ranges of the rates, with bounds learned from the demo
  business (seed 42, 3 years, ~1,000 paying customers) — see "Bounds" below;
- row-count change: every mart within a factor MAX_ROW_COUNT_CHANGE of the
  last validated build of the same warehouse file (kept in --history; the
  first validation of a file records the baseline);
- freshness: the dated marts reach the month (or day) of as_of_date.

Bounds. A rate computed over n customers is noisy when n is small, so a rate
of one row (a month, a segment, a snapshot) is checked against a band that
depends on its own n: the demo's highest (lowest) rate p plus (minus)
Z = 3 binomial standard errors sqrt(p (1 - p) / n), plus (minus) 1/n for
the one customer a rate can never split. With the demo's 1,000 customers the
band is p + 2 points; with the fixture's 30 it is p + 16 points; with one
customer anything goes. Medians over all months are checked against fixed
demo-learned ranges.

Exits 1 when an expectation fails, printing one line per failure naming the
mart, column, expectation and bounds, and what was observed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import shutil
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
# Standard errors of the band around a demo-learned rate (see "Bounds").
Z = 3
# Highest share of the customers at start lost by the period's end, of the demo business per period
# type (observed: 5.4 %, 12.2 %, 30.8 %); for a month it is the logo churn rate.
LOGO_CHURN_MAX = {"month": 0.06, "quarter": 0.15, "year": 0.35}
# Share of paying customers at risk per hidden-churn snapshot (demo: 6 % to 17 % past 50 customers).
AT_RISK_SHARE_MIN, AT_RISK_SHARE_MAX = 0.05, 0.20

# Exchange-rate effects of a month, as a share of starting MRR, stay within this (demo: -1.7 % to +2.6 %).
FX_SHARE_MAX = 0.05

Expectation = tuple[str, dict, str]  # (expectation class, kwargs, the rule in words)

# The waterfall identity, fx impact included.
WATERFALL_ENDING = ("starting_mrr + new_mrr + expansion_mrr + reactivation_mrr - contraction_mrr"
                    " - churned_mrr + fx_impact_mrr")
WATERFALL_CHECK: Expectation = (
    "ExpectColumnPairValuesToBeEqual", {"column_A": "waterfall_ending_mrr", "column_B": "ending_mrr"},
    "starting + new + expansion + reactivation - contraction - churned + fx impact = ending")


@dataclass
class MartSuite:
    """Expectations for one mart, over `query` (the mart plus computed band columns)."""

    mart: str
    query: str
    expectations: list[Expectation] = field(default_factory=list)


@dataclass
class Report:
    evaluated: int = 0
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def upper_band(rate: float, population: str) -> str:
    """SQL: the highest plausible value of a rate whose typical maximum is `rate`, over `population` customers."""
    return f"({rate} + {Z} * sqrt({rate} * (1 - {rate}) / nullif({population}, 0)) + 1.0 / nullif({population}, 0))"


def lower_band(rate: float, population: str) -> str:
    """SQL: the lowest plausible value of a rate whose typical minimum is `rate`, over `population` customers."""
    return f"({rate} - {Z} * sqrt({rate} * (1 - {rate}) / nullif({population}, 0)) - 1.0 / nullif({population}, 0))"


def within_band(column: str, low: str | None, high: str | None, rule: str) -> list[Expectation]:
    """Each row's `column` lies between its band columns (rows where either is null are skipped)."""
    checks: list[Expectation] = []
    for a, b in ((column, low), (high, column)):
        if a and b:
            checks.append(("ExpectColumnPairValuesAToBeGreaterThanB", {
                "column_A": a, "column_B": b, "or_equal": True, "ignore_row_if": "either_value_is_missing"}, rule))
    return checks


def reaches(column: str, value: str, what: str) -> Expectation:
    return ("ExpectColumnMaxToBeBetween", {"column": column, "min_value": value, "max_value": value},
            f"freshness: the newest {column} is {what}")


def suites(as_of_date: dt.date) -> list[MartSuite]:
    """The expectation suites with specific checks (every other mart gets the row-count checks only)."""
    month = as_of_date.replace(day=1).isoformat()
    logo_band = "case period_type " + " ".join(
        f"when '{period}' then {upper_band(rate, 'customers_start')}" for period, rate in LOGO_CHURN_MAX.items()
    ) + " end"
    return [
        MartSuite("mrr_movements", f"""
            select
                *,
                {upper_band(LOGO_CHURN_MAX['month'], 'customers_start')} as logo_churn_rate_upper_band,
                {WATERFALL_ENDING} as waterfall_ending_mrr,
                fx_impact_mrr / nullif(starting_mrr, 0) as fx_impact_share
            from marts.mrr_movements""", [
            reaches("month", month, "the month of as_of_date"),
            WATERFALL_CHECK,
            ("ExpectColumnValuesToBeBetween", {"column": "fx_impact_share", "min_value": -FX_SHARE_MAX,
                                               "max_value": FX_SHARE_MAX},
             f"exchange rates move a month's MRR by at most {FX_SHARE_MAX:.0%} of starting MRR"),
            *within_band("logo_churn_rate", None, "logo_churn_rate_upper_band",
                         f"a month's logo churn <= {LOGO_CHURN_MAX['month']:.0%} + {Z} s.e. + 1/n over its customers"),
            ("ExpectColumnMedianToBeBetween", {"column": "gross_mrr_churn_rate", "min_value": 0.0, "max_value": 0.10},
             "median monthly gross MRR churn (demo 2.3 %)"),
            ("ExpectColumnMedianToBeBetween", {"column": "gross_revenue_retention", "min_value": 0.90,
                                               "max_value": 1.0}, "median monthly GRR (demo 97.7 %)"),
            ("ExpectColumnMedianToBeBetween", {"column": "net_revenue_retention", "min_value": 0.90,
                                               "max_value": 1.15}, "median monthly NRR (demo 99.7 %)"),
            ("ExpectColumnMedianToBeBetween", {"column": "arpa", "min_value": 100, "max_value": 1000},
             "median monthly ARPA (demo 320)"),
        ]),
        MartSuite("mrr_movements_by_segment", f"""
            select *, {WATERFALL_ENDING} as waterfall_ending_mrr
            from marts.mrr_movements_by_segment""", [
            reaches("month", month, "the month of as_of_date"),
            WATERFALL_CHECK,
        ]),
        # A month's logo churn is the share of its customers at start lost by its end. Over a quarter or
        # a year logo churn also counts churns of customers gained during the period (it can exceed 1 in
        # a fast-growing year), so the band applies there to the share of the customers at start who do
        # not pay at the end, 1 - retained_customers_rate (for a month the two are equal).
        MartSuite("churn_summary", f"""
            select
                *,
                case when period_type = 'month' then {logo_band} end as logo_churn_rate_upper_band,
                1 - retained_customers_rate as start_customers_lost_rate,
                {logo_band} as start_customers_lost_rate_upper_band
            from marts.churn_summary""", [
            reaches("period_start", month, "the month of as_of_date"),
            ("ExpectColumnDistinctValuesToEqualSet", {"column": "period_type", "value_set": list(LOGO_CHURN_MAX)},
             "every period type is there"),
            *within_band("logo_churn_rate", None, "logo_churn_rate_upper_band",
                         f"a month's logo churn <= {LOGO_CHURN_MAX['month']:.0%} + {Z} s.e. + 1/n over its customers"),
            *within_band("start_customers_lost_rate", None, "start_customers_lost_rate_upper_band",
                         "a period's share of customers at start not paying at its end <= the demo's highest for "
                         f"its period type ({', '.join(f'{k} {v:.0%}' for k, v in LOGO_CHURN_MAX.items())}) "
                         f"+ {Z} s.e. + 1/n"),
        ]),
        MartSuite("fct_mrr", "select *, case when mrr > 0 then mrr end as paying_mrr from marts.fct_mrr", [
            reaches("month", month, "the month of as_of_date"),
            ("ExpectColumnMedianToBeBetween", {"column": "paying_mrr", "min_value": 20, "max_value": 1000},
             "median MRR of a paying customer-month (demo 87)"),
            ("ExpectColumnMaxToBeBetween", {"column": "mrr", "min_value": 0, "max_value": 100000},
             "no customer pays more than 100,000 a month (demo max 6,395)"),
        ]),
        MartSuite("hidden_churn_risk", f"""
            with shares as (
                select
                    *,
                    avg(case when is_at_risk then 1.0 else 0.0 end) over (partition by snapshot_date) as at_risk_share,
                    count(*) over (partition by snapshot_date) as snapshot_customers
                from marts.hidden_churn_risk
            )
            select
                *,
                {lower_band(AT_RISK_SHARE_MIN, 'snapshot_customers')} as at_risk_share_lower_band,
                {upper_band(AT_RISK_SHARE_MAX, 'snapshot_customers')} as at_risk_share_upper_band
            from shares""", [
            reaches("snapshot_date", as_of_date.isoformat(), "as_of_date"),
            *within_band("at_risk_share", "at_risk_share_lower_band", "at_risk_share_upper_band",
                         f"share of a snapshot's customers at risk within {AT_RISK_SHARE_MIN:.0%}-"
                         f"{AT_RISK_SHARE_MAX:.0%} -/+ {Z} s.e. and 1/n"),
        ]),
        MartSuite("cohort_retention", "select * from marts.cohort_retention", [
            reaches("month", month, "the month of as_of_date"),
        ]),
    ]


def load(warehouse: Path, query: str) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        frame = con.execute(query).df()
    # Decimals as floats and dates as ISO text, so that every expectation can compare them.
    for column in frame.columns:
        values = frame[column].dropna()
        if frame[column].dtype == object and len(values) and hasattr(values.iloc[0], "as_tuple"):
            frame[column] = frame[column].astype(float)
        elif "datetime" in str(frame[column].dtype) or (len(values) and isinstance(values.iloc[0], dt.date)):
            frame[column] = pd.to_datetime(frame[column]).dt.strftime("%Y-%m-%d")
    return frame


def marts_in(warehouse: Path) -> list[str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return [row[0] for row in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' order by 1").fetchall()]


def row_count_expectations(previous: dict[str, int], mart: str) -> list[Expectation]:
    """At least one row, and within MAX_ROW_COUNT_CHANGE of the last validated build."""
    checks: list[Expectation] = [("ExpectTableRowCountToBeBetween", {"min_value": 1}, "the mart is not empty")]
    if previous.get(mart):
        checks.append(("ExpectTableRowCountToBeBetween", {
            "min_value": int(previous[mart] / MAX_ROW_COUNT_CHANGE),
            "max_value": int(previous[mart] * MAX_ROW_COUNT_CHANGE)},
            f"row count within x{MAX_ROW_COUNT_CHANGE:g} of the last validated build ({previous[mart]})"))
    return checks


def short(value):
    """A value of a failure message, rounded and without numpy type names."""
    if isinstance(value, (list, tuple)):
        return tuple(short(item) for item in value)
    return round(float(value), 4) if isinstance(value, float) else value


def describe_failure(mart: str, config, result: dict) -> str:
    """One line: mart.column, expectation, bounds, what was observed, the rule."""
    kwargs = config.kwargs
    if "column_A" in kwargs:
        relation = "=" if config.type == "expect_column_pair_values_to_be_equal" else "<="
        column = f"{kwargs['column_B']} {relation} {kwargs['column_A']}"
    else:
        column = kwargs.get("column", "(row count)")
    bounds = ", ".join(f"{key}={kwargs[key]}" for key in ("min_value", "max_value", "value_set")
                       if kwargs.get(key) is not None)
    if "observed_value" in result:
        observed = f"observed {result['observed_value']}"
    else:
        examples = [short(value) for value in result.get("partial_unexpected_list", [])[:3]]
        observed = f"{result.get('unexpected_count')} of {result.get('element_count')} rows break it, e.g. {examples}"
    return f"marts.{mart}.{column}: {config.type}{f' [{bounds}]' if bounds else ''} failed, {observed}" + (
        f" ({config.notes})" if config.notes else "")


def clear_docs(docs_dir: Path) -> None:
    """Remove the Data Docs of an earlier run (only what GE writes there)."""
    for name in ("index.html", "validations", "expectations", "static"):
        path = docs_dir / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def run(warehouse: Path, as_of_date: dt.date, docs_dir: Path, history_file: Path) -> Report:
    """Validate the marts; the report lists each failure as one line."""
    warnings.filterwarnings("ignore")
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    docs_dir.mkdir(parents=True, exist_ok=True)
    clear_docs(docs_dir)
    context.add_data_docs_site(site_name="marts", site_config={
        "class_name": "SiteBuilder",
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
    })
    source = context.data_sources.add_pandas("warehouse")
    key = str(warehouse.resolve())
    history = json.loads(history_file.read_text()) if history_file.exists() else {}
    previous = history.get(key, {}).get("row_counts", {})
    report = Report()
    if not previous:
        report.notes.append(f"row-count change: first validated build of {warehouse.name}, baseline recorded")

    specific = {suite.mart: suite for suite in suites(as_of_date)}
    counts: dict[str, int] = {}
    for mart in marts_in(warehouse):
        spec = specific.get(mart, MartSuite(mart, f"select * from marts.{mart}"))
        frame = load(warehouse, spec.query)
        counts[mart] = len(frame)
        asset = source.add_dataframe_asset(name=mart)
        batch = asset.add_batch_definition_whole_dataframe(f"{mart}_all")
        suite = context.suites.add(gx.ExpectationSuite(name=f"marts.{mart}"))
        for name, kwargs, rule in row_count_expectations(previous, mart) + spec.expectations:
            suite.add_expectation(getattr(gx.expectations, name)(**kwargs, notes=rule))
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=f"validate_{mart}", data=batch, suite=suite))
        checkpoint = context.checkpoints.add(gx.Checkpoint(
            name=f"checkpoint_{mart}", validation_definitions=[definition],
            actions=[gx.checkpoint.UpdateDataDocsAction(name="docs", site_names=["marts"])]))
        result = checkpoint.run(batch_parameters={"dataframe": frame})
        for validation in result.run_results.values():
            for outcome in validation.results:
                report.evaluated += 1
                if not outcome.success:
                    report.failures.append(describe_failure(mart, outcome.expectation_config, outcome.result or {}))
    if not report.failures:
        history[key] = {"row_counts": counts, "as_of_date": as_of_date.isoformat()}
        history_file.parent.mkdir(parents=True, exist_ok=True)
        history_file.write_text(json.dumps(history, indent=2, sort_keys=True))
    return report


def default_as_of(warehouse: Path) -> dt.date:
    """The as_of_date the warehouse was published for (audit.publish_info), else today (UTC)."""
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            row = con.execute("select max(as_of_date) from audit.publish_info").fetchone()
        if row and row[0]:
            return row[0]
    except duckdb.Error:
        pass
    return dt.datetime.now(dt.timezone.utc).date()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", type=Path, default=DEFAULT_WAREHOUSE)
    parser.add_argument("--as-of-date", type=dt.date.fromisoformat,
                        help="the build's as_of_date (default: the published one, else today)")
    parser.add_argument("--docs-dir", type=Path, default=DEFAULT_DOCS_DIR, help="where Data Docs are written")
    parser.add_argument("--history", type=Path, default=DEFAULT_HISTORY,
                        help="row counts of the last validated build per warehouse (for the row-count change)")
    args = parser.parse_args(argv)
    if not args.warehouse.exists():
        print(f"validate_marts: warehouse {args.warehouse} not found (build it first)", file=sys.stderr)
        return 2
    report = run(args.warehouse, args.as_of_date or default_as_of(args.warehouse), args.docs_dir, args.history)
    for line in report.notes:
        print(line)
    for line in report.failures:
        print(f"FAIL {line}")
    print(f"Great Expectations: {report.evaluated} expectations, {len(report.failures)} failed; "
          f"Data Docs in {args.docs_dir / 'index.html'}")
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
