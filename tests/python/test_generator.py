"""Tests of scripts/generate_data.py, the synthetic landing-data generator.

Everything runs on the ``tiny`` scale (150 customers, 18 months) in temporary
directories: the CLI, determinism, the raw data contract (docs/landing-contract.md),
the business behaviours the marts rely on, the bad-rows manifest and the
Parquet output.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "scripts" / "generate_data.py"
END = pd.Timestamp("2026-11-01")  # exclusive end of the default --end-date 2026-10-31
TINY_START = pd.Timestamp("2025-05-01")  # 18 months back

CONTRACT = {
    "customers": ["customer_id", "created_at", "company_name", "country", "segment", "acquisition_channel"],
    "plans": ["plan_id", "plan_name", "tier", "billing_interval", "list_price", "currency"],
    "subscriptions": ["subscription_id", "customer_id", "plan_id", "billing_interval", "amount", "quantity",
                      "currency", "status", "period_start", "period_end", "cancel_reason", "canceled_at",
                      "cancel_at", "list_amount"],
    "invoices": ["invoice_id", "customer_id", "subscription_id", "issued_at", "period_start", "period_end",
                 "amount_due", "amount_paid", "amount_refunded", "currency", "status", "attempt_count", "paid_at"],
    "events": ["event_id", "customer_id", "user_id", "event_name", "occurred_at", "duration_seconds", "feature"],
    "fx_rates": ["currency", "rate_date", "rate_to_reporting"],
    "marketing_spend": ["month", "acquisition_channel", "amount"],
}
TIERS = ["starter", "growth", "pro", "enterprise"]
PAID = {"active", "past_due", "canceled"}
USAGE = PAID | {"trialing"}
VOLUNTARY_REASONS = {"too_expensive", "missing_features", "switched_competitor", "no_longer_needed", "poor_support"}
VALUABLE = {"report_export", "dashboard_create", "api_call", "integration_sync"}
TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MONEY_RE = re.compile(r"^\d+\.\d{2}$")
WEEK = pd.Timedelta(weeks=1)
SEED = os.environ.get("GENERATOR_TEST_SEED", "42")  # the behaviours must show at the default seed


# --------------------------------------------------------------------------------------
# helpers and fixtures
# --------------------------------------------------------------------------------------


def generate(out: Path, *args: str) -> Path:
    """Run the generator at the tiny scale into `out` (seed GENERATOR_TEST_SEED, default 42)."""
    seed = ["--seed", SEED] if "--seed" not in args else []
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--scale", "tiny", "--out", str(out), "--quiet", *seed, *args],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def read(directory: Path, table: str) -> pd.DataFrame:
    """A CSV landing file with every value as a string ('' = empty)."""
    return pd.read_csv(directory / f"{table}.csv", dtype=str, keep_default_na=False, na_values=[])


def ts(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series.replace("", None), format="%Y-%m-%dT%H:%M:%S")


def money(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series.replace("", None))


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(tmp_path_factory.mktemp("tiny") / "out")


@pytest.fixture(scope="module")
def data(tiny_dir: Path) -> dict[str, pd.DataFrame]:
    """The tiny tables with parsed helper columns (prefixed `_`)."""
    t = {name: read(tiny_dir, name) for name in CONTRACT}
    s = t["subscriptions"]
    s["_start"], s["_end"] = ts(s["period_start"]), ts(s["period_end"])
    s["_amount"], s["_qty"] = money(s["amount"]), s["quantity"].astype(int)
    s["_tier"] = s["plan_id"].str.split("_").str[0].map(TIERS.index)
    s.sort_values(["subscription_id", "_start"], inplace=True, kind="stable")
    s.reset_index(drop=True, inplace=True)
    i = t["invoices"]
    for col in ("issued_at", "period_start", "period_end", "paid_at"):
        i["_" + col] = ts(i[col])
    for col in ("amount_due", "amount_paid", "amount_refunded"):
        i["_" + col] = money(i[col])
    i["_attempts"] = i["attempt_count"].astype(int)
    e = t["events"]
    e["_at"] = ts(e["occurred_at"])
    t["customers"]["_created"] = ts(t["customers"]["created_at"])
    return t


@pytest.fixture(scope="module")
def subs_last(data) -> pd.DataFrame:
    """The final row of every subscription."""
    return data["subscriptions"].groupby("subscription_id").tail(1)


@pytest.fixture(scope="module")
def transitions(data) -> pd.DataFrame:
    """Consecutive row pairs of the same subscription (suffixes _a / _b)."""
    s = data["subscriptions"]
    a, b = s.iloc[:-1].reset_index(drop=True), s.iloc[1:].reset_index(drop=True)
    same = (a["subscription_id"] == b["subscription_id"]).to_numpy()
    return a[same].reset_index(drop=True).join(b[same].reset_index(drop=True), lsuffix="_a", rsuffix="_b")


@pytest.fixture(scope="module")
def weekly(data) -> dict[str, pd.Series]:
    """Events per customer per week index (weeks counted from TINY_START)."""
    e = data["events"]
    week = ((e["_at"] - TINY_START) // WEEK).astype(int)
    counts = e.assign(week=week).groupby(["customer_id", "week"]).size()
    return {cid: grp.droplevel(0) for cid, grp in counts.groupby(level=0)}


def events_between(weekly_counts: pd.Series | None, end: pd.Timestamp, weeks_from: int, weeks_to: int) -> float:
    """Mean weekly events in the weeks [end - weeks_to, end - weeks_from) (aligned on whole weeks)."""
    if weekly_counts is None:
        return 0.0
    end_week = (end - TINY_START) // WEEK
    idx = range(end_week - weeks_to, end_week - weeks_from)
    return float(weekly_counts.reindex(idx, fill_value=0).mean())


def paying_at_end(data) -> pd.DataFrame:
    """Paid subscription rows still running on the end date."""
    s = data["subscriptions"]
    return s[s["_end"].isna() & s["status"].isin({"active", "past_due"})]


# --------------------------------------------------------------------------------------
# CLI, determinism, contract
# --------------------------------------------------------------------------------------


def test_help_lists_every_option() -> None:
    proc = subprocess.run([sys.executable, str(SCRIPT), "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    for option in ("--scale", "--customers", "--seed", "--out", "--format", "--end-date", "--months",
                   "--bad-rows-rate", "--quiet"):
        assert option in proc.stdout


def test_summary_lines_per_table(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(SCRIPT), "--scale", "tiny", "--customers", "30", "--out",
                           str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    for table in CONTRACT:
        line = next(line for line in proc.stdout.splitlines() if line.startswith(table))
        assert re.search(r"[\d,]+ rows", line) and re.search(r"\d+\.\ds", line)


def test_same_seed_gives_identical_bytes(tiny_dir: Path, tmp_path: Path) -> None:
    again = generate(tmp_path / "again")
    files = sorted(p.name for p in tiny_dir.iterdir())
    assert files == sorted(f"{t}.csv" for t in CONTRACT)
    assert files == sorted(p.name for p in again.iterdir())
    for name in files:
        assert (tiny_dir / name).read_bytes() == (again / name).read_bytes(), name


def test_other_seed_gives_other_data(tiny_dir: Path, tmp_path: Path) -> None:
    other = generate(tmp_path / "other", "--seed", str(int(SEED) + 1))
    for table in ("customers", "subscriptions", "invoices", "events", "fx_rates"):
        assert (tiny_dir / f"{table}.csv").read_bytes() != (other / f"{table}.csv").read_bytes(), table
    assert (tiny_dir / "plans.csv").read_bytes() == (other / "plans.csv").read_bytes()


def test_contract_columns_in_order(tiny_dir: Path) -> None:
    for table, columns in CONTRACT.items():
        with (tiny_dir / f"{table}.csv").open(newline="") as handle:
            assert next(csv.reader(handle)) == columns, table


def test_identifiers_and_formats(data) -> None:
    c, s, i, e = data["customers"], data["subscriptions"], data["invoices"], data["events"]
    assert c["customer_id"].tolist() == [f"C{n:06d}" for n in range(1, len(c) + 1)]
    assert s["subscription_id"].str.fullmatch(r"S\d{7}").all()
    assert i["invoice_id"].str.fullmatch(r"I\d{8}").all() and i["invoice_id"].is_unique
    assert e["event_id"].str.fullmatch(r"E\d+").all() and e["event_id"].is_unique
    assert (e["user_id"].str.split("-U").str[0] == e["customer_id"]).all()
    assert e["user_id"].str.fullmatch(r"C\d{6}-U\d{2,3}").all()
    for frame, cols in ((c, ["created_at"]), (s, ["period_start", "period_end"]),
                        (i, ["issued_at", "period_start", "period_end", "paid_at"]), (e, ["occurred_at"])):
        for col in cols:
            values = frame[col][frame[col] != ""]
            assert values.str.match(TS_RE).all(), col
    for frame, cols in ((s, ["amount"]), (i, ["amount_due", "amount_paid", "amount_refunded"]),
                        (data["plans"], ["list_price"]), (data["marketing_spend"], ["amount"])):
        for col in cols:
            assert frame[col].str.match(MONEY_RE).all(), col
    assert data["fx_rates"]["rate_to_reporting"].str.fullmatch(r"\d+\.\d{6}").all()
    assert data["fx_rates"]["rate_date"].str.match(DATE_RE).all()
    assert data["marketing_spend"]["month"].str.fullmatch(r"\d{4}-\d{2}-01").all()
    assert set(c["segment"]) == {"smb", "mid_market", "enterprise"}
    assert set(c["acquisition_channel"]) == {"organic", "paid_search", "paid_social", "partner", "outbound"}
    assert c["country"].str.fullmatch(r"[A-Z]{2}").all()
    assert set(s["status"]) == {"trialing", "active", "past_due", "paused", "canceled"}
    assert set(i["status"]) <= {"paid", "open", "failed", "void", "uncollectible"}
    assert set(e["event_name"]) == {"login", "session", "feature_used"}
    sessions = e["event_name"] == "session"
    assert (e.loc[sessions, "duration_seconds"].astype(int) > 0).all()
    assert (e.loc[~sessions, "duration_seconds"] == "").all()
    features = e["event_name"] == "feature_used"
    assert set(e.loc[features, "feature"]) == VALUABLE | {"invite_user", "search"}
    assert (e.loc[~features, "feature"] == "").all()


def signed_future(s: pd.DataFrame, end: pd.Timestamp = END) -> pd.Series:
    """Rows of upgrades signed for a renewal after the end date, and the rows they follow."""
    future = s["_start"] >= end
    follows = future.shift(-1, fill_value=False) & (s["subscription_id"].shift(-1) == s["subscription_id"])
    return future | follows


def test_nothing_after_end_date(data) -> None:
    c, s, i, e = data["customers"], data["subscriptions"], data["invoices"], data["events"]
    now = s[~signed_future(s)]
    instants = [c["_created"], now["_start"], now["_end"], i["_issued_at"], i["_period_start"], i["_paid_at"],
                e["_at"], ts(s["canceled_at"])]
    for series in instants:
        assert series.dropna().max() < END
    assert c["_created"].min() >= TINY_START and e["_at"].min() >= TINY_START
    # an invoice covers one billing period, which may run past the end date
    length = i["_period_end"] - i["_period_start"]
    assert ((length > pd.Timedelta(0)) & (length <= pd.Timedelta(days=366))).all()
    assert data["fx_rates"]["rate_date"].max() == "2026-10-31"
    assert data["marketing_spend"]["month"].max() == "2026-10-01"


def test_custom_size_history_and_end_date(tmp_path: Path) -> None:
    out = generate(tmp_path / "custom", "--customers", "40", "--months", "6", "--end-date", "2025-12-31", "--seed", "7")
    c, s, e = read(out, "customers"), read(out, "subscriptions"), read(out, "events")
    assert len(c) == 40
    assert ts(c["created_at"]).min() >= pd.Timestamp("2025-07-01")
    s["_start"] = ts(s["period_start"])
    s = s[~signed_future(s.sort_values(["subscription_id", "_start"]), pd.Timestamp("2026-01-01"))]
    for series in (ts(c["created_at"]), ts(s["period_start"]), ts(s["period_end"]), ts(e["occurred_at"])):
        assert series.dropna().max() < pd.Timestamp("2026-01-01")
    fx = read(out, "fx_rates")
    assert fx["rate_date"].min() == "2025-07-01" and fx["rate_date"].max() == "2025-12-31"


# --------------------------------------------------------------------------------------
# plans, customers, fx, marketing
# --------------------------------------------------------------------------------------


def test_plans_cover_every_tier_interval_and_currency(data) -> None:
    p = data["plans"]
    assert len(p) == 36 and p["plan_id"].is_unique
    assert set(zip(p["tier"], p["billing_interval"], p["currency"])) == {
        (t, b, c) for t in TIERS for b in ("month", "quarter", "year") for c in ("USD", "EUR", "GBP")}
    assert (p["plan_id"] == p["tier"] + "_" + p["billing_interval"] + "_" + p["currency"].str.lower()).all()
    price = p.set_index(["tier", "currency", "billing_interval"])["list_price"].astype(float).unstack()
    assert (price["quarter"] < 3 * price["month"]).all() and (price["year"] < 12 * price["month"]).all()
    assert (price["month"] > 0).all()


def test_customers_sign_up_over_the_whole_history_growing(data) -> None:
    created = data["customers"]["_created"]
    months = created.dt.to_period("M")
    assert months.nunique() >= 15
    assert (created < TINY_START + pd.DateOffset(months=6)).sum() < (created >= END - pd.DateOffset(months=6)).sum()


def test_fx_rates_daily_random_walks(data) -> None:
    fx = data["fx_rates"]
    assert set(fx["currency"]) == {"EUR", "GBP"}
    days = pd.date_range(TINY_START, END - pd.Timedelta(days=1), freq="D").strftime("%Y-%m-%d").tolist()
    for cur, mean in (("EUR", 1.08), ("GBP", 1.27)):
        sub = fx[fx["currency"] == cur]
        assert sub["rate_date"].tolist() == days
        rates = sub["rate_to_reporting"].astype(float)
        assert abs(rates.mean() - mean) < 0.1 * mean and rates.nunique() > len(days) // 2


def test_marketing_spend_for_paid_channels(data) -> None:
    m = data["marketing_spend"]
    assert set(m["acquisition_channel"]) == {"paid_search", "paid_social", "partner", "outbound"}
    assert m.groupby("month").size().eq(4).all() and m["month"].nunique() == 18
    assert (m["amount"].astype(float) > 0).all()


# --------------------------------------------------------------------------------------
# subscriptions: structure
# --------------------------------------------------------------------------------------


def test_subscription_rows_are_contiguous(data, transitions, subs_last) -> None:
    s = data["subscriptions"]
    assert (transitions["_end_a"] == transitions["_start_b"]).all()
    assert transitions["_end_a"].notna().all()  # only the last row may be open-ended
    assert (transitions["cancel_reason_a"] == "").all()  # reasons only on the final row
    assert (transitions["customer_id_a"] == transitions["customer_id_b"]).all()
    assert (s["_end"].isna() | (s["_end"] > s["_start"])).all()
    assert (s.loc[s["status"] == "canceled", "_end"].notna()).all()
    assert (s.loc[s["status"] == "canceled", "cancel_reason"] != "").all()
    assert s.duplicated(["subscription_id", "_start"]).sum() == 0


def test_subscription_amounts_match_plans(data) -> None:
    s, p = data["subscriptions"], data["plans"].set_index("plan_id")
    assert s["plan_id"].isin(p.index).all()
    assert (s["billing_interval"] == s["plan_id"].map(p["billing_interval"])).all()
    assert (s["currency"] == s["plan_id"].map(p["currency"])).all()
    assert (s["_qty"] >= 1).all()
    paid = s["status"].isin(PAID)
    full = s["plan_id"].map(p["list_price"]).astype(float) * s["_qty"]
    assert (s.loc[paid, "_amount"] > 0).all()
    assert (s.loc[paid, "_amount"] <= full[paid] + 0.005).all()
    assert (s.loc[paid, "_amount"] < full[paid] - 0.005).any()  # some discounts
    assert (s.loc[~paid, "_amount"] == 0).all()  # trials and pauses charge nothing


# --------------------------------------------------------------------------------------
# subscriptions: behaviours
# --------------------------------------------------------------------------------------


def test_trials_convert_or_expire(data, transitions, subs_last) -> None:
    converted = transitions[(transitions["status_a"] == "trialing") & (transitions["status_b"] == "active")]
    assert converted["subscription_id_a"].nunique() >= 3
    trial_len = converted["_end_a"] - converted["_start_a"]
    assert (trial_len == pd.Timedelta(days=14)).all()
    s = data["subscriptions"]
    rows_per_sub = s.groupby("subscription_id").size()
    expired = subs_last[(subs_last["status"] == "trialing") & (subs_last["cancel_reason"] == "trial_expired")]
    assert len(expired) >= 3 and expired["_end"].notna().all()
    assert (rows_per_sub[expired["subscription_id"]] == 1).all()
    # trials are only at the start of a subscription
    assert not (transitions["status_b"] == "trialing").any()


def test_upgrades_downgrades_and_seat_changes_mid_period(data, transitions) -> None:
    t = transitions[transitions["status_a"].isin(PAID) & transitions["status_b"].isin(PAID)]
    assert (t["_tier_b"] > t["_tier_a"]).sum() >= 2
    assert (t["_tier_b"] < t["_tier_a"]).sum() >= 2
    assert (t["_qty_b"] > t["_qty_a"]).sum() >= 2
    assert (t["_qty_b"] < t["_qty_a"]).sum() >= 2
    changes = t[(t["_tier_b"] != t["_tier_a"]) | (t["_qty_b"] != t["_qty_a"])]
    inv = data["invoices"]
    regular = inv[inv["status"] != "void"]
    inside = 0
    for _, row in changes.iterrows():
        own = regular[(regular["subscription_id"] == row["subscription_id_a"])
                      & (regular["_period_start"] < row["_start_b"]) & (regular["_period_end"] > row["_start_b"])]
        inside += bool(len(own))
    assert inside >= 3  # the change starts strictly inside a billed period
    # proration invoices: issued at the change instant
    change_starts = set(zip(changes["subscription_id_a"], changes["_start_b"]))
    assert sum((sid, at) in change_starts for sid, at in zip(inv["subscription_id"], inv["_issued_at"])) >= 1


def test_monthly_to_annual_switches(transitions) -> None:
    t = transitions
    switched = t[(t["billing_interval_a"] == "month") & (t["billing_interval_b"] == "year")]
    assert switched["subscription_id_a"].nunique() >= 2


def test_quarterly_annual_plans_and_currencies(data) -> None:
    s = data["subscriptions"]
    paid = s[s["status"].isin(PAID)]
    assert paid.groupby("billing_interval")["subscription_id"].nunique().reindex(
        ["month", "quarter", "year"]).ge(3).all()
    assert paid.groupby("currency")["customer_id"].nunique().reindex(["USD", "EUR", "GBP"]).ge(3).all()


def test_pauses_resume_or_cancel(transitions, subs_last) -> None:
    t = transitions
    resumed = t[(t["status_a"] == "paused") & (t["status_b"] == "active")]
    assert resumed["subscription_id_a"].nunique() >= 2
    assert (t.loc[t["status_b"] == "paused", "status_a"].isin(PAID)).all()
    paused_then_canceled = subs_last[(subs_last["status"] == "paused") & (subs_last["cancel_reason"] != "")]
    assert len(paused_then_canceled) >= 1 and paused_then_canceled["_end"].notna().all()


def test_voluntary_cancellations_with_reasons(subs_last) -> None:
    canceled = subs_last[subs_last["status"] == "canceled"]
    voluntary = canceled[canceled["cancel_reason"] != "payment_failed"]
    assert len(voluntary) >= 5
    assert set(voluntary["cancel_reason"]) <= VOLUNTARY_REASONS
    assert voluntary["cancel_reason"].nunique() >= 3
    assert set(canceled["cancel_reason"]) <= VOLUNTARY_REASONS | {"payment_failed"}


def test_involuntary_churn_after_failed_payments(data, transitions, subs_last) -> None:
    invol = subs_last[(subs_last["status"] == "canceled") & (subs_last["cancel_reason"] == "payment_failed")]
    assert len(invol) >= 3
    before = transitions.merge(invol, left_on=["subscription_id_b", "_start_b"],
                               right_on=["subscription_id", "_start"])
    assert len(before) == len(invol) and (before["status_a"] == "past_due").all()
    assert (invol["_end"] - invol["_start"] < pd.Timedelta(days=30)).all()
    inv = data["invoices"]
    last_inv = inv[inv["subscription_id"].isin(invol["subscription_id"])].sort_values("_issued_at") \
        .groupby("subscription_id").tail(1)
    assert len(last_inv) == len(invol)
    assert set(last_inv["status"]) == {"uncollectible", "failed"}
    assert (last_inv["_attempts"] == 4).all() and (last_inv["_amount_paid"] == 0).all()
    assert (last_inv["paid_at"] == "").all()


def test_failed_payments_that_recover(data, transitions) -> None:
    inv = data["invoices"]
    recovered = inv[(inv["status"] == "paid") & inv["_attempts"].between(2, 3)]
    assert len(recovered) >= 3
    dunning = transitions[(transitions["status_a"] == "past_due") & (transitions["status_b"] == "active")]
    keys = set(zip(dunning["subscription_id_a"], dunning["_start_a"]))
    assert sum((sid, at) in keys for sid, at in zip(recovered["subscription_id"], recovered["_issued_at"])) >= 3
    assert inv["_attempts"].between(1, 4).all()


def test_win_backs_use_a_new_subscription(data, subs_last) -> None:
    s = data["subscriptions"]
    first_start = s.groupby("subscription_id")["_start"].min()
    ended = subs_last[subs_last["status"] == "canceled"][["customer_id", "subscription_id", "_end"]]
    winbacks = set()
    for _, row in ended.iterrows():
        later = first_start[s.loc[s["customer_id"] == row["customer_id"], "subscription_id"].unique()]
        if (later >= row["_end"] + pd.Timedelta(days=30)).any():
            winbacks.add(row["customer_id"])
    assert len(winbacks) >= 3


def test_concurrent_subscriptions(data) -> None:
    s = data["subscriptions"]
    paid = s[s["status"].isin(PAID)]
    span = paid.groupby(["customer_id", "subscription_id"]).agg(start=("_start", "min"), end=("_end", "max"),
                                                                  running=("_end", lambda x: x.isna().any()))
    span.loc[span["running"], "end"] = END
    concurrent = set()
    for cid, grp in span.groupby(level=0):
        rows = grp.sort_values("start").to_numpy()
        for a in range(len(rows)):
            for b in range(a + 1, len(rows)):
                if rows[b][0] < rows[a][1] and rows[a][0] < rows[b][1]:
                    concurrent.add(cid)
    assert len(concurrent) >= 3


def test_some_customers_never_subscribe(data) -> None:
    c, s = data["customers"], data["subscriptions"]
    never = set(c["customer_id"]) - set(s["customer_id"])
    assert 3 <= len(never) <= 0.3 * len(c)
    assert not never & set(data["invoices"]["customer_id"])
    assert not never & set(data["events"]["customer_id"])


# --------------------------------------------------------------------------------------
# committed MRR and discounts: join-and-leave, scheduled cancellations, signed
# future upgrades, expiring coupons
# --------------------------------------------------------------------------------------


def test_join_and_leave_inside_a_month(data) -> None:
    s = data["subscriptions"]
    rows = s.groupby("customer_id").filter(lambda g: len(g) == 1)
    inside = rows[(rows["status"] == "canceled") & rows["_end"].notna()
                  & (rows["_start"].dt.to_period("M") == rows["_end"].dt.to_period("M"))]
    assert len(inside) >= 2  # customers whose only subscription starts and ends in one month
    assert (inside["cancel_reason"].isin(VOLUNTARY_REASONS)).all()
    assert (inside["_amount"] > 0).all()


def test_scheduled_cancellations(data, subs_last) -> None:
    s = data["subscriptions"]
    asked = s[s["canceled_at"] != ""]
    assert asked.index.isin(subs_last.index).all()  # on the final row only
    canceled_at, cancel_at = ts(asked["canceled_at"]), ts(asked["cancel_at"])
    assert cancel_at.notna().all() and (canceled_at <= cancel_at).all() and (canceled_at < END).all()
    ended = asked["_end"].notna()
    # requested ahead, effective at the end of the final period
    assert (cancel_at[ended] == asked.loc[ended, "_end"]).all() and ended.sum() >= 3
    assert (asked.loc[ended, "status"] == "canceled").all()
    assert (canceled_at[ended] < asked.loc[ended, "_end"]).all()
    # requested by the end date, effective after it: still paying at the end date
    pending = asked[~ended]
    assert len(pending) >= 1 and (cancel_at[~ended] >= END).all()
    assert pending["status"].isin({"active", "past_due"}).all()
    assert (s.loc[s["canceled_at"] == "", "cancel_at"] == "").all()


def test_signed_future_upgrades(data, transitions) -> None:
    s = data["subscriptions"]
    future = s[s["_start"] >= END]
    assert len(future) >= 1
    assert (future["status"] == "active").all() and future["_end"].isna().all()
    assert future["subscription_id"].is_unique
    before = transitions[transitions["_start_b"] >= END]
    assert len(before) == len(future) and (before["_end_a"] == before["_start_b"]).all()
    assert (before["_amount_b"] > before["_amount_a"]).all()  # an upgrade (tier or seats)
    assert (data["invoices"]["_period_start"] < END).all()  # not invoiced yet


def test_expiring_coupons(data, transitions) -> None:
    s = data["subscriptions"]
    paid = s["status"].isin(PAID)
    listed = money(s["list_amount"])
    assert listed[paid].notna().all() and listed[~paid].isna().all()
    assert (listed[paid] >= s.loc[paid, "_amount"] - 0.005).all()
    assert (listed[paid] > s.loc[paid, "_amount"] + 0.005).any()  # discounts
    t = transitions
    expired = t[(t["plan_id_a"] == t["plan_id_b"]) & (t["_qty_a"] == t["_qty_b"])
                & (t["list_amount_a"] == t["list_amount_b"]) & (t["_amount_b"] > t["_amount_a"])
                & t["status_a"].isin(PAID) & t["status_b"].isin(PAID)]
    assert len(expired) >= 3  # same plan, seats and list price: only the discount changed


# --------------------------------------------------------------------------------------
# invoices
# --------------------------------------------------------------------------------------


def test_invoices_follow_billing_periods(data) -> None:
    inv, s = data["invoices"], data["subscriptions"]
    assert (inv["_issued_at"] == inv["_period_start"]).all()
    paid = inv["status"] == "paid"
    assert (inv.loc[paid, "_amount_paid"] == inv.loc[paid, "_amount_due"]).all()
    assert (inv.loc[~paid, "_amount_paid"] == 0).all()
    assert (inv.loc[paid, "_paid_at"] >= inv.loc[paid, "_issued_at"]).all()
    assert inv.loc[~paid, "_paid_at"].isna().all() and inv.loc[paid, "_paid_at"].notna().all()
    assert (inv["_amount_refunded"] <= inv["_amount_paid"]).all()
    assert 1 <= (inv["_amount_refunded"] > 0).sum() <= 0.1 * len(inv)
    assert (inv["_amount_due"] > 0).all()
    # open invoices are only the most recent ones
    open_ = inv[inv["status"] == "open"]
    assert len(open_) >= 1 and (open_["_issued_at"] >= END - pd.Timedelta(days=35)).all()
    assert (inv["status"] == "void").sum() >= 0
    # same customer and currency as the subscription
    sub = s.groupby("subscription_id").agg(customer_id=("customer_id", "first"), currency=("currency", "first"))
    assert (inv["customer_id"] == inv["subscription_id"].map(sub["customer_id"])).all()
    assert (inv["currency"] == inv["subscription_id"].map(sub["currency"])).all()
    # every paid subscription row overlaps at least one invoiced period of its subscription
    # (but a period signed to start after the end date, not invoiced yet)
    periods = inv.groupby("subscription_id")
    for _, row in s[s["status"].isin(PAID) & (s["_start"] < END)].iterrows():
        own = periods.get_group(row["subscription_id"])
        end = END if pd.isna(row["_end"]) else row["_end"]
        assert ((own["_period_start"] < end) & (own["_period_end"] > row["_start"])).any(), row.to_dict()


# --------------------------------------------------------------------------------------
# events and usage behaviours
# --------------------------------------------------------------------------------------


def test_events_only_while_subscribed(data) -> None:
    s, e = data["subscriptions"], data["events"]
    usage = s[s["status"].isin(USAGE)]
    spans: dict[str, list[tuple[pd.Timestamp, pd.Timestamp]]] = defaultdict(list)
    for cid, start, end in zip(usage["customer_id"], usage["_start"], usage["_end"].fillna(END)):
        spans[cid].append((start, end))
    inside = after = 0
    for cid, grp in e.groupby("customer_id"):
        times = grp["_at"].to_numpy()
        covered = np.zeros(len(times), dtype=bool)
        near = np.zeros(len(times), dtype=bool)
        for start, end in spans[cid]:
            covered |= (times >= np.datetime64(start)) & (times < np.datetime64(end))
            near |= (times >= np.datetime64(end)) & (times < np.datetime64(end + pd.Timedelta(days=14)))
        inside += int(covered.sum())
        after += int((near & ~covered).sum())
        assert (covered | near).all(), cid
    assert inside >= 0.995 * len(e) and after >= 1  # rarely a little after the end


def test_users_never_exceed_seats(data) -> None:
    s, e = data["subscriptions"], data["events"]
    max_seats = s.groupby("customer_id")["_qty"].max()
    users = e.groupby("customer_id")["user_id"].nunique()
    assert (users <= users.index.map(max_seats)).all()


def test_usage_fades_before_most_voluntary_cancellations(data, subs_last, weekly) -> None:
    s = data["subscriptions"]
    sub_start = s.groupby("subscription_id")["_start"].min()
    vol = subs_last[(subs_last["status"] == "canceled") & subs_last["cancel_reason"].isin(VOLUNTARY_REASONS)]
    vol = vol[vol["_end"] - vol["subscription_id"].map(sub_start) >= 21 * WEEK]  # a baseline to compare with
    ratios = []
    for cid, end in zip(vol["customer_id"], vol["_end"]):
        base = events_between(weekly.get(cid), end, 12, 20)
        if base > 0:
            ratios.append(events_between(weekly.get(cid), end, 0, 4) / base)
    assert len(ratios) >= 5
    assert np.mean(np.array(ratios) < 0.6) >= 0.6 and np.median(ratios) < 0.5, ratios
    # every usage dimension declines, not just the event count
    e = data["events"]
    declines = []
    for cid, end in zip(vol["customer_id"], vol["_end"]):
        ev = e[e["customer_id"] == cid]
        base = ev[(ev["_at"] >= end - 20 * WEEK) & (ev["_at"] < end - 12 * WEEK)]
        last = ev[(ev["_at"] >= end - 4 * WEEK) & (ev["_at"] < end)]
        if len(base) == 0:
            continue

        def dims(frame: pd.DataFrame, weeks: int) -> np.ndarray:
            """Weekly logins, session seconds, valuable actions and active users."""
            week = (end - frame["_at"]) // WEEK
            return np.array([
                (frame["event_name"] == "login").sum() / weeks,
                frame.loc[frame["event_name"] == "session", "duration_seconds"].astype(float).sum() / weeks,
                frame["feature"].isin(VALUABLE).sum() / weeks,
                frame.groupby(week)["user_id"].nunique().sum() / weeks,
            ])

        declines.append(dims(last, 4) < dims(base, 8))
    assert np.mean(np.all(declines, axis=1)) >= 0.6


def test_retained_customers_stay_level(data, weekly) -> None:
    s = data["subscriptions"]
    first_usage = s[s["status"].isin(USAGE)].groupby("customer_id")["_start"].min()
    ratios = []
    for cid in paying_at_end(data)["customer_id"].unique():
        if END - first_usage[cid] < 21 * WEEK:
            continue
        base = events_between(weekly.get(cid), END, 12, 20)
        if base > 0:
            ratios.append(events_between(weekly.get(cid), END, 0, 4) / base)
    assert len(ratios) >= 20
    assert 0.8 <= np.median(ratios) <= 1.25


def test_steady_customers_who_never_churn(data, weekly) -> None:
    s = data["subscriptions"]
    ever_canceled = set(s.loc[s["cancel_reason"] != "", "customer_id"])
    first_usage = s[s["status"].isin(USAGE)].groupby("customer_id")["_start"].min()
    steady = 0
    for cid in set(paying_at_end(data)["customer_id"]) - ever_canceled:
        if END - first_usage[cid] < 40 * WEEK or cid not in weekly:
            continue
        months = [events_between(weekly[cid], END, 4 * k, 4 * k + 4) for k in range(8)]
        med = np.median(months)
        if med > 0 and all(0.5 * med <= m <= 2 * med for m in months):
            steady += 1
    assert steady >= 5


def test_false_alarm_dips_recover(data, weekly) -> None:
    recovered = 0
    for cid in paying_at_end(data)["customer_id"].unique():
        w = weekly.get(cid)
        if w is None:
            continue
        series = w.reindex(range(w.index.min(), (END - TINY_START) // WEEK), fill_value=0).to_numpy()
        for k in range(8, len(series) - 10):
            base = series[k - 8:k].mean()
            if base >= 5 and series[k:k + 3].mean() < 0.5 * base and series[k + 6:k + 10].mean() >= 0.8 * base:
                recovered += 1
                break
    assert recovered >= 2


def test_forgotten_licences_pay_without_usage(data) -> None:
    e, inv = data["events"], data["invoices"]
    paying = paying_at_end(data)
    s = data["subscriptions"]
    first_paid = s[s["status"].isin(PAID)].groupby("customer_id")["_start"].min()
    recent = set(e.loc[e["_at"] >= END - pd.Timedelta(days=90), "customer_id"])
    paid_recently = set(inv.loc[(inv["status"] == "paid") & (inv["_period_end"] >= END - pd.Timedelta(days=60)),
                                "customer_id"])
    forgotten = [cid for cid in paying["customer_id"].unique()
                 if cid not in recent and END - first_paid[cid] > pd.Timedelta(days=120)]
    assert len(forgotten) >= 3
    assert len(forgotten) <= 0.15 * paying["customer_id"].nunique()
    assert len(set(forgotten) & paid_recently) >= 2


def test_seat_under_utilisation(data) -> None:
    e = data["events"]
    paying = paying_at_end(data)
    seats = paying.groupby("customer_id")["_qty"].sum()
    active = e[e["_at"] >= END - pd.Timedelta(days=30)].groupby("customer_id")["user_id"].nunique()
    active = active.reindex(seats.index, fill_value=0)
    under = (active > 0) & (seats >= 3) & (active <= 0.5 * seats)
    assert under.sum() >= 2
    assert ((active > 0) & (active == seats)).sum() >= 2  # and some use every seat


# --------------------------------------------------------------------------------------
# Parquet and timezone offsets
# --------------------------------------------------------------------------------------


def _csv_as_strings(path: Path):
    names = CONTRACT[path.stem]
    opts = pacsv.ConvertOptions(column_types={n: "string" for n in names}, strings_can_be_null=True,
                                quoted_strings_can_be_null=False)
    return pacsv.read_csv(path, convert_options=opts)


def test_parquet_holds_the_same_rows_as_csv(tiny_dir: Path, tmp_path: Path) -> None:
    out = generate(tmp_path / "pq", "--format", "parquet")
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{t}.parquet" for t in CONTRACT)
    for table in CONTRACT:
        parquet = pq.read_table(out / f"{table}.parquet")
        csv_table = _csv_as_strings(tiny_dir / f"{table}.csv")
        assert parquet.column_names == CONTRACT[table]
        assert parquet.num_rows == csv_table.num_rows, table
        assert parquet.equals(csv_table), table


def test_tz_offset_rows_keep_the_instant(tiny_dir: Path, tmp_path: Path) -> None:
    out = generate(tmp_path / "tz", "--tz-offset-rows", "4")
    base, shifted = read(tiny_dir, "events"), read(out, "events")
    differ = base["occurred_at"] != shifted["occurred_at"]
    assert differ.sum() >= 3
    assert (base.drop(columns="occurred_at") == shifted.drop(columns="occurred_at")).all().all()
    for utc, text in zip(base.loc[differ, "occurred_at"], shifted.loc[differ, "occurred_at"]):
        moment = datetime.fromisoformat(text)
        assert moment.utcoffset() is not None
        assert (moment - moment.utcoffset()).replace(tzinfo=None) == datetime.fromisoformat(utc)


# --------------------------------------------------------------------------------------
# bad rows
# --------------------------------------------------------------------------------------

REQUIRED = {
    "customers": ["customer_id", "created_at"],
    "subscriptions": ["subscription_id", "customer_id", "plan_id", "billing_interval", "amount", "quantity",
                      "currency", "status", "period_start"],
    "invoices": ["invoice_id", "customer_id", "subscription_id", "issued_at", "period_start", "period_end",
                 "amount_due", "currency", "status"],
    "events": ["event_id", "customer_id", "event_name", "occurred_at"],
}
TIMESTAMPS = {"customers": ["created_at"], "subscriptions": ["period_start", "period_end"],
              "invoices": ["issued_at", "period_start", "period_end", "paid_at"], "events": ["occurred_at"]}
NUMBERS = {"customers": [], "subscriptions": ["amount", "quantity"],
           "invoices": ["amount_due", "amount_paid", "amount_refunded", "attempt_count"],
           "events": ["duration_seconds"]}
AMOUNTS = {"subscriptions": ["amount"], "invoices": ["amount_due", "amount_paid"]}
KEYS = {"customers": ("customer_id",), "subscriptions": ("subscription_id", "period_start"),
        "invoices": ("invoice_id",), "events": ("event_id",)}
REASONS_BY_TABLE = {
    "customers": {"missing_required", "unparseable_value", "exact_duplicate", "duplicate_key"},
    "subscriptions": {"missing_required", "unknown_customer", "unknown_plan", "end_before_start", "negative_amount",
                      "unknown_currency", "unparseable_value", "exact_duplicate", "duplicate_key"},
    "invoices": {"missing_required", "unknown_customer", "end_before_start", "negative_amount", "unknown_currency",
                 "unparseable_value", "exact_duplicate", "duplicate_key"},
    "events": {"missing_required", "unknown_customer", "unparseable_value", "exact_duplicate", "duplicate_key"},
}


def _parse_ts(text: str) -> datetime | None:
    if not TS_RE.match(text):
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _number(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def row_problems(table: str, row: dict[str, str], customers: set[str], plans: set[str]) -> set[str]:
    """A row's own problems (duplicates aside), as an independent quarantine would see them."""
    problems = set()
    if any(row[c] == "" for c in REQUIRED[table]):
        problems.add("missing_required")
    if any(row[c] != "" and _parse_ts(row[c]) is None for c in TIMESTAMPS[table]) or \
            any(row[c] != "" and _number(row[c]) is None for c in NUMBERS[table]):
        problems.add("unparseable_value")
    if table != "customers" and row["customer_id"] != "" and row["customer_id"] not in customers:
        problems.add("unknown_customer")
    if table == "subscriptions" and row["plan_id"] != "" and row["plan_id"] not in plans:
        problems.add("unknown_plan")
    if table in ("subscriptions", "invoices"):
        start, end = _parse_ts(row["period_start"]), _parse_ts(row["period_end"])
        if start and end and end < start:
            problems.add("end_before_start")
        if any((_number(row[c]) or 0) < 0 for c in AMOUNTS[table] if row[c] != ""):
            problems.add("negative_amount")
        if row["currency"] != "" and row["currency"] not in {"USD", "EUR", "GBP"}:
            problems.add("unknown_currency")
    return problems


