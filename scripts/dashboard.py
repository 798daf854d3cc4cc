#!/usr/bin/env python3
"""Render the subscription-metrics dashboard: one self-contained HTML file.

    python scripts/dashboard.py                                  # default warehouse -> output/dashboard.html
    python scripts/dashboard.py --warehouse /path/wh.duckdb --out /tmp/dash.html --as-of-date 2026-10-31

The file embeds its data (read from the `marts` schema over a read-only
connection), its styles and its charts (hand-written SVG drawn by inline
JavaScript): it opens offline, from disk, with no network access.

Every chart is filled from one mart. A mart that is not in the warehouse
leaves its chart as a labelled placeholder instead of failing the page.
The headline tiles show the latest month exactly as the marts hold it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import os
import sys
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

import duckdb

REPO_ROOT = Path(__file__).resolve().parents[1]


def default_warehouse() -> Path:
    """$WAREHOUSE_PATH (relative to the repo root, like dbt) or the default file."""
    configured = os.environ.get("WAREHOUSE_PATH")
    if not configured:
        return REPO_ROOT / "warehouse" / "subscription_metrics.duckdb"
    path = Path(configured).expanduser()
    return path if path.is_absolute() else REPO_ROOT / path


DEFAULT_OUTPUT = REPO_ROOT / "output" / "dashboard.html"
MARTS_SCHEMA = "marts"

Row = dict[str, Any]


# ---------------------------------------------------------------------------
# Reading the marts
# ---------------------------------------------------------------------------


def fetch(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[Row]:
    cursor = con.execute(sql, params or [])
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, values)) for values in cursor.fetchall()]


def existing_marts(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute(
        "select table_name from information_schema.tables where table_schema = ? and table_catalog = current_database()",
        [MARTS_SCHEMA],
    ).fetchall()
    return {name for (name,) in rows}


def jsonable(value: Any) -> Any:
    """Chart data as plain JSON (money as numbers, dates as ISO text)."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    if isinstance(value, float) and value != value:  # NaN
        return None
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    return value


def columnar(rows: list[Row], columns: list[str]) -> dict[str, list[Any]]:
    return {column: [jsonable(row.get(column)) for row in rows] for column in columns}


@dataclass
class Section:
    """The data of one chart and the marts it is drawn from."""

    chart_id: str
    marts: list[str]
    loader: Callable[[duckdb.DuckDBPyConnection], dict[str, Any]]
    status: str = "pending"
    message: str = ""
    data: dict[str, Any] = field(default_factory=dict)


