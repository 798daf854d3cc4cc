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
    "churned_mrr", "ending_mrr", "net_new_mrr",
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
    ordered = sorted(groups.values(), key=lambda group: (group["segment"] != "all", group["segment"]))
    return {"groups": ordered}


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
]

# Marts the dashboard reads (declared in models/exposures.yml too).
DASHBOARD_MARTS = sorted({mart for section in SECTIONS for mart in section.marts}
                         | {"hidden_churn_backtest", "customer_lifetime_value"})


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


def load_tiles(con: duckdb.DuckDBPyConnection, marts: set[str]) -> tuple[list[Tile], Row]:
    tiles: list[Tile] = []
    latest: Row = {}
    if "mrr_movements" in marts:
        rows = fetch(con, f"select * from {MARTS_SCHEMA}.mrr_movements order by month desc limit 2")
        if rows:
            latest = rows[0]
            previous = rows[1] if len(rows) > 1 else {}
            source = "mrr_movements"
            for key, label, kind, hint in [
                ("ending_mrr", "MRR", "money", "monthly recurring revenue at month end"),
                ("arr", "ARR", "money", "MRR x 12"),
                ("net_new_mrr", "Net new MRR", "money", "new + expansion + reactivation - contraction - churned"),
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
            group by snapshot_date
            order by snapshot_date desc
            limit 2
            """,
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


def change_text(tile: Tile) -> tuple[str, str]:
    """The change against the previous month and whether it is good news."""
    if tile.value is None or tile.previous is None:
        return "", "flat"
    current, previous = float(tile.value), float(tile.previous)
    delta = current - previous
    lower_is_better = tile.key in {"gross_mrr_churn_rate", "logo_churn_rate", "mrr_at_risk"}
    versus = "vs last month"
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


def render_tiles(tiles: list[Tile], currency: str) -> str:
    parts = []
    for tile in tiles:
        shown = format_value(tile.value, tile.kind, currency)
        change, mood = change_text(tile)
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
]

STYLE = """
:root { --ink:#1f2933; --muted:#616e7c; --line:#e4e7eb; --bg:#f5f7fa; --card:#fff; --good:#1e7d32; --bad:#c62828; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.4 -apple-system, "Segoe UI", "DejaVu Sans", Roboto, Helvetica, Arial, sans-serif;
       color:var(--ink); background:var(--bg); }
header { padding:20px 28px 8px; }
h1 { margin:0; font-size:24px; font-weight:650; }
.meta { color:var(--muted); margin-top:4px; }
.meta b { color:var(--ink); }
.tiles { display:grid; grid-template-columns:repeat(auto-fill, minmax(175px, 1fr)); gap:10px; padding:10px 28px; }
.tile { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:10px 12px; }
.tile-label { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.04em; }
.tile-value { font-size:19px; font-weight:650; margin-top:2px; white-space:nowrap; }
.tile-value .cur { font-size:12px; font-weight:500; color:var(--muted); margin-right:3px; }
.tile-change { font-size:12px; color:var(--muted); min-height:16px; }
.tile-change.good { color:var(--good); } .tile-change.bad { color:var(--bad); }
main { display:grid; grid-template-columns:repeat(2, minmax(0, 1fr)); gap:14px; padding:8px 28px 28px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:14px 16px 10px; min-width:0; }
.card.wide { grid-column:1 / -1; }
.card h2 { margin:0; font-size:16px; font-weight:650; }
.card .sub { color:var(--muted); font-size:12px; margin:2px 0 6px; }
.card .note { color:var(--muted); font-size:12px; margin-top:6px; }
.legend { display:flex; flex-wrap:wrap; gap:4px 14px; font-size:12px; color:var(--muted); margin:4px 0; }
.legend i { display:inline-block; width:10px; height:10px; border-radius:2px; margin-right:5px; vertical-align:-1px; }
.legend i.dash { height:0; border-top:2px dashed; border-radius:0; width:14px; vertical-align:3px; }
.controls { display:flex; gap:6px; margin:4px 0; flex-wrap:wrap; }
.controls button { font:inherit; font-size:12px; border:1px solid var(--line); background:#fff; border-radius:14px;
                   padding:2px 10px; cursor:pointer; color:var(--muted); }
.controls button.on { background:#1f2933; color:#fff; border-color:#1f2933; }
.placeholder { color:var(--muted); background:repeating-linear-gradient(45deg,#fafbfc,#fafbfc 8px,#f2f4f7 8px,#f2f4f7 16px);
               border-radius:6px; padding:40px 16px; text-align:center; }
svg.chart { width:100%; height:auto; display:block; overflow:visible; }
svg.chart text { font-size:11px; fill:var(--muted); }
svg.chart .axis line, svg.chart .grid line { stroke:var(--line); }
svg.chart .zero { stroke:#9aa5b1; }
svg.chart text.label { fill:var(--ink); font-weight:600; }
table.list { width:100%; border-collapse:collapse; font-size:12px; margin-top:8px; }
table.list th { text-align:left; color:var(--muted); font-weight:600; border-bottom:1px solid var(--line); padding:4px 6px; }
table.list td { border-bottom:1px solid #f0f2f5; padding:4px 6px; vertical-align:top; }
table.list td.num, table.list th.num { text-align:right; white-space:nowrap; }
.pill { display:inline-block; padding:0 7px; border-radius:9px; font-size:11px; color:#fff; }
.pill.high { background:#c62828; } .pill.medium { background:#ef6c00; } .pill.low { background:#f9a825; } .pill.none { background:#9aa5b1; }
.split { display:grid; grid-template-columns:minmax(0, 2fr) minmax(0, 3fr); gap:18px; align-items:start; }
.tip { position:fixed; pointer-events:none; background:#1f2933; color:#fff; font-size:12px; padding:6px 8px; border-radius:5px;
       opacity:0; transition:opacity .08s; z-index:9; max-width:320px; }
.tip b { font-weight:650; } .tip .sw { display:inline-block; width:8px; height:8px; border-radius:2px; margin-right:4px; }
footer { color:var(--muted); font-size:12px; padding:0 28px 24px; }
@media (max-width: 900px) { main, .split { grid-template-columns:1fr; } }
"""


def month_label(value: Any) -> str:
    if value is None:
        return "n/a"
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
    return day.strftime("%B %Y")


def render_html(payload: dict[str, Any], tiles_html: str) -> str:
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
    if payload.get("latest_month_is_partial"):
        partial = " (month to date)"
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
<style>{STYLE}</style>
</head>
<body data-as-of-date="{html.escape(as_of)}" data-currency="{html.escape(currency)}" data-charts-expected="{payload['charts_expected']}" data-charts-rendered="0">
<header>
<h1>Subscription metrics</h1>
<div class="meta">As of <b id="as-of-date">{html.escape(as_of)}</b> · latest month <b>{html.escape(latest_label)}</b>{partial}
 · money in <b>{html.escape(currency)}</b> · generated {html.escape(payload['generated_at'])} from <code>{html.escape(payload['warehouse_name'])}</code>{version}</div>
</header>
<div class="tiles" id="tiles">
{tiles_html}
</div>
<main>
{"".join(cards)}
</main>
<footer>Definitions: docs/definitions.md and the mart docs (<code>dbt docs serve</code>). Every number comes from the <code>marts</code> schema; the tiles show the latest month.</footer>
<div class="tip" id="tip"></div>
<script type="application/json" id="dashboard-data">{data_json}</script>
<script>
{SCRIPT}
</script>
</body>
</html>
"""


SCRIPT = r"""
(function () {
  'use strict';
  const D = JSON.parse(document.getElementById('dashboard-data').textContent);
  const CUR = D.currency;
  const NS = 'http://www.w3.org/2000/svg';
  const COLORS = { new: '#2e7d32', expansion: '#7cb342', reactivation: '#00897b', contraction: '#fb8c00',
                   churned: '#e53935', net: '#1f2933', start: '#607d8b', end: '#3949ab' };
  const PALETTE = ['#3949ab', '#00897b', '#f4511e', '#8e24aa', '#fdd835', '#6d4c41', '#039be5', '#c0ca33'];
  const tip = document.getElementById('tip');

  // ---- formatting --------------------------------------------------------
  const MONTHS = ['Jan','Feb','Mar','Apr','May','Jun','Jul','Aug','Sep','Oct','Nov','Dec'];
  function monthLabel(iso, long) { const y = iso.slice(0, 4), m = +iso.slice(5, 7); return MONTHS[m - 1] + ' ' + (long ? y : y.slice(2)); }
  function grouped(v, digits) { return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }); }
  function money(v) { return v == null ? 'n/a' : CUR + ' ' + grouped(v, 2); }
  function moneyShort(v) {
    if (v == null) return 'n/a';
    const a = Math.abs(v), s = v < 0 ? '-' : '';
    if (a >= 1e6) return s + (a / 1e6).toFixed(a >= 1e7 ? 1 : 2) + 'M';
    if (a >= 1e3) return s + (a / 1e3).toFixed(a >= 1e4 ? 0 : 1) + 'k';
    return s + a.toFixed(0);
  }
  function pct(v, d) { return v == null ? 'n/a' : (v * 100).toFixed(d == null ? 1 : d) + '%'; }
  function num(v, d) { return v == null ? 'n/a' : grouped(v, d == null ? 0 : d); }

  // ---- tiny SVG toolkit --------------------------------------------------
  function el(tag, attrs, parent, text) {
    const n = document.createElementNS(NS, tag);
    for (const k in attrs) if (attrs[k] != null) n.setAttribute(k, attrs[k]);
    if (text != null) n.textContent = text;
    if (parent) parent.appendChild(n);
    return n;
  }
  function html(tag, attrs, parent, text) {
    const n = document.createElement(tag);
    for (const k in attrs) if (attrs[k] != null) n.setAttribute(k, attrs[k]);
    if (text != null) n.textContent = text;
    if (parent) parent.appendChild(n);
    return n;
  }
  function niceStep(span, count) {
    const raw = span / Math.max(1, count), mag = Math.pow(10, Math.floor(Math.log10(raw))), r = raw / mag;
    return (r <= 1 ? 1 : r <= 2 ? 2 : r <= 2.5 ? 2.5 : r <= 5 ? 5 : 10) * mag;
  }
  function niceDomain(lo, hi, count) {
    if (!(isFinite(lo) && isFinite(hi))) { lo = 0; hi = 1; }
    if (lo === hi) { hi = lo + (Math.abs(lo) || 1); }
    const step = niceStep(hi - lo, count || 5);
    const a = Math.floor(lo / step) * step, b = Math.ceil(hi / step) * step, ticks = [];
    for (let t = a; t <= b + step / 2; t += step) ticks.push(+t.toFixed(10));
    return { lo: a, hi: b, ticks: ticks };
  }
  function linear(d0, d1, r0, r1) { const k = (r1 - r0) / ((d1 - d0) || 1); return v => r0 + (v - d0) * k; }
  function finite(values) { return values.filter(v => v != null && isFinite(v)); }

  // A plot area: margins, y axis with grid, x labels; returns scales and groups.
  function frame(host, opts) {
    const W = opts.width || Math.max(320, Math.round(host.clientWidth) || 640), H = opts.height || 280;
    const m = Object.assign({ top: 12, right: 16, bottom: 28, left: 64 }, opts.margin || {});
    const svg = el('svg', { class: 'chart', viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': opts.label || '' }, host);
    const y = niceDomain(opts.yMin, opts.yMax, opts.yTicks || 5);
    const ys = linear(y.lo, y.hi, H - m.bottom, m.top);
    const g = el('g', {}, svg), grid = el('g', { class: 'grid' }, g);
    for (const t of y.ticks) {
      el('line', { x1: m.left, x2: W - m.right, y1: ys(t), y2: ys(t), class: t === 0 ? 'zero' : null }, grid);
      el('text', { x: m.left - 6, y: ys(t) + 4, 'text-anchor': 'end' }, g, opts.yFormat(t));
    }
    if (opts.yTitle) el('text', { x: 12, y: m.top + (H - m.top - m.bottom) / 2, transform: 'rotate(-90 12 ' + (m.top + (H - m.top - m.bottom) / 2) + ')', 'text-anchor': 'middle' }, g, opts.yTitle);
    return { svg: svg, g: g, W: W, H: H, m: m, ys: ys, y: y };
  }
  function bandX(f, n, pad) {
    const inner = f.W - f.m.left - f.m.right, bw = inner / Math.max(1, n);
    return { bw: bw, x: i => f.m.left + i * bw + bw / 2, width: bw * (1 - (pad == null ? 0.25 : pad)) };
  }
  function xLabels(f, labels, xAt, maxLabels) {
    const every = Math.max(1, Math.ceil(labels.length / (maxLabels || 12)));
    labels.forEach((lab, i) => {
      if ((labels.length - 1 - i) % every === 0) el('text', { x: xAt(i), y: f.H - f.m.bottom + 16, 'text-anchor': 'middle' }, f.g, lab);
    });
  }
  function legend(host, items) {
    const box = html('div', { class: 'legend' }, host);
    for (const it of items) {
      const s = html('span', {}, box);
      const i = html('i', { class: it.dash ? 'dash' : null }, s);
      if (it.dash) i.style.borderColor = it.color; else i.style.background = it.color;
      s.appendChild(document.createTextNode(it.name));
    }
    return box;
  }
  function showTip(evt, rows) {
    tip.innerHTML = '';
    rows.forEach((r, k) => {
      const line = document.createElement('div');
      if (r.color) { const sw = document.createElement('span'); sw.className = 'sw'; sw.style.background = r.color; line.appendChild(sw); }
      if (k === 0 && !r.color) { const b = document.createElement('b'); b.textContent = r.text; line.appendChild(b); }
      else line.appendChild(document.createTextNode(r.text));
      tip.appendChild(line);
    });
    const x = Math.min(evt.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
    const y = Math.min(evt.clientY + 14, window.innerHeight - tip.offsetHeight - 8);
    tip.style.left = x + 'px'; tip.style.top = y + 'px'; tip.style.opacity = 1;
  }
  function hideTip() { tip.style.opacity = 0; }
  // Hover over a band of x positions: index -> tooltip rows.
  function hover(f, n, xAt, rowsFor) {
    const guide = el('line', { y1: f.m.top, y2: f.H - f.m.bottom, stroke: '#9aa5b1', 'stroke-dasharray': '3 3', opacity: 0 }, f.g);
    const rect = el('rect', { x: f.m.left, y: f.m.top, width: f.W - f.m.left - f.m.right, height: f.H - f.m.top - f.m.bottom, fill: 'transparent' }, f.g);
    rect.addEventListener('mousemove', evt => {
      const box = f.svg.getBoundingClientRect(), vx = (evt.clientX - box.left) * f.W / box.width;
      let best = 0, dist = Infinity;
      for (let i = 0; i < n; i++) { const d = Math.abs(xAt(i) - vx); if (d < dist) { dist = d; best = i; } }
      guide.setAttribute('x1', xAt(best)); guide.setAttribute('x2', xAt(best)); guide.setAttribute('opacity', 1);
      showTip(evt, rowsFor(best));
    });
    rect.addEventListener('mouseleave', () => { guide.setAttribute('opacity', 0); hideTip(); });
  }
  function path(points) {
    let d = '', pen = false;
    for (const p of points) {
      if (p[1] == null || !isFinite(p[1])) { pen = false; continue; }
      d += (pen ? 'L' : 'M') + p[0].toFixed(1) + ' ' + p[1].toFixed(1); pen = true;
    }
    return d;
  }
  function lineChart(host, o) {
    // o: {labels, series:[{name, values, color, dash, area, width}], yFormat, yMin, yMax, tipFormat}
    const all = finite([].concat.apply([], o.series.map(s => s.values)));
    const f = frame(host, { yMin: o.yMin != null ? Math.min(o.yMin, ...all) : Math.min(...all), yMax: o.yMax != null ? Math.max(o.yMax, ...all) : Math.max(...all),
                            yFormat: o.yFormat, height: o.height, margin: o.margin, label: o.label, yTitle: o.yTitle });
    const xs = o.xValues ? linear(Math.min(...o.xValues), Math.max(...o.xValues), f.m.left + 8, f.W - f.m.right - 8)
                         : linear(0, o.labels.length - 1, f.m.left + 8, f.W - f.m.right - 8);
    const xAt = i => o.xValues ? xs(o.xValues[i]) : xs(i);
    for (const s of o.series) {
      const pts = s.values.map((v, i) => [xAt(i), v == null ? null : f.ys(v)]);
      el('path', { d: path(pts), fill: 'none', stroke: s.color, 'stroke-width': s.width || 2, 'stroke-dasharray': s.dash ? '5 4' : null,
                   'stroke-linejoin': 'round', 'data-series': s.name }, f.g);
      if (s.dots) pts.forEach(p => { if (p[1] != null) el('circle', { cx: p[0], cy: p[1], r: 2.6, fill: s.color }, f.g); });
    }
    if (o.xValues) {
      const lo = Math.min(...o.xValues), hi = Math.max(...o.xValues), step = Math.max(1, niceStep(hi - lo, 8));
      for (let t = Math.ceil(lo / step) * step; t <= hi; t += step) el('text', { x: xs(t), y: f.H - f.m.bottom + 16, 'text-anchor': 'middle' }, f.g, String(t));
      if (o.xTitle) el('text', { x: f.W - f.m.right, y: f.H - 2, 'text-anchor': 'end' }, f.g, o.xTitle);
    } else xLabels(f, o.labels, xAt, o.maxLabels);
    legend(host, o.series.filter(s => !s.noLegend).map(s => ({ name: s.name, color: s.color, dash: s.dash })));
    hover(f, o.labels.length, xAt, i => [{ text: o.tipTitle ? o.tipTitle(i) : o.labels[i] }].concat(
      o.series.filter(s => s.values[i] != null).map(s => ({ color: s.color, text: s.name + ': ' + (o.tipFormat || o.yFormat)(s.values[i]) }))));
    return f;
  }

  // ---- the charts --------------------------------------------------------
  const charts = {};

  charts.mrr_trend = function (host, d) {
    const n = d.months.length, labels = d.months.map(m => monthLabel(m));
    const stacks = d.segments.map((s, k) => ({ name: s.name, color: PALETTE[k % PALETTE.length], values: s.values }));
    const f = frame(host, { yMin: 0, yMax: Math.max(...finite(d.total)), yFormat: moneyShort, height: 260, label: 'MRR by month' });
    const xs = linear(0, n - 1, f.m.left + 8, f.W - f.m.right - 8);
    const base = new Array(n).fill(0);
    for (const s of stacks) {
      const top = s.values.map((v, i) => base[i] + (v || 0));
      const upper = top.map((v, i) => [xs(i), f.ys(v)]), lower = base.map((v, i) => [xs(i), f.ys(v)]).reverse();
      el('path', { d: path(upper) + 'L' + path(lower).slice(1) + 'Z', fill: s.color, 'fill-opacity': 0.78, stroke: 'none', 'data-series': s.name }, f.g);
      for (let i = 0; i < n; i++) base[i] = top[i];
    }
    el('path', { d: path(d.total.map((v, i) => [xs(i), f.ys(v)])), fill: 'none', stroke: '#1f2933', 'stroke-width': 2, 'data-series': 'total' }, f.g);
    const last = d.total[n - 1];
    el('text', { x: xs(n - 1) - 4, y: f.ys(last) - 8, 'text-anchor': 'end', class: 'label' }, f.g, money(last));
    xLabels(f, labels, xs, 18);
    legend(host, stacks.map(s => ({ name: s.name, color: s.color })).concat([{ name: 'total MRR', color: '#1f2933' }]));
    hover(f, n, xs, i => [{ text: monthLabel(d.months[i], true) }, { color: '#1f2933', text: 'MRR ' + money(d.total[i]) },
      { text: 'ARR ' + money(d.total[i] * 12) }, { text: 'paying customers ' + num(d.customers[i]) }]
      .concat(stacks.slice().reverse().map(s => ({ color: s.color, text: s.name + ': ' + money(s.values[i]) }))));
  };

  charts.mrr_bridge = function (host, d) {
    const steps = [
      { name: 'Starting MRR', value: d.starting_mrr, kind: 'total', color: COLORS.start },
      { name: 'New', value: d.new_mrr, kind: 'up', color: COLORS.new },
      { name: 'Expansion', value: d.expansion_mrr, kind: 'up', color: COLORS.expansion },
      { name: 'Reactivation', value: d.reactivation_mrr, kind: 'up', color: COLORS.reactivation },
      { name: 'Contraction', value: d.contraction_mrr, kind: 'down', color: COLORS.contraction },
      { name: 'Churned', value: d.churned_mrr, kind: 'down', color: COLORS.churned },
      { name: 'Ending MRR', value: d.ending_mrr, kind: 'total', color: COLORS.end },
    ];
    let level = 0; const bars = [];
    for (const s of steps) {
      if (s.kind === 'total') { bars.push([0, s.value]); level = s.value; }
      else if (s.kind === 'up') { bars.push([level, level + s.value]); level += s.value; }
      else { bars.push([level - s.value, level]); level -= s.value; }
    }
    const lo = Math.min(...bars.map(b => b[0])), hi = Math.max(...bars.map(b => b[1]));
    // Zoom on the moving part so that movements stay visible next to the totals.
    const span = hi - Math.min(...bars.slice(1, -1).map(b => b[0]));
    const floor = Math.max(0, Math.min(...bars.slice(1, -1).map(b => b[0])) - span * 1.2);
    const f = frame(host, { yMin: floor > 0 ? floor : lo, yMax: hi, yFormat: moneyShort, height: 280, margin: { bottom: 26, top: 18 }, label: 'MRR bridge' });
    const b = bandX(f, steps.length, 0.35);
    steps.forEach((s, i) => {
      // Totals are cut at the bottom of the (zoomed) axis.
      const y0 = f.ys(Math.max(bars[i][0], f.y.lo)), y1 = f.ys(bars[i][1]);
      const r = el('rect', { x: b.x(i) - b.width / 2, y: y1, width: b.width, height: Math.max(1, y0 - y1), fill: s.color, rx: 2,
                             'data-step': s.name, 'data-value': s.value }, f.g);
      const sign = s.kind === 'up' ? '+' : s.kind === 'down' ? '-' : '';
      el('text', { x: b.x(i), y: y1 - 5, 'text-anchor': 'middle', class: 'label' }, f.g, sign + moneyShort(s.value));
      el('text', { x: b.x(i), y: f.H - f.m.bottom + 15, 'text-anchor': 'middle' }, f.g, s.name);
      if (i < steps.length - 1) {
        const yl = f.ys(s.kind === 'down' ? bars[i][0] : bars[i][1]);
        el('line', { x1: b.x(i) + b.width / 2, x2: b.x(i + 1) - b.width / 2, y1: yl, y2: yl, stroke: '#9aa5b1', 'stroke-dasharray': '2 2' }, f.g);
      }
      r.addEventListener('mousemove', evt => showTip(evt, [{ text: s.name }, { color: s.color, text: sign + money(s.value) }]));
      r.addEventListener('mouseleave', hideTip);
    });
    const note = html('div', { class: 'note' }, host);
    note.textContent = monthLabel(d.month, true) + ': net new MRR ' + money(d.net_new_mrr) + ' (' + pct(d.starting_mrr ? d.net_new_mrr / d.starting_mrr : null) +
      ' of starting MRR)' + (f.y.lo > 0 ? ' · the axis starts at ' + money(f.y.lo) + ' to make the movements visible' : '') + '.';
  };

  charts.mrr_movements = function (host, d) {
    const n = d.month.length, labels = d.month.map(m => monthLabel(m));
    const ups = [['new_mrr', 'New', COLORS.new], ['expansion_mrr', 'Expansion', COLORS.expansion], ['reactivation_mrr', 'Reactivation', COLORS.reactivation]];
    const downs = [['contraction_mrr', 'Contraction', COLORS.contraction], ['churned_mrr', 'Churned', COLORS.churned]];
    const upTot = d.month.map((_, i) => ups.reduce((a, u) => a + (d[u[0]][i] || 0), 0));
    const downTot = d.month.map((_, i) => downs.reduce((a, u) => a + (d[u[0]][i] || 0), 0));
    const f = frame(host, { yMin: -Math.max(...downTot), yMax: Math.max(...upTot), yFormat: moneyShort, height: 280, label: 'MRR movements' });
    const b = bandX(f, n, 0.3);
    for (let i = 0; i < n; i++) {
      let top = 0;
      for (const u of ups) { const v = d[u[0]][i] || 0; el('rect', { x: b.x(i) - b.width / 2, y: f.ys(top + v), width: b.width, height: Math.max(0, f.ys(top) - f.ys(top + v)), fill: u[2] }, f.g); top += v; }
      let bottom = 0;
      for (const u of downs) { const v = d[u[0]][i] || 0; el('rect', { x: b.x(i) - b.width / 2, y: f.ys(bottom), width: b.width, height: Math.max(0, f.ys(bottom - v) - f.ys(bottom)), fill: u[2] }, f.g); bottom -= v; }
    }
    el('path', { d: path(d.net_new_mrr.map((v, i) => [b.x(i), f.ys(v)])), fill: 'none', stroke: COLORS.net, 'stroke-width': 2, 'data-series': 'net new MRR' }, f.g);
    d.net_new_mrr.forEach((v, i) => el('circle', { cx: b.x(i), cy: f.ys(v), r: 2.4, fill: COLORS.net }, f.g));
    xLabels(f, labels, b.x, 12);
    legend(host, ups.concat(downs).map(u => ({ name: u[1], color: u[2] })).concat([{ name: 'Net new MRR', color: COLORS.net }]));
    hover(f, n, b.x, i => [{ text: monthLabel(d.month[i], true) }]
      .concat(ups.map(u => ({ color: u[2], text: u[1] + ': +' + money(d[u[0]][i]) })))
      .concat(downs.map(u => ({ color: u[2], text: u[1] + ': -' + money(d[u[0]][i]) })))
      .concat([{ color: COLORS.net, text: 'Net new: ' + money(d.net_new_mrr[i]) }]));
  };

  charts.churn_rates = function (host, d) {
    const labels = d.month.map(m => monthLabel(m));
    // The first month has nothing to churn from: its rates are null, not zero.
    lineChart(host, {
      labels: labels, yFormat: v => pct(v, 1), height: 280, label: 'Churn rates',
      tipTitle: i => monthLabel(d.month[i], true),
      series: [
        { name: 'Logo churn rate', values: d.logo_churn_rate, color: '#e53935', dots: true },
        { name: 'Gross MRR churn rate', values: d.gross_mrr_churn_rate, color: '#fb8c00' },
        { name: 'Net MRR churn rate (negative = net expansion)', values: d.net_mrr_churn_rate, color: '#3949ab', dash: true },
      ],
      yMin: 0,
    });
    const last = d.month.length - 1;
    const note = html('div', { class: 'note' }, host);
    if (d.churned_customers) note.textContent = monthLabel(d.month[last], true) + ': ' + num(d.churned_customers[last]) + ' customers lost (' +
      num(d.voluntary_churned_customers[last]) + ' voluntary, ' + num(d.involuntary_churned_customers[last]) + ' involuntary / failed payments)';
  };

  charts.at_risk = function (host, d) {
    const tierColor = { high: '#c62828', medium: '#ef6c00' };
    const split = html('div', { class: 'split' }, host), left = html('div', {}, split), right = html('div', {}, split);
    // MRR at risk per segment, stacked by tier (only medium and high are at risk).
    const segs = d.segments, rows = {};
    d.by_segment_tier.forEach(r => { rows[r.segment + '|' + r.risk_tier] = r; });
    const f = frame(left, { yMin: 0, yMax: Math.max(1, ...segs.map(s => s.mrr_at_risk)), yFormat: moneyShort, height: 230, margin: { bottom: 44, top: 22 }, label: 'MRR at risk by segment' });
    const b = bandX(f, segs.length, 0.45);
    segs.forEach((s, i) => {
      let base = 0;
      ['high', 'medium'].forEach(t => {
        const v = (rows[s.segment + '|' + t] || {}).mrr_at_risk || 0, n = (rows[s.segment + '|' + t] || {}).customers || 0;
        const r = el('rect', { x: b.x(i) - b.width / 2, y: f.ys(base + v), width: b.width, height: Math.max(0, f.ys(base) - f.ys(base + v)), fill: tierColor[t], 'data-tier': t, 'data-value': v }, f.g);
        r.addEventListener('mousemove', evt => showTip(evt, [{ text: s.segment + ' · tier ' + t }, { color: tierColor[t], text: money(v) + ' MRR, ' + n + ' customers' }]));
        r.addEventListener('mouseleave', hideTip);
        base += v;
      });
      el('text', { x: b.x(i), y: f.ys(base) - 5, 'text-anchor': 'middle', class: 'label' }, f.g, moneyShort(s.mrr_at_risk) + ' (' + pct(s.mrr ? s.mrr_at_risk / s.mrr : null, 1) + ' of MRR)');
      el('text', { x: b.x(i), y: f.H - f.m.bottom + 15, 'text-anchor': 'middle', class: 'label' }, f.g, s.segment);
      el('text', { x: b.x(i), y: f.H - f.m.bottom + 29, 'text-anchor': 'middle' }, f.g, s.at_risk_customers + ' of ' + s.customers + ' customers');
    });
    legend(left, [{ name: 'high risk', color: tierColor.high }, { name: 'medium risk', color: tierColor.medium }]);
    const tiers = {}; d.tiers.forEach(t => { tiers[t.risk_tier] = t; });
    html('div', { class: 'note' }, left, 'Snapshot ' + d.snapshot_date + ': ' + num(d.at_risk_customers) + ' at-risk customers paying ' + money(d.mrr_at_risk) +
      ' a month. All paying customers by tier: ' + ['high', 'medium', 'low', 'none'].filter(t => tiers[t]).map(t => t + ' ' + num(tiers[t].customers)).join(', ') + '.');
    if (d.backtest) html('div', { class: 'note' }, left, 'Backtest of the flag (snapshot ' + d.backtest.snapshot_date + ', churn within ' + d.backtest.horizon_days +
      ' days): precision ' + pct(d.backtest.precision, 0) + ', recall ' + pct(d.backtest.recall, 0) + ', lift ' + (d.backtest.lift == null ? 'n/a' : d.backtest.lift.toFixed(1) + 'x') +
      ' over the base churn rate of ' + pct(d.backtest.base_churn_rate, 1) + '.');
    const table = html('table', { class: 'list', 'data-rows': d.top.length }, right);
    const head = html('tr', {}, html('thead', {}, table));
    [['Customer', ''], ['Segment', ''], ['Tier', ''], ['Score', 'num'], ['MRR at risk', 'num'], ['Reasons', '']].forEach(c => html('th', { class: c[1] || null }, head, c[0]));
    const body = html('tbody', {}, table);
    for (const r of d.top) {
      const tr = html('tr', { 'data-customer': r.customer_id }, body);
      html('td', {}, tr, r.customer_id); html('td', {}, tr, r.segment);
      html('span', { class: 'pill ' + r.risk_tier }, html('td', {}, tr), r.risk_tier);
      html('td', { class: 'num' }, tr, String(r.risk_score)); html('td', { class: 'num' }, tr, money(r.mrr_at_risk)); html('td', {}, tr, r.reasons || '');
    }
    html('div', { class: 'note' }, right, 'The ' + d.top.length + ' largest of ' + num(d.at_risk_customers) + ' at-risk customers by MRR at risk' +
      (d.at_risk_customers > d.top.length ? '; the full list is marts.hidden_churn_risk (is_at_risk, latest snapshot_date).' : '.'));
  };

  charts.cohort_heatmap = function (host, d) {
    const cohorts = [...new Set(d.cells.map(c => c.cohort_month))].sort();
    const periods = [...new Set(d.cells.map(c => c.period))].sort((a, b) => a - b);
    const cell = {}; d.cells.forEach(c => { cell[c.cohort_month + '|' + c.period] = c; });
    const controls = html('div', { class: 'controls' }, host);
    const modes = [['logo_retention_rate', 'Logo retention (customers paying)'], ['survival_rate', 'Survival (never lapsed)'],
                   ['revenue_retention_rate', 'Revenue retention (MRR)']].filter(m => d.cells.some(c => c[m[0]] != null));
    const holder = html('div', {}, host);
    // The colour scale spans the observed values (up to 100%, or above for revenue), so differences show.
    function bounds(mode) {
      const vals = finite(d.cells.map(c => c[mode]));
      const lo = Math.min(0.9, ...vals), hi = Math.max(1, ...vals);
      return [lo, hi];
    }
    function shade(v, mode) { const b = bounds(mode); return Math.max(0, Math.min(1, (v - b[0]) / ((b[1] - b[0]) || 1))); }
    function color(v, mode) {
      if (v == null) return '#f5f7fa';
      const t = shade(v, mode);
      const lo = [255, 243, 224], mid = [66, 165, 245], hi = [13, 71, 161];
      const a = t < 0.5 ? lo : mid, b = t < 0.5 ? mid : hi, k = t < 0.5 ? t / 0.5 : (t - 0.5) / 0.5;
      return 'rgb(' + a.map((x, j) => Math.round(x + (b[j] - x) * k)).join(',') + ')';
    }
    function draw(mode) {
      holder.innerHTML = '';
      const avail = Math.max(480, Math.round(holder.clientWidth) || 1180);
      const left = 130, top = 22, cw = Math.max(14, Math.min(48, (avail - left - 10) / periods.length)), ch = cw >= 26 ? 18 : 14;
      const W = Math.max(avail, left + periods.length * cw + 10), H = top + cohorts.length * ch + 24;
      const svg = el('svg', { class: 'chart', viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': 'Cohort retention heatmap', 'data-mode': mode }, holder);
      periods.forEach((p, j) => el('text', { x: left + j * cw + cw / 2, y: top - 8, 'text-anchor': 'middle' }, svg, String(p)));
      const b = bounds(mode), scaleX = W - 250;
      [0, 0.25, 0.5, 0.75, 1].forEach((t, k) => el('rect', { x: scaleX + 40 + k * 36, y: H - 14, width: 36, height: 10, fill: color(b[0] + t * (b[1] - b[0]), mode) }, svg));
      el('text', { x: scaleX + 36, y: H - 5, 'text-anchor': 'end' }, svg, pct(b[0], 0));
      el('text', { x: scaleX + 40 + 5 * 36 + 4, y: H - 5 }, svg, pct(b[1], 0));
      el('text', { x: 4, y: top - 8 }, svg, 'cohort · customers');
      cohorts.forEach((c, i) => {
        const first = cell[c + '|' + periods[0]];
        el('text', { x: 4, y: top + i * ch + ch - 4 }, svg, monthLabel(c, true) + ' · ' + (first ? first.cohort_customers : ''));
        periods.forEach((p, j) => {
          const v = cell[c + '|' + p]; if (!v) return;
          const val = v[mode];
          const r = el('rect', { x: left + j * cw, y: top + i * ch, width: cw - 1, height: ch - 1, fill: color(val, mode) }, svg);
          if (cw >= 26 && val != null) el('text', { x: left + j * cw + cw / 2, y: top + i * ch + ch - 4, 'text-anchor': 'middle',
            style: 'font-size:9px;fill:' + (shade(val, mode) > 0.55 ? '#fff' : '#1f2933') }, svg, (val * 100).toFixed(0));
          r.addEventListener('mousemove', evt => showTip(evt, [{ text: monthLabel(c, true) + ' cohort, month ' + p },
            { text: 'logo retention ' + pct(v.logo_retention_rate) + ' (' + num(v.active_customers) + ' of ' + num(v.cohort_customers) + ')' },
            { text: 'survival ' + pct(v.survival_rate) + (v.surviving_customers != null ? ' (' + num(v.surviving_customers) + ')' : '') },
            { text: 'revenue retention ' + pct(v.revenue_retention_rate) + ' (' + money(v.mrr) + ')' }]));
          r.addEventListener('mouseleave', hideTip);
        });
      });
    }
    modes.forEach((mo, k) => {
      const btn = html('button', { type: 'button', class: k === 0 ? 'on' : null }, controls, mo[1]);
      btn.addEventListener('click', () => { [...controls.children].forEach(x => x.classList.remove('on')); btn.classList.add('on'); draw(mo[0]); });
    });
    draw(modes[0][0]);
    html('div', { class: 'note' }, host, 'Rows: signup cohort (first month with MRR) and its size; columns: months since (0 = first month); cells: % of the cohort (' +
      (d.segment === 'all' ? 'all segments' : d.segment) + ') — darker is better. Revenue retention can exceed 100% with expansion.');
  };

  charts.sbg_projection = function (host, d) {
    const groups = d.groups;
    const periods = [...new Set([].concat.apply([], groups.map(g => g.period)))].sort((a, b) => a - b);
    const series = [];
    groups.forEach((g, k) => {
      const color = g.segment === 'all' ? '#1f2933' : PALETTE[(k - 1 + PALETTE.length) % PALETTE.length];
      const at = {}; g.period.forEach((p, i) => { at[p] = i; });
      // The fitted curve is solid where observed, dashed where it is a projection (they meet at the last observed period).
      const observedEnd = Math.max(0, ...g.period.filter((p, i) => !g.projection[i]));
      const width = g.segment === 'all' ? 2.5 : 1.5;
      series.push({ name: g.segment + ' actual', color: color, values: periods.map(p => at[p] == null ? null : g.actual[at[p]]), dots: true, width: 0.01, noLegend: true });
      series.push({ name: g.segment, color: color, width: width, values: periods.map(p => at[p] == null || p > observedEnd ? null : g.fitted[at[p]]) });
      series.push({ name: g.segment + ' projected', color: color, dash: true, noLegend: true, width: width,
                    values: periods.map(p => at[p] == null || p < observedEnd ? null : g.fitted[at[p]]) });
    });
    lineChart(host, { labels: periods.map(String), xValues: periods, series: series, yFormat: v => pct(v, 0), yMin: 0, yMax: 1, height: 290,
                      tipTitle: i => 'period ' + periods[i] + ' (months since the cohort month)', tipFormat: v => pct(v, 1), label: 'sBG projection',
                      xTitle: 'months since the cohort month' });
    html('div', { class: 'note' }, host, 'Dots: observed survival (pooled cohorts); solid: sBG fit; dashed: projection. ' +
      groups.map(g => g.segment + ' α=' + (g.alpha == null ? 'n/a' : g.alpha.toFixed(2)) + ', β=' + (g.beta == null ? 'n/a' : g.beta.toFixed(2))).join(' · '));
  };

  charts.usage_before_churn = function (host, d) {
    const measures = [['avg_logins', 'Logins per week', v => num(v, 1)], ['avg_session_minutes', 'Session minutes per week', v => num(v, 0)],
                      ['avg_valuable_actions', 'Valuable actions per week', v => num(v, 1)], ['share_active', 'Share of customers active', v => pct(v, 0)]];
    const colors = { churned: '#e53935', retained: '#3949ab', new: '#00897b' };
    const names = Object.keys(d.cohorts).sort((a, b) => (a === 'churned' ? -1 : b === 'churned' ? 1 : a.localeCompare(b)));
    const weeks = [...new Set([].concat.apply([], names.map(n => d.cohorts[n].relative_week)))].sort((a, b) => a - b);
    const controls = html('div', { class: 'controls' }, host), holder = html('div', {}, host);
    function draw(mi) {
      holder.innerHTML = '';
      const mz = measures[mi];
      lineChart(holder, {
        labels: weeks.map(w => String(w)), xValues: weeks, height: 260, yMin: 0, yFormat: mz[2], label: 'Usage before churn', maxLabels: 14,
        tipTitle: i => 'week ' + weeks[i] + ' before the reference day',
        series: names.map(n => {
          const c = d.cohorts[n], at = {}; c.relative_week.forEach((w, i) => { at[w] = i; });
          return { name: n + (n === 'churned' ? ' (weeks before the MRR stopped)' : ''), color: colors[n] || '#607d8b', dots: n === 'churned',
                   values: weeks.map(w => at[w] == null ? null : c[mz[0]][at[w]]) };
        }),
      });
      html('div', { class: 'note' }, holder, mz[1] + ' per customer; x: weeks before the reference day (-1 = the last 7 days).');
    }
    measures.forEach((mo, k) => {
      const btn = html('button', { type: 'button', class: k === 0 ? 'on' : null }, controls, mo[1]);
      btn.addEventListener('click', () => { [...controls.children].forEach(x => x.classList.remove('on')); btn.classList.add('on'); draw(k); });
    });
    draw(0);
  };

  charts.clv_by_segment = function (host, d) {
    // Rows: each segment's total, then its channels; the whole business last.
    const items = d.rows.filter(r => !(r.segment === 'all' && r.acquisition_channel !== 'all')).map(r => ({
      r: r, total: r.acquisition_channel === 'all',
      label: r.segment === 'all' ? 'whole business' : r.acquisition_channel === 'all' ? r.segment + ' (all channels)' : r.acquisition_channel,
    }));
    const W = Math.max(480, Math.round(host.clientWidth) || 640), left = 150, rowH = 20, top = 34, cols = 150;
    const H = top + items.length * rowH + 24, right = W - cols;
    const amounts = finite([].concat.apply([], items.map(i => [i.r.sbg_ltv, i.r.formula_ltv, i.r.cac]))).filter(v => v > 0);
    const lo = Math.pow(10, Math.floor(Math.log10(Math.min(...amounts, 1e3)))), hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...amounts, 1e4))));
    const lx = linear(Math.log10(lo), Math.log10(hi), left + 6, right - 10), xv = v => lx(Math.log10(Math.max(lo, v)));
    const svg = el('svg', { class: 'chart', viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': 'CLV and LTV:CAC by segment and channel' }, host);
    el('text', { x: left + 6, y: 12, class: 'label' }, svg, 'CAC → LTV per customer (' + CUR + ', log scale)');
    el('text', { x: right + 38, y: 12, 'text-anchor': 'end', class: 'label' }, svg, 'LTV:CAC');
    el('text', { x: right + 88, y: 12, 'text-anchor': 'end', class: 'label' }, svg, 'sBG');
    el('text', { x: W - 4, y: 12, 'text-anchor': 'end', class: 'label' }, svg, 'payback');
    el('text', { x: right + 38, y: 25, 'text-anchor': 'end' }, svg, 'formula');
    el('text', { x: right + 88, y: 25, 'text-anchor': 'end' }, svg, 'LTV:CAC');
    el('text', { x: W - 4, y: 25, 'text-anchor': 'end' }, svg, 'months');
    for (let t = lo; t <= hi; t *= 10) {
      el('line', { x1: xv(t), x2: xv(t), y1: top - 4, y2: H - 20, stroke: '#e4e7eb' }, svg);
      el('text', { x: xv(t), y: H - 6, 'text-anchor': 'middle' }, svg, moneyShort(t));
    }
    const multiple = v => v == null ? 'n/a' : v.toFixed(1) + 'x';
    items.forEach((it, i) => {
      const y = top + i * rowH, cy = y + rowH / 2, r = it.r;
      if (it.total) el('rect', { x: 0, y: y, width: W, height: rowH, fill: '#f2f4f7' }, svg);
      el('text', { x: left - 6, y: cy + 4, 'text-anchor': 'end', class: it.total ? 'label' : null }, svg, it.label);
      const ltv = r.sbg_ltv, cac = r.cac, good = r.ltv_to_cac != null && r.ltv_to_cac >= 3;
      if (ltv != null && cac != null && cac > 0) el('line', { x1: xv(cac), x2: xv(ltv), y1: cy, y2: cy, stroke: ltv >= 3 * cac ? '#a5d6a7' : '#ef9a9a', 'stroke-width': 4 }, svg);
      if (cac != null && cac > 0) el('circle', { cx: xv(cac), cy: cy, r: 4.5, fill: '#fb8c00', 'data-value': cac }, svg);
      if (r.formula_ltv != null) el('circle', { cx: xv(r.formula_ltv), cy: cy, r: 4, fill: '#fff', stroke: '#3949ab', 'stroke-width': 1.5 }, svg);
      if (ltv != null) el('circle', { cx: xv(ltv), cy: cy, r: 4.5, fill: '#3949ab', 'data-value': ltv }, svg);
      el('text', { x: right + 38, y: cy + 4, 'text-anchor': 'end', class: 'label', style: 'fill:' + (r.ltv_to_cac == null ? '#616e7c' : good ? '#1e7d32' : '#c62828'),
                   'data-value': r.ltv_to_cac }, svg, multiple(r.ltv_to_cac));
      el('text', { x: right + 88, y: cy + 4, 'text-anchor': 'end' }, svg, multiple(r.sbg_ltv_to_cac));
      el('text', { x: W - 4, y: cy + 4, 'text-anchor': 'end' }, svg, r.cac_payback_months == null ? 'n/a' : r.cac_payback_months.toFixed(1));
      const hit = el('rect', { x: 0, y: y, width: W, height: rowH, fill: 'transparent' }, svg);
      hit.addEventListener('mousemove', evt => showTip(evt, [{ text: r.segment + ' · ' + r.acquisition_channel }, { color: '#3949ab', text: 'LTV (sBG) ' + money(r.sbg_ltv) },
        { text: 'LTV (formula) ' + money(r.formula_ltv) }, { color: '#fb8c00', text: 'CAC ' + money(r.cac) }, { text: 'ARPA ' + money(r.arpa) + ', monthly logo churn ' + pct(r.monthly_logo_churn_rate) },
        { text: 'new customers ' + num(r.new_customers) + ', marketing spend ' + money(r.marketing_spend) }]));
      hit.addEventListener('mouseleave', hideTip);
    });
    legend(host, [{ name: 'CAC', color: '#fb8c00' }, { name: 'LTV (sBG)', color: '#3949ab' }, { name: 'LTV (formula): hollow dot', color: '#c5cae9' },
                  { name: 'LTV ≥ 3 × CAC', color: '#a5d6a7' }, { name: 'LTV < 3 × CAC', color: '#ef9a9a' }]);
    html('div', { class: 'note' }, host, 'Trailing 12 months. LTV:CAC of 3x or more (green) is healthy; n/a where there is no spend (organic) or no churn yet.');
  };

  // ---- render every chart whose mart is there ---------------------------
  let rendered = 0;
  for (const id in D.sections) {
    const section = D.sections[id];
    if (section.status !== 'ok') continue;
    const card = document.querySelector('[data-chart="' + id + '"]');
    const host = document.getElementById('chart-' + id);
    try {
      charts[id](host, section.data);
      if (!host.querySelector('svg')) throw new Error('no SVG drawn');
      card.setAttribute('data-status', 'rendered');
      rendered += 1;
    } catch (err) {
      card.setAttribute('data-status', 'error');
      host.classList.add('placeholder');
      host.textContent = 'This chart failed to render: ' + err.message;
      console.error('chart ' + id + ' failed:', err);
    }
  }
  document.body.setAttribute('data-charts-rendered', String(rendered));
})();
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
        raise FileNotFoundError(f"warehouse not found: {warehouse} (run dbt build first)")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        published = publish_info(con)
        sections, marts = collect(con)
        tiles, latest = load_tiles(con, marts)
        latest_month = latest.get("month")
        as_of = as_of_date or published.get("as_of_date") or derive_as_of_date(con, marts, latest_month)
    reporting_currency = reporting_currency or published.get("reporting_currency") or "USD"
    partial = False
    if latest_month is not None and as_of != "unknown":
        as_of_day = dt.date.fromisoformat(as_of)
        partial = (as_of_day + dt.timedelta(days=1)).month == as_of_day.month
    payload = {
        "as_of_date": as_of,
        "currency": reporting_currency,
        "latest_month": jsonable(latest_month),
        "latest_month_is_partial": partial,
        "generated_at": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "warehouse_name": warehouse.name,
        "version_id": published.get("version_id"),
        "charts_expected": sum(1 for section in sections.values() if section["status"] == "ok"),
        "charts_total": len(sections),
        "tiles": [{"key": tile.key, "value": jsonable(tile.value), "kind": tile.kind, "source": tile.source} for tile in tiles],
        "sections": sections,
    }
    document = render_html(payload, render_tiles(tiles, reporting_currency))
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