def quarantine(tables: dict[str, pd.DataFrame], plans: set[str]) -> dict[str, list[set[str]]]:
    """Reasons per row of each table (empty set = clean)."""
    out: dict[str, list[set[str]]] = {}
    valid_customers: set[str] = set()
    for table in ("customers", "subscriptions", "invoices", "events"):
        rows = tables[table].to_dict("records")
        reasons = [row_problems(table, r, valid_customers, plans) for r in rows]
        seen: set[tuple] = set()
        by_key: dict[tuple, set[tuple]] = defaultdict(set)
        for r, why in zip(rows, reasons):
            if why:
                continue
            full = tuple(r.values())
            if full in seen:
                why.add("exact_duplicate")
                continue
            seen.add(full)
            by_key[tuple(r[k] for k in KEYS[table])].add(full)
        for r, why in zip(rows, reasons):
            if not why and len(by_key[tuple(r[k] for k in KEYS[table])]) > 1:
                why.add("duplicate_key")
        if table == "customers":
            valid_customers = {r["customer_id"] for r, why in zip(rows, reasons) if not why}
        out[table] = reasons
    return out


@pytest.fixture(scope="module")
def bad_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(tmp_path_factory.mktemp("bad") / "out", "--bad-rows-rate", "0.01")


def test_bad_rows_manifest_covers_every_reason(bad_dir: Path) -> None:
    manifest = pd.read_csv(bad_dir / "_bad_rows.csv", dtype=str, keep_default_na=False)
    assert list(manifest.columns[:3]) == ["table", "row_key", "expected_reason"]
    for table, reasons in REASONS_BY_TABLE.items():
        got = set(manifest.loc[manifest["table"] == table, "expected_reason"])
        assert got == reasons, table
    assert not manifest.duplicated(["table", "row_key"]).any()
    # about rate x rows of each table
    for table in REASONS_BY_TABLE:
        n = len(read(bad_dir, table))
        k = (manifest["table"] == table).sum()
        assert k <= max(2 * len(REASONS_BY_TABLE[table]) + 2, 0.03 * n), table