def load_mrr_trend(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    totals = fetch(con, f"select month, ending_mrr, arr, customers_end from {MARTS_SCHEMA}.mrr_movements order by month")
    by_segment = fetch(
        con,
        f"select month, segment, sum(ending_mrr) as mrr from {MARTS_SCHEMA}.mrr_movements_by_segment "
        "group by month, segment order by month, segment",
    )
    months = [row["month"] for row in totals]
    segments = sorted({row["segment"] for row in by_segment})
    lookup = {(row["month"], row["segment"]): row["mrr"] for row in by_segment}
    return {
        "months": jsonable(months),
        "total": [jsonable(row["ending_mrr"]) for row in totals],
        "customers": [row["customers_end"] for row in totals],
        "segments": [
            {"name": segment, "values": [jsonable(lookup.get((month, segment), 0)) for month in months]}
            for segment in segments
        ],
    }


MOVEMENT_COLUMNS = [
    "month", "starting_mrr", "new_mrr", "expansion_mrr", "reactivation_mrr", "contraction_mrr",
    "churned_mrr", "fx_impact_mrr", "ending_mrr", "net_new_mrr",
]


def load_movements(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    rows = fetch(con, f"select {', '.join(MOVEMENT_COLUMNS)} from {MARTS_SCHEMA}.mrr_movements order by month")
    return columnar(rows, MOVEMENT_COLUMNS)


def load_bridge(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    rows = fetch(
        con,
        f"select {', '.join(MOVEMENT_COLUMNS)} from {MARTS_SCHEMA}.mrr_movements order by month desc limit 1",
    )
    return jsonable(rows[0]) if rows else {}


def load_churn_rates(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    rows = fetch(
        con,
        f"""
        select
            movements.month,
            churn.logo_churn_rate,
            churn.customer_retention_rate,
            churn.churned_customers,
            churn.voluntary_churned_customers,
            churn.involuntary_churned_customers,
            movements.gross_mrr_churn_rate,
            movements.net_mrr_churn_rate
        from {MARTS_SCHEMA}.mrr_movements as movements
        left join {MARTS_SCHEMA}.churn_summary as churn
            on churn.period_type = 'month' and churn.segment = 'all' and churn.period_start = movements.month
        order by movements.month
        """,
    )
    return columnar(rows, list(rows[0].keys()) if rows else ["month"])


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [row["column_name"] for row in fetch(
        con,
        "select column_name from information_schema.columns "
        "where table_schema = ? and table_name = ? and table_catalog = current_database() order by ordinal_position",
        [MARTS_SCHEMA, table],
    )]


def load_cohorts(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    segments = [row["segment"] for row in fetch(
        con, f"select distinct segment from {MARTS_SCHEMA}.cohort_retention order by segment")]
    if "all" in segments:
        rows = fetch(
            con,
            f"""
            select cohort_month, period, cohort_customers, active_customers, logo_retention_rate,
                surviving_customers, survival_rate, mrr, revenue_retention_rate
            from {MARTS_SCHEMA}.cohort_retention
            where segment = 'all'
            order by cohort_month, period
            """,
        )
    else:
        # Without an `all` row set, the whole business is the sum of the segments.
        columns = table_columns(con, "cohort_retention")
        revenue = ("sum(mrr) / nullif(sum(cohort_starting_mrr), 0)" if "cohort_starting_mrr" in columns
                   else "cast(null as double)")
        rows = fetch(
            con,
            f"""
            select
                cohort_month,
                period,
                sum(cohort_customers) as cohort_customers,
                sum(active_customers) as active_customers,
                sum(active_customers) / nullif(sum(cohort_customers), 0) as logo_retention_rate,
                sum(mrr) as mrr,
                {revenue} as revenue_retention_rate
            from {MARTS_SCHEMA}.cohort_retention
            group by cohort_month, period
            order by cohort_month, period
            """,
        )
    return {"segment": "all", "cells": [jsonable(row) for row in rows]}


def load_projection(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    rows = fetch(
        con,
        f"select segment, period, alpha, beta, actual_survival, fitted_survival, is_projection "
        f"from {MARTS_SCHEMA}.cohort_retention_projection order by segment, period",
    )
    groups: dict[str, dict[str, Any]] = {}
    for row in rows:
        group = groups.setdefault(row["segment"], {
            "segment": row["segment"], "alpha": jsonable(row["alpha"]), "beta": jsonable(row["beta"]),
            "period": [], "actual": [], "fitted": [], "projection": [],
        })
        group["period"].append(row["period"])
        group["actual"].append(jsonable(row["actual_survival"]))
        group["fitted"].append(jsonable(row["fitted_survival"]))
        group["projection"].append(bool(row["is_projection"]))
    for group in groups.values():
        group["expected_lifetime"] = expected_lifetime(group["alpha"], group["beta"])
        survival = dict(zip(group["period"], group["fitted"]))
        group["survival_12"] = survival.get(12)
    ordered = sorted(groups.values(), key=lambda group: (group["segment"] != "all", group["segment"]))
    return {"groups": ordered}


def expected_lifetime(alpha: Any, beta: Any) -> float | None:
    """Mean lifetime in periods (months) of a new customer under a shifted-beta-geometric fit:
    the sum of the survival curve, (alpha + beta - 1) / (alpha - 1); no finite mean when alpha <= 1."""
    if alpha is None or beta is None or float(alpha) <= 1:
        return None
    return (float(alpha) + float(beta) - 1) / (float(alpha) - 1)


AT_RISK_TABLE_ROWS = 12


def load_at_risk(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    latest = con.execute(f"select max(snapshot_date) from {MARTS_SCHEMA}.hidden_churn_risk").fetchone()[0]
    if latest is None:
        return {}
    tiers = fetch(
        con,
        f"""
        select risk_tier, count(*) as customers, sum(mrr) as mrr, sum(mrr_at_risk) as mrr_at_risk
        from {MARTS_SCHEMA}.hidden_churn_risk
        where snapshot_date = ?
        group by risk_tier
        """,
        [latest],
    )
    by_segment = fetch(
        con,
        f"""
        select segment, sum(mrr) as mrr, sum(mrr_at_risk) as mrr_at_risk,
            count(*) filter (where is_at_risk) as at_risk_customers, count(*) as customers
        from {MARTS_SCHEMA}.hidden_churn_risk
        where snapshot_date = ?
        group by segment
        order by segment
        """,
        [latest],
    )
    by_segment_tier = fetch(
        con,
        f"""
        select segment, risk_tier, count(*) as customers, sum(mrr_at_risk) as mrr_at_risk
        from {MARTS_SCHEMA}.hidden_churn_risk
        where snapshot_date = ? and is_at_risk
        group by segment, risk_tier
        """,
        [latest],
    )
    customers = fetch(
        con,
        f"""
        select customer_id, segment, plan_id, mrr, risk_score, risk_tier, reasons, mrr_at_risk,
            days_since_last_activity, seat_utilisation
        from {MARTS_SCHEMA}.hidden_churn_risk
        where snapshot_date = ? and is_at_risk
        order by mrr_at_risk desc, risk_score desc, customer_id
        """,
        [latest],
    )
    trend = fetch(
        con,
        f"""
        select snapshot_date, sum(mrr_at_risk) as mrr_at_risk, count(*) filter (where is_at_risk) as at_risk_customers
        from {MARTS_SCHEMA}.hidden_churn_risk
        group by snapshot_date
        order by snapshot_date
        """,
    )
    data: dict[str, Any] = {
        "snapshot_date": jsonable(latest),
        "tiers": jsonable(tiers),
        "segments": jsonable(by_segment),
        "by_segment_tier": jsonable(by_segment_tier),
        "at_risk_customers": len(customers),
        "mrr_at_risk": jsonable(sum((row["mrr_at_risk"] for row in customers), Decimal(0))),
        "top": jsonable(customers[:AT_RISK_TABLE_ROWS]),
        "trend": columnar(trend, ["snapshot_date", "mrr_at_risk", "at_risk_customers"]),
    }
    if "hidden_churn_backtest" in existing_marts(con):
        backtest = fetch(
            con,
            f"""
            select snapshot_date, horizon_days, precision, recall, lift, base_churn_rate
            from {MARTS_SCHEMA}.hidden_churn_backtest
            where segment = 'all'
            order by snapshot_date desc
            limit 1
            """,
        )
        if backtest:
            data["backtest"] = jsonable(backtest[0])
    return data


USAGE_MEASURES = ["avg_logins", "avg_session_minutes", "avg_valuable_actions", "avg_active_users", "share_active"]


def load_usage(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    rows = fetch(
        con,
        f"select cohort, relative_week, customers, {', '.join(USAGE_MEASURES)} "
        f"from {MARTS_SCHEMA}.usage_before_churn order by cohort, relative_week",
    )
    cohorts: dict[str, dict[str, list[Any]]] = {}
    for row in rows:
        cohort = cohorts.setdefault(row["cohort"], {"relative_week": [], "customers": [],
                                                    **{measure: [] for measure in USAGE_MEASURES}})
        cohort["relative_week"].append(row["relative_week"])
        cohort["customers"].append(row["customers"])
        for measure in USAGE_MEASURES:
            cohort[measure].append(jsonable(row[measure]))
    return {"cohorts": cohorts}


CLV_COLUMNS = [
    "segment", "acquisition_channel", "active_customers", "new_customers", "arpa", "monthly_logo_churn_rate",
    "formula_ltv", "sbg_ltv", "cac", "ltv_to_cac", "sbg_ltv_to_cac", "cac_payback_months", "marketing_spend",
]


def load_clv(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    rows = fetch(
        con,
        f"""
        select {', '.join(CLV_COLUMNS)}
        from {MARTS_SCHEMA}.clv_by_segment
        order by segment = 'all', segment, acquisition_channel = 'all' desc, acquisition_channel
        """,
    )
    return {"rows": jsonable(rows)}


def load_forecast(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """The whole business: the last 12 months of MRR, the 12-month forecast with its band, and the
    backtest's MAPE per horizon beside the two naive forecasts."""
    history = fetch(
        con,
        f"select month, ending_mrr from {MARTS_SCHEMA}.mrr_movements order by month desc limit 12",
    )
    forecast = fetch(
        con,
        f"select forecast_month, months_ahead, starting_mrr, expected_mrr, expected_mrr_low, expected_mrr_high, "
        f"expected_customers, expected_churned_mrr, expected_new_mrr "
        f"from {MARTS_SCHEMA}.mrr_forecast where segment = 'all' order by months_ahead",
    )
    backtest = fetch(
        con,
        f"select months_ahead, origins, forecast_mape, last_value_mape, trend_mape, beats_naive_forecasts "
        f"from {MARTS_SCHEMA}.mrr_forecast_backtest where segment = 'all' order by months_ahead",
    )
    return {"history": jsonable(list(reversed(history))), "forecast": jsonable(forecast), "backtest": jsonable(backtest)}


SECTIONS: list[Section] = [
    Section("mrr_trend", ["mrr_movements", "mrr_movements_by_segment"], load_mrr_trend),
    Section("mrr_bridge", ["mrr_movements"], load_bridge),
    Section("mrr_movements", ["mrr_movements"], load_movements),
    Section("churn_rates", ["mrr_movements", "churn_summary"], load_churn_rates),
    Section("cohort_heatmap", ["cohort_retention"], load_cohorts),
    Section("sbg_projection", ["cohort_retention_projection"], load_projection),
    Section("at_risk", ["hidden_churn_risk"], load_at_risk),
    Section("usage_before_churn", ["usage_before_churn"], load_usage),
    Section("clv_by_segment", ["clv_by_segment"], load_clv),
    Section("mrr_forecast", ["mrr_movements", "mrr_forecast", "mrr_forecast_backtest"], load_forecast),
]

# Marts the dashboard reads (declared in models/exposures.yml too).
DASHBOARD_MARTS = sorted({mart for section in SECTIONS for mart in section.marts}
                         | {"hidden_churn_backtest", "customer_lifetime_value", "daily_mrr"})


# ---------------------------------------------------------------------------
# Headline tiles: the latest month, exactly as the marts hold it
# ---------------------------------------------------------------------------


@dataclass
class Tile:
    key: str
    label: str
    value: Any
    kind: str  # money | percent | count | ratio
    source: str
    previous: Any = None
    hint: str = ""


def load_tiles(con: duckdb.DuckDBPyConnection, marts: set[str],
               report_month: dt.date | None = None) -> tuple[list[Tile], Row]:
    """The headline tiles for `report_month` (default: the latest month), each
    with the month before it for comparison."""
    tiles: list[Tile] = []
    latest: Row = {}
    if "mrr_movements" in marts:
        rows = fetch(con, f"select * from {MARTS_SCHEMA}.mrr_movements where month <= coalesce(?, month) "
                          "order by month desc limit 2", [report_month])
        if rows:
            latest = rows[0]
            previous = rows[1] if len(rows) > 1 else {}
            source = "mrr_movements"
            for key, label, kind, hint in [
                ("ending_mrr", "MRR", "money", "monthly recurring revenue at month end"),
                ("arr", "ARR", "money", "MRR x 12"),
                ("net_new_mrr", "Net new MRR", "money", "new + expansion + reactivation - contraction - churned + fx impact"),
                ("customers_end", "Paying customers", "count", "customers with MRR > 0 at month end"),
                ("arpa", "ARPA", "money", "MRR / paying customers"),
                ("net_revenue_retention", "NRR", "percent", "(start + expansion + reactivation - contraction - churned) / start"),
                ("gross_revenue_retention", "GRR", "percent", "(start - contraction - churned) / start"),
                ("gross_mrr_churn_rate", "Gross MRR churn", "percent", "(churned + contraction) / starting MRR"),
                ("quick_ratio", "Quick ratio", "ratio", "(new + expansion + reactivation) / (churned + contraction)"),
            ]:
                tiles.append(Tile(key, label, latest.get(key), kind, source, previous.get(key), hint))
    if "churn_summary" in marts and latest:
        churn = fetch(
            con,
            f"select logo_churn_rate, churned_customers from {MARTS_SCHEMA}.churn_summary "
            "where period_type = 'month' and segment = 'all' and period_start <= ? "
            "order by period_start desc limit 2",
            [latest["month"]],
        )
        if churn:
            tiles.append(Tile("logo_churn_rate", "Logo churn", churn[0]["logo_churn_rate"], "percent", "churn_summary",
                              churn[1]["logo_churn_rate"] if len(churn) > 1 else None,
                              f"{churn[0]['churned_customers']} customers lost / customers at start"))
    if "hidden_churn_risk" in marts:
        risk = fetch(
            con,
            f"""
            select snapshot_date, sum(mrr_at_risk) as mrr_at_risk, count(*) filter (where is_at_risk) as at_risk
            from {MARTS_SCHEMA}.hidden_churn_risk
            where snapshot_date <= coalesce(?, snapshot_date)
            group by snapshot_date
            order by snapshot_date desc
            limit 2
            """,
            [month_end(latest["month"]) if latest and report_month is not None else None],
        )
        if risk:
            tiles.append(Tile("mrr_at_risk", "MRR at risk", risk[0]["mrr_at_risk"], "money", "hidden_churn_risk",
                              risk[1]["mrr_at_risk"] if len(risk) > 1 else None,
                              f"{risk[0]['at_risk']} paying customers whose usage is fading"))
    if "customer_lifetime_value" in marts:
        clv = fetch(
            con,
            f"select avg(projected_clv) as clv, count(*) as customers "
            f"from {MARTS_SCHEMA}.customer_lifetime_value where is_active",
        )[0]
        tiles.append(Tile("active_customer_clv", "CLV", clv["clv"], "money", "customer_lifetime_value", None,
                          f"average projected lifetime value (sBG, discounted) of the {clv['customers']} paying customers"))
    if "clv_by_segment" in marts:
        unit = fetch(
            con,
            f"select ltv_to_cac, cac, cac_payback_months from {MARTS_SCHEMA}.clv_by_segment "
            "where segment = 'all' and acquisition_channel = 'all'",
        )
        if unit:
            tiles.append(Tile("ltv_to_cac", "LTV:CAC", unit[0]["ltv_to_cac"], "multiple", "clv_by_segment", None,
                              "formula LTV / CAC of the whole business, trailing 12 months"))
    return tiles, latest


def format_value(value: Any, kind: str, currency: str) -> str:
    """How a tile shows its value (the numbers test reads it back)."""
    if value is None:
        return "n/a"
    if kind == "money":
        return f"{currency} {Decimal(str(value)).quantize(Decimal('0.01')):,}"
    if kind == "percent":
        return f"{100 * float(value):.1f}%"
    if kind == "ratio":
        return f"{float(value):.2f}"
    if kind == "multiple":
        return f"{float(value):.1f}x"
    return f"{int(value):,}"


def same_days_last_month(as_of_day: dt.date) -> tuple[dt.date, dt.date]:
    """(first, last) day of the previous month that match days 1..D of
    `as_of_day`'s month; the last day is clipped to that month's length
    (as of 31 March: 1-28 February)."""
    last_month_end = as_of_day.replace(day=1) - dt.timedelta(days=1)
    return last_month_end.replace(day=1), last_month_end.replace(day=min(as_of_day.day, last_month_end.day))


def load_month_to_date_tiles(con: duckdb.DuckDBPyConnection, as_of_day: dt.date) -> list[Tile]:
    """Like for like: the month so far (days 1..D) against the same days of
    the month before, from daily_mrr (the business's MRR and its movements on
    every day). Empty when the mart is missing or does not reach `as_of_day`."""
    since, until = same_days_last_month(as_of_day)
    rows = fetch(
        con,
        f"""
        select
            case when mrr_date >= ? then 'now' else 'before' end as period,
            max(case when mrr_date in (?, ?) then mrr end) as mrr,
            max(case when mrr_date in (?, ?) then customers end) as customers,
            sum(new_mrr) as new_mrr,
            sum(churned_mrr) as churned_mrr,
            sum(mrr_change) as net_new_mrr,
            count(*) as days
        from {MARTS_SCHEMA}.daily_mrr
        where segment = 'all'
          and (mrr_date between ? and ? or mrr_date between ? and ?)
        group by 1
        """,
        [as_of_day.replace(day=1), as_of_day, until, as_of_day, until,
         as_of_day.replace(day=1), as_of_day, since, until],
    )
    periods = {row["period"]: row for row in rows}
    now, before = periods.get("now"), periods.get("before", {})
    if not now or now["days"] != as_of_day.day:
        return []
    hint = (f"{short_day(as_of_day.replace(day=1))}-{as_of_day.day} against "
            f"{short_day(since)}-{until.day}, the same days of the month before")
    return [
        Tile("mtd_mrr", "MRR today", now["mrr"], "money", "daily_mrr", before.get("mrr"),
             f"MRR at the end of {as_of_day.isoformat()} against {until.isoformat()}"),
        Tile("mtd_customers", "Paying customers today", now["customers"], "count", "daily_mrr",
             before.get("customers"), f"customers with MRR on {as_of_day.isoformat()} against {until.isoformat()}"),
        Tile("mtd_new_mrr", "New MRR to date", now["new_mrr"], "money", "daily_mrr", before.get("new_mrr"), hint),
        Tile("mtd_churned_mrr", "Churned MRR to date", now["churned_mrr"], "money", "daily_mrr",
             before.get("churned_mrr"), hint),
        Tile("mtd_net_new_mrr", "Net new MRR to date", now["net_new_mrr"], "money", "daily_mrr",
             before.get("net_new_mrr"), hint),
    ]


def short_day(day: dt.date) -> str:
    return day.strftime("%b ") + str(day.day)


def month_end(month: Any) -> dt.date:
    """The last day of the month that starts on (or contains) `month`."""
    day = month if isinstance(month, dt.date) else dt.date.fromisoformat(str(month)[:10])
    following = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return following - dt.timedelta(days=1)


def report_month_for(months: list[dt.date], as_of: str) -> tuple[dt.date | None, dt.date | None]:
    """(the month the tiles show, the partial month left out or None).

    The tiles show the latest complete month, the last one whose last day is
    on or before `as_of`: a month to date (5 days of December) against a whole
    month (November) would show every flow as a collapse. When no month is
    complete yet, the only month there is."""
    if not months:
        return None, None
    latest = max(months)
    try:
        as_of_day = dt.date.fromisoformat(as_of)
    except ValueError:
        return latest, None
    complete = [month for month in months if month_end(month) <= as_of_day]
    if not complete:
        return latest, None
    shown = max(complete)
    return shown, (latest if latest > shown else None)


def short_month(month: Any) -> str:
    day = month if isinstance(month, dt.date) else dt.date.fromisoformat(str(month)[:10])
    return day.strftime("%b %Y")


def change_text(tile: Tile, versus: str = "vs last month") -> tuple[str, str]:
    """The change against the previous month and whether it is good news."""
    if tile.value is None or tile.previous is None:
        return "", "flat"
    current, previous = float(tile.value), float(tile.previous)
    delta = current - previous
    lower_is_better = tile.key in {"gross_mrr_churn_rate", "logo_churn_rate", "mrr_at_risk", "mtd_churned_mrr"}
    if abs(delta) < 1e-12:
        return f"no change {versus}", "flat"
    good = (delta < 0) if lower_is_better else (delta > 0)
    mood = "good" if good else "bad"
    arrow = "▲" if delta > 0 else "▼"
    if tile.kind == "percent":
        return f"{arrow} {abs(delta) * 100:.1f} pts {versus}", mood
    if tile.kind == "ratio":
        return f"{arrow} {abs(delta):.2f} {versus}", mood
    if previous:
        return f"{arrow} {abs(delta) / abs(previous) * 100:.1f}% {versus}", mood
    return f"{arrow} {versus}", mood


def render_tiles(tiles: list[Tile], currency: str, versus: str = "vs last month") -> str:
    parts = []
    for tile in tiles:
        shown = format_value(tile.value, tile.kind, currency)
        change, mood = change_text(tile, versus)
        shown_html = html.escape(shown)
        if tile.kind == "money" and shown.startswith(currency + " "):
            # The currency code small, the amount large: same text, easier to read.
            shown_html = f'<span class="cur">{html.escape(currency)}</span> {html.escape(shown[len(currency) + 1:])}'
        raw = "" if tile.value is None else str(tile.value)
        parts.append(
            f'<div class="tile" data-metric="{html.escape(tile.key)}" data-value="{html.escape(raw)}" '
            f'data-kind="{tile.kind}" data-source="{html.escape(tile.source)}" title="{html.escape(tile.hint)}">'
            f'<div class="tile-label">{html.escape(tile.label)}</div>'
            f'<div class="tile-value">{shown_html}</div>'
            f'<div class="tile-change {mood}">{html.escape(change)}</div>'
            "</div>"
        )
    return "\n".join(parts)


# ---------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------

CARDS: list[tuple[str, str, str, str]] = [
    # (chart id, title, subtitle with units, css class); the page is a two-column grid.
    ("mrr_trend", "MRR trend", "Monthly recurring revenue at each month end, stacked by segment ({cur})", "wide"),
    ("mrr_bridge", "MRR bridge — {month_label}", "From starting to ending MRR of the latest month ({cur})", ""),
    ("mrr_movements", "Monthly MRR movements",
     "Gains above zero, losses below, net new MRR as the line ({cur} per month)", ""),
    ("churn_rates", "Customer and revenue churn rates", "Share of customers / of starting MRR lost each month (%)", ""),
    ("usage_before_churn", "Usage before churn",
     "Average weekly usage per customer in the weeks before churn, vs retained and new customers", ""),
    ("at_risk", "Hidden churn: paying customers at risk",
     "Customers who pay but whose usage is fading: MRR at risk by segment and tier ({cur}), and who they are", "wide"),
    ("cohort_heatmap", "Cohort retention",
     "Share of each signup cohort still paying, by months since its first paid month (%)", "wide"),
    ("sbg_projection", "Retention projection (sBG)",
     "Share of a cohort surviving by period: actual vs shifted-beta-geometric fit and projection (%)", ""),
    ("clv_by_segment", "CLV and LTV:CAC by segment and channel",
     "Lifetime value vs acquisition cost of a new customer ({cur}), trailing 12 months", ""),
    ("mrr_forecast", "MRR forecast, next 12 months",
     "Expected MRR with its 95% band, and how far off the same forecast was in the past ({cur})", ""),
]

#: The page's styles and script live beside this file, as what they are; render_html inlines them.
STYLE_FILE = Path(__file__).resolve().parent / "dashboard.css"
SCRIPT_FILE = Path(__file__).resolve().parent / "dashboard.js"


def inline_asset(path: Path) -> str:
    """The text of a CSS / JS file, safe to put inside <style> / <script>."""
    text = path.read_text(encoding="utf-8")
    return text.replace("</", "<\\/") if path.suffix == ".js" else text.replace("</style", "<\\/style")


def month_label(value: Any) -> str:
    if value is None:
        return "n/a"
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
    return day.strftime("%B %Y")


def render_html(payload: dict[str, Any], tiles_html: str, month_to_date_html: str = "") -> str:
    currency = payload["currency"]
    as_of = payload["as_of_date"]
    latest_label = month_label(payload.get("latest_month"))
    cards = []
    for chart_id, title, subtitle, css in CARDS:
        section = payload["sections"][chart_id]
        title = title.format(month_label=latest_label, cur=currency)
        subtitle = subtitle.format(cur=currency)
        if section["status"] == "ok":
            body = f'<div class="chart-body" id="chart-{chart_id}"></div>'
        else:
            body = f'<div class="chart-body placeholder" id="chart-{chart_id}">{html.escape(section["message"])}</div>'
        cards.append(
            f'<section class="card {css}" data-chart="{chart_id}" data-status="{section["status"]}" '
            f'data-marts="{" ".join(section["marts"])}">'
            f"<h2>{html.escape(title)}</h2><div class=\"sub\">{html.escape(subtitle)}</div>{body}</section>"
        )
    partial = ""
    notice = ""
    info = payload.get("partial_month")
    if info and info.get("shown"):
        partial = f" (month to date: {info['days']} of {info['days_in_month']} days)"
    elif info:
        notice = (f'<div class="notice" id="partial-month">The tiles and the monthly charts show '
                  f'<b>{html.escape(latest_label)}</b>, the latest complete month, against the month before. '
                  f'{html.escape(month_label(info["month"]))} so far ({info["days"]} of {info["days_in_month"]} days) '
                  f'is left out of them: a few days against a whole month would look like a collapse. '
                  f'The MRR trend and the hidden-churn snapshot include it'
                  f'{", and the month-to-date tiles below compare it like for like" if payload.get("month_to_date") else ""}.</div>')
    month_to_date = ""
    if month_to_date_html:
        span = payload["month_to_date"]
        month_to_date = (f'<div class="mtd-head" id="month-to-date">{html.escape(month_label(info["month"]))} so far, '
                         f'like for like: days 1-{span["days"]} against the same days of '
                         f'{html.escape(month_label(span["compared_from"]))} '
                         f'({html.escape(span["compared_from"])} to {html.escape(span["compared_to"])})</div>\n'
                         f'<div class="tiles mtd" id="tiles-month-to-date">\n{month_to_date_html}\n</div>')
    version = f" (version <code>{html.escape(payload['version_id'])}</code>)" if payload.get("version_id") else ""
    data_json = json.dumps(payload, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
    title = f"Subscription metrics — as of {as_of}"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>{html.escape(title)}</title>
<link rel="icon" href="data:,">
<style>{inline_asset(STYLE_FILE)}</style>
</head>
<body data-as-of-date="{html.escape(as_of)}" data-currency="{html.escape(currency)}" data-charts-expected="{payload['charts_expected']}" data-charts-rendered="0">
<header>
<h1>Subscription metrics</h1>
<div class="meta">As of <b id="as-of-date">{html.escape(as_of)}</b> · tiles for <b>{html.escape(latest_label)}</b>{partial}
 · money in <b>{html.escape(currency)}</b> · generated {html.escape(payload['generated_at'])} from <code>{html.escape(payload['warehouse_name'])}</code>{version}</div>
{notice}
</header>
<div class="tiles" id="tiles">
{tiles_html}
</div>
{month_to_date}
<main>
{"".join(cards)}
</main>
<footer>Definitions: <code>docs/definitions.md</code> in the project and the mart docs (<code>make docs</code>). Every number comes from the <code>marts</code> schema; the tiles show the latest complete month.</footer>
<div class="tip" id="tip"></div>
<script type="application/json" id="dashboard-data">{data_json}</script>
<script>
{inline_asset(SCRIPT_FILE)}
</script>
</body>
</html>
"""




# ---------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------


def collect(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, dict[str, Any]], set[str]]:
    marts = existing_marts(con)
    sections: dict[str, dict[str, Any]] = {}
    for template in SECTIONS:
        section = {"marts": template.marts, "status": "ok", "message": "", "data": {}}
        missing = [mart for mart in template.marts if mart not in marts]
        if missing:
            section["status"] = "missing"
            section["message"] = (f"Not built in this warehouse: {', '.join(MARTS_SCHEMA + '.' + m for m in missing)}. "
                                  "Run dbt build to fill this chart.")
        else:
            try:
                data = template.loader(con)
            except duckdb.Error as error:
                section["status"] = "error"
                section["message"] = f"Could not read {', '.join(template.marts)}: {error}".splitlines()[0]
                print(f"[dashboard] {template.chart_id}: {section['message']}", file=sys.stderr)
            else:
                if not data or not any(data.values()):
                    section["status"] = "empty"
                    section["message"] = f"No rows in {', '.join(template.marts)} yet."
                section["data"] = data
        sections[template.chart_id] = section
    return sections, marts


def limit_to_complete_months(con: duckdb.DuckDBPyConnection, sections: dict[str, dict[str, Any]],
                             report_month: dt.date) -> None:
    """Charts of monthly flows (movements, churn rates, the bridge) end at
    `report_month`: the partial month after it would show its few days as a
    drop. Stocks (the MRR trend) and snapshots keep the month to date."""
    last = report_month.isoformat()
    for chart_id in ("mrr_movements", "churn_rates"):
        section = sections.get(chart_id)
        if not section or section["status"] != "ok":
            continue
        data = section["data"]
        keep = [index for index, month in enumerate(data.get("month", [])) if str(month)[:10] <= last]
        section["data"] = {key: [values[index] for index in keep] for key, values in data.items()}
    bridge = sections.get("mrr_bridge")
    if bridge and bridge["status"] == "ok":
        rows = fetch(con, f"select {', '.join(MOVEMENT_COLUMNS)} from {MARTS_SCHEMA}.mrr_movements where month = ?",
                     [report_month])
        bridge["data"] = jsonable(rows[0]) if rows else {}


def publish_info(con: duckdb.DuckDBPyConnection) -> Row:
    """The build's as_of_date, version and vars from audit.publish_info, which
    scripts/publish.py writes into every published warehouse (empty when the
    warehouse was built by plain `dbt build`)."""
    exists = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'audit' and table_name = 'publish_info' and table_catalog = current_database()"
    ).fetchone()[0]
    if not exists:
        return {}
    rows = fetch(con, "select version_id, as_of_date, manifest_json from audit.publish_info limit 1")
    if not rows:
        return {}
    info = rows[0]
    try:
        manifest = json.loads(info.get("manifest_json") or "{}")
    except ValueError:
        manifest = {}
    build_vars = manifest.get("vars") if isinstance(manifest.get("vars"), dict) else {}
    return {
        "version_id": info.get("version_id"),
        "as_of_date": info["as_of_date"].isoformat() if info.get("as_of_date") else None,
        "reporting_currency": build_vars.get("reporting_currency"),
    }


def derive_as_of_date(con: duckdb.DuckDBPyConnection, marts: set[str], latest_month: Any) -> str:
    """as_of_date when neither the caller nor audit.publish_info gives it: the
    newest risk snapshot (snapshots are month ends plus as_of_date), else the
    end of the latest month."""
    if "hidden_churn_risk" in marts:
        value = con.execute(f"select max(snapshot_date) from {MARTS_SCHEMA}.hidden_churn_risk").fetchone()[0]
        if value is not None:
            return value.isoformat()
    if latest_month is not None:
        first = latest_month if isinstance(latest_month, dt.date) else dt.date.fromisoformat(str(latest_month)[:10])
        following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return (following - dt.timedelta(days=1)).isoformat()
    return "unknown"


def build_dashboard(
    warehouse: Path | str | None = None,
    out_path: Path | str = DEFAULT_OUTPUT,
    *,
    as_of_date: str | None = None,
    reporting_currency: str | None = None,
) -> Path:
    """Read the marts of `warehouse` (read-only) and write the dashboard HTML to
    `out_path` (atomically). Returns the absolute path of the file.

    `as_of_date` and `reporting_currency` label the page; by default they come
    from audit.publish_info (a published warehouse), else from the marts / USD.
    """
    warehouse = Path(warehouse) if warehouse is not None else default_warehouse()
    out_path = Path(out_path).resolve()
    if not warehouse.exists():
        raise FileNotFoundError(f"warehouse not found: {warehouse} (run `make demo` first)")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        published = publish_info(con)
        sections, marts = collect(con)
        months = ([row[0] for row in con.execute(f"select month from {MARTS_SCHEMA}.mrr_movements").fetchall()]
                  if "mrr_movements" in marts else [])
        as_of = as_of_date or published.get("as_of_date") or derive_as_of_date(con, marts, max(months, default=None))
        report_month, partial_month = report_month_for(months, as_of)
        tiles, latest = load_tiles(con, marts, report_month)
        latest_month = latest.get("month")
        if partial_month is not None:
            limit_to_complete_months(con, sections, report_month)
        month_to_date_tiles = (load_month_to_date_tiles(con, dt.date.fromisoformat(as_of))
                               if partial_month is not None and "daily_mrr" in marts else [])
    reporting_currency = reporting_currency or published.get("reporting_currency") or "USD"
    partial = None
    if partial_month is not None:
        as_of_day = dt.date.fromisoformat(as_of)
        partial = {"month": partial_month.isoformat(), "days": as_of_day.day, "days_in_month": month_end(partial_month).day}
    elif latest_month is not None and as_of != "unknown":
        as_of_day = dt.date.fromisoformat(as_of)
        if month_end(latest_month) > as_of_day:  # no complete month yet: the one there is, to date
            partial = {"month": jsonable(latest_month), "days": as_of_day.day,
                       "days_in_month": month_end(latest_month).day, "shown": True}
    previous_month = (latest_month.replace(day=1) - dt.timedelta(days=1)).replace(day=1) if latest_month else None
    versus = f"vs {short_month(previous_month)}" if previous_month else "vs last month"
    payload = {
        "as_of_date": as_of,
        "currency": reporting_currency,
        "latest_month": jsonable(latest_month),
        "latest_month_is_partial": bool(partial and partial.get("shown")),
        "partial_month": partial,
        "generated_at": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "warehouse_name": warehouse.name,
        "version_id": published.get("version_id"),
        "charts_expected": sum(1 for section in sections.values() if section["status"] == "ok"),
        "charts_total": len(sections),
        "tiles": [{"key": tile.key, "value": jsonable(tile.value), "kind": tile.kind, "source": tile.source} for tile in tiles],
        "month_to_date": None,
        "sections": sections,
    }
    month_to_date_html = ""
    if month_to_date_tiles:
        since, until = same_days_last_month(dt.date.fromisoformat(as_of))
        payload["month_to_date"] = {
            "days": dt.date.fromisoformat(as_of).day, "compared_from": since.isoformat(), "compared_to": until.isoformat(),
            "tiles": [{"key": tile.key, "value": jsonable(tile.value), "previous": jsonable(tile.previous)}
                      for tile in month_to_date_tiles],
        }
        month_to_date_html = render_tiles(month_to_date_tiles, reporting_currency,
                                          f"vs {short_day(since)}-{until.day}")
    document = render_html(payload, render_tiles(tiles, reporting_currency, versus), month_to_date_html)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".dashboard-", suffix=".html", dir=out_path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(document)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, out_path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return out_path


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", type=Path, default=None,
                        help="DuckDB file to read (default: $WAREHOUSE_PATH or warehouse/subscription_metrics.duckdb)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUTPUT, help="HTML file to write (default: output/dashboard.html)")
    parser.add_argument("--as-of-date", help="the build's as_of_date, shown in the header (default: read from the marts)")
    parser.add_argument("--reporting-currency",
                        help="currency of the money columns (default: the build's, from audit.publish_info, else USD)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        path = build_dashboard(args.warehouse, args.out, as_of_date=args.as_of_date,
                               reporting_currency=args.reporting_currency)
    except (FileNotFoundError, duckdb.Error) as error:
        print(f"[dashboard] {error}", file=sys.stderr)
        return 1
    print(f"[dashboard] {path.as_uri()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