def test_bad_rows_are_exactly_the_manifest(bad_dir: Path, tiny_dir: Path) -> None:
    manifest = pd.read_csv(bad_dir / "_bad_rows.csv", dtype=str, keep_default_na=False)
    plans = set(read(bad_dir, "plans")["plan_id"])
    tables = {t: read(bad_dir, t) for t in REASONS_BY_TABLE}
    reasons = quarantine(tables, plans)
    for table, frame in tables.items():
        expected = manifest[manifest["table"] == table]
        key_col = KEYS[table][0]
        flagged: dict[str, list[set[str]]] = defaultdict(list)
        markers = frame["company_name"] if "company_name" in frame else frame[key_col]
        for key, marker, why in zip(frame[key_col], markers, reasons[table]):
            if why:
                flagged[key if key != "" else marker].append(why)
        # every manifest row is in the file and is flagged with exactly its reason, and nothing else is flagged
        assert set(flagged) == set(expected["row_key"]), table
        for key, reason in zip(expected["row_key"], expected["expected_reason"]):
            assert all(why == {reason} for why in flagged[key]), (table, key, flagged[key], reason)
            copies = (frame[key_col] == key).sum() if frame[key_col].eq(key).any() else \
                (frame["company_name"] == key).sum()
            assert copies == (2 if reason in ("exact_duplicate", "duplicate_key") else 1), (table, key)
            assert len(flagged[key]) == (2 if reason == "duplicate_key" else 1), (table, key)
        # clean rows are untouched: the clean run's rows plus the injected rows, nothing else
        clean = Counter(map(tuple, read(tiny_dir, table).itertuples(index=False)))
        dirty = Counter(map(tuple, frame.itertuples(index=False)))
        assert not clean - dirty, table
        assert sum((dirty - clean).values()) == len(expected), table
    for table in ("plans", "fx_rates", "marketing_spend"):
        assert (bad_dir / f"{table}.csv").read_bytes() == (tiny_dir / f"{table}.csv").read_bytes()
