#!/usr/bin/env python3
"""Generate a deterministic synthetic SaaS subscription business as landing files.

Writes one file per table (``customers``, ``plans``, ``subscriptions``,
``invoices``, ``events``, ``fx_rates``, ``marketing_spend``) into the output
directory, as ``<table>.csv`` or ``<table>.parquet``, following the raw data
contract of docs/landing-contract.md.  The same arguments always produce
byte-identical files.

Examples::

    python scripts/generate_data.py --scale tiny
    python scripts/generate_data.py --scale demo --end-date 2026-10-31
    python scripts/generate_data.py --scale large            # ~100M events, Parquet
    python scripts/generate_data.py --scale tiny --bad-rows-rate 0.02 --out /tmp/raw

Value formats (CSV and Parquet alike; Parquet columns are UTF-8 strings holding
exactly the CSV text, empty = null): timestamps ``YYYY-MM-DDTHH:MM:SS`` naive
UTC, dates ``YYYY-MM-DD``, money as decimal amounts with two decimals.
"""

from __future__ import annotations

import argparse
import calendar
import math
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

REPO_ROOT = Path(__file__).resolve().parents[1]
DAY = 86_400
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

# --------------------------------------------------------------------------------------
# Contract
# --------------------------------------------------------------------------------------

TABLES: tuple[str, ...] = (
    "customers",
    "plans",
    "subscriptions",
    "invoices",
    "events",
    "fx_rates",
    "marketing_spend",
)
COLUMNS: dict[str, tuple[str, ...]] = {
    "customers": ("customer_id", "created_at", "company_name", "country", "segment", "acquisition_channel"),
    "plans": ("plan_id", "plan_name", "tier", "billing_interval", "list_price", "currency"),
    "subscriptions": (
        "subscription_id", "customer_id", "plan_id", "billing_interval", "amount", "quantity", "currency",
        "status", "period_start", "period_end", "cancel_reason", "canceled_at", "cancel_at", "list_amount",
    ),
    "invoices": (
        "invoice_id", "customer_id", "subscription_id", "issued_at", "period_start", "period_end", "amount_due",
        "amount_paid", "amount_refunded", "currency", "status", "attempt_count", "paid_at",
    ),
    "events": ("event_id", "customer_id", "user_id", "event_name", "occurred_at", "duration_seconds", "feature"),
    "fx_rates": ("currency", "rate_date", "rate_to_reporting"),
    "marketing_spend": ("month", "acquisition_channel", "amount"),
}
MANIFEST_NAME = "_bad_rows.csv"
MANIFEST_COLUMNS = ("table", "row_key", "expected_reason", "detail")
BAD_REASONS = (
    "missing_required", "unknown_customer", "unknown_plan", "end_before_start", "negative_amount",
    "unknown_currency", "unparseable_value", "exact_duplicate", "duplicate_key",
)

SEGMENTS = ("smb", "mid_market", "enterprise")
CHANNELS = ("organic", "paid_search", "paid_social", "partner", "outbound")
PAID_CHANNELS = ("paid_search", "paid_social", "partner", "outbound")
TIERS = ("starter", "growth", "pro", "enterprise")
INTERVALS = ("month", "quarter", "year")
INTERVAL_MONTHS = {"month": 1, "quarter": 3, "year": 12}
CURRENCIES = ("USD", "EUR", "GBP")
# monthly list price per seat, in whole currency units, by currency and tier
MONTHLY_SEAT_PRICE = {"USD": (12, 29, 59, 99), "EUR": (11, 27, 55, 92), "GBP": (10, 24, 47, 79)}
# price of one billing interval relative to one month (quarter: 5% off, year: 15% off)
INTERVAL_PRICE_FACTOR = {"month": 1.0, "quarter": 3 * 0.95, "year": 12 * 0.85}
CANCEL_REASONS = ("too_expensive", "missing_features", "switched_competitor", "no_longer_needed", "poor_support")
CANCEL_REASON_WEIGHTS = (0.28, 0.22, 0.18, 0.22, 0.10)
EVENT_NAMES = ("login", "session", "feature_used")
FEATURES = ("report_export", "dashboard_create", "api_call", "integration_sync", "invite_user", "search")
VALUABLE_FEATURE_WEIGHTS = np.array([0.30, 0.28, 0.24, 0.18])
OTHER_FEATURE_WEIGHTS = np.array([0.35, 0.65])

# (country, weight, billing currency, company suffixes)
COUNTRIES: tuple[tuple[str, float, str, tuple[str, ...]], ...] = (
    ("US", 34, "USD", ("Inc", "LLC", "Corp")),
    ("CA", 5, "USD", ("Inc", "Ltd")),
    ("AU", 4, "USD", ("Pty Ltd",)),
    ("BR", 2, "USD", ("Ltda",)),
    ("IN", 3, "USD", ("Pvt Ltd",)),
    ("JP", 2, "USD", ("KK",)),
    ("SG", 2, "USD", ("Pte Ltd",)),
    ("GB", 12, "GBP", ("Ltd", "plc")),
    ("DE", 9, "EUR", ("GmbH", "AG")),
    ("FR", 7, "EUR", ("SAS", "SA")),
    ("NL", 5, "EUR", ("BV",)),
    ("ES", 3, "EUR", ("SL",)),
    ("IT", 3, "EUR", ("Srl",)),
    ("IE", 2, "EUR", ("Ltd",)),
    ("SE", 2, "EUR", ("AB",)),
    ("BE", 1, "EUR", ("BV", "SA")),
    ("AT", 1, "EUR", ("GmbH",)),
)
NAME_FIRST = (
    "Blue", "Bright", "North", "Silver", "Quantum", "Granite", "Maple", "Cedar", "Harbor", "Summit", "Nimbus",
    "Copper", "Vertex", "Atlas", "Crimson", "Lumen", "Orbit", "Prairie", "Redwood", "Stellar", "Tidal", "Velvet",
    "Willow", "Zenith", "Amber", "Cobalt", "Delta", "Ember", "Falcon", "Golden", "Iron", "Juniper", "Kestrel",
    "Lotus", "Meridian", "Nova", "Onyx", "Pioneer", "Quartz", "River", "Sable", "Terra", "Umbra", "Vista",
)
NAME_SECOND = (
    "Analytics", "Logistics", "Labs", "Systems", "Foods", "Health", "Media", "Robotics", "Energy", "Finance",
    "Studios", "Partners", "Networks", "Retail", "Ventures", "Works", "Dynamics", "Solutions", "Freight",
    "Clinics", "Software", "Insights", "Capital", "Design", "Learning", "Mobility", "Security", "Travel",
)

# per-segment behaviour parameters (rates are per month unless noted)
SEGMENT_PARAMS: dict[str, dict] = {
    "smb": dict(
        weight=0.64, vol_churn=0.030, hard_fail=0.010, soft_fail=0.035, trial=0.55, seats=(1, 6),
        tier_w=(55, 35, 10, 0), interval_w=(80, 8, 12), discounts=((0, 85), (10, 10), (20, 5)),
        pause=0.006, upgrade=0.025, downgrade=0.010, annual_switch=0.010, addon=0.01, net_terms=0.0,
        cac=450.0,
    ),
    "mid_market": dict(
        weight=0.28, vol_churn=0.018, hard_fail=0.005, soft_fail=0.025, trial=0.45, seats=(4, 16),
        tier_w=(5, 45, 45, 5), interval_w=(60, 15, 25), discounts=((0, 60), (10, 25), (15, 15)),
        pause=0.004, upgrade=0.030, downgrade=0.012, annual_switch=0.012, addon=0.05, net_terms=0.3,
        cac=1600.0,
    ),
    "enterprise": dict(
        weight=0.08, vol_churn=0.009, hard_fail=0.002, soft_fail=0.015, trial=0.15, seats=(15, 45),
        tier_w=(0, 0, 40, 60), interval_w=(30, 20, 50), discounts=((0, 30), (10, 25), (15, 20), (20, 15), (25, 10)),
        pause=0.0, upgrade=0.030, downgrade=0.010, annual_switch=0.015, addon=0.08, net_terms=0.9,
        cac=6500.0,
    ),
}
CHANNEL_WEIGHTS = {  # by segment
    "smb": (0.40, 0.28, 0.20, 0.07, 0.05),
    "mid_market": (0.30, 0.25, 0.10, 0.15, 0.20),
    "enterprise": (0.15, 0.10, 0.03, 0.22, 0.50),
}
CHANNEL_CAC_FACTOR = {"paid_search": 1.0, "paid_social": 0.8, "partner": 1.2, "outbound": 1.5}

# behaviours forced onto a few customers so that every scale shows each of them
PRIMARY_BEHAVIOURS = (  # (name, minimum customer age in days)
    ("winback", 340), ("vol_fade", 330), ("mid_cancel", 260), ("pause_resume", 220), ("dip", 220),
    ("steady", 170), ("forgotten", 200), ("concurrent", 160), ("pause_cancel", 160), ("invol", 160),
    ("vol_nofade", 200), ("trial_expire", 30), ("never", 0),
)
SECONDARY_BEHAVIOURS = (
    "upgrade", "downgrade", "seats_up", "seats_down", "annual_switch", "soft_fail", "quarterly", "annual",
    "underutil",
)


@dataclass(frozen=True)
class ScaleConfig:
    """Default sizes of one named scale."""

    customers: int
    months: int
    fmt: str
    force_min: int


SCALES: dict[str, ScaleConfig] = {
    "tiny": ScaleConfig(customers=150, months=18, fmt="csv", force_min=3),
    "demo": ScaleConfig(customers=2_000, months=36, fmt="csv", force_min=3),
    "large": ScaleConfig(customers=100_000, months=36, fmt="parquet", force_min=3),
}

# random-stream identifiers (one independent numpy stream per purpose)
STREAM_CUSTOMERS, STREAM_FORCE, STREAM_EVENTS, STREAM_FX, STREAM_MARKETING, STREAM_BAD = 1, 2, 3, 4, 5, 6
#: seed offset of the random.Random that draws the committed-MRR and discount
#: behaviours (join-and-leave, notice before a cancellation, scheduled
#: cancellations, signed future upgrades, expiring coupons); apart from the
#: main lifecycle stream so that adding them left every other draw as it was
EXTRAS_SEED_OFFSET = 23


def _rng(seed: int, stream: int, *extra: int) -> np.random.Generator:
    """An independent, reproducible numpy generator for one purpose."""
    return np.random.default_rng([seed, stream, *extra])


# --------------------------------------------------------------------------------------
# Time helpers (all instants are int seconds since the Unix epoch, naive UTC)
# --------------------------------------------------------------------------------------


def day_start(d: date) -> int:
    """Epoch seconds of midnight UTC starting day `d`."""
    return (d.toordinal() - EPOCH_ORDINAL) * DAY


def add_months_anchor(anchor: int, months: int) -> int:
    """`anchor` moved by whole calendar months, keeping time of day; the day is clamped to the month length."""
    days, sod = divmod(anchor, DAY)
    d = date.fromordinal(days + EPOCH_ORDINAL)
    total = d.month - 1 + months
    year, month = d.year + total // 12, total % 12 + 1
    dom = min(d.day, calendar.monthrange(year, month)[1])
    return day_start(date(year, month, dom)) + sod


def month_start(d: date, delta: int = 0) -> date:
    """First day of the month `delta` months after the month of `d`."""
    total = d.month - 1 + delta
    return date(d.year + total // 12, total % 12 + 1, 1)


def format_timestamps(seconds: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """ISO-8601 `YYYY-MM-DDTHH:MM:SS` strings for epoch seconds (null where `null`)."""
    arr = pa.array(np.asarray(seconds, dtype=np.int64), type=pa.timestamp("s"),
                   mask=None if null is None else np.asarray(null, dtype=bool))
    return pc.replace_substring(arr.cast(pa.string()), " ", "T")


def format_dates(days: np.ndarray) -> pa.Array:
    """`YYYY-MM-DD` strings for epoch day numbers."""
    return pa.array(np.asarray(days, dtype=np.int32), type=pa.date32()).cast(pa.string())


def format_money(cents: np.ndarray) -> pa.Array:
    """Decimal strings with two decimals for integer cents (any sign)."""
    cents = np.asarray(cents, dtype=np.int64)
    neg = cents < 0
    a = np.abs(cents)
    whole = pa.array(a // 100).cast(pa.string())
    frac = pc.utf8_lpad(pa.array(a % 100).cast(pa.string()), 2, "0")
    text = pc.binary_join_element_wise(whole, frac, ".")
    if neg.any():
        text = pc.if_else(pa.array(neg), pc.binary_join_element_wise("-", text, ""), text)
    return text


def format_ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """IDs like `C000001`: prefix + zero-padded number."""
    digits = pc.utf8_lpad(pa.array(np.asarray(numbers, dtype=np.int64)).cast(pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


def format_ints(values: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """Integer strings (null where `null`)."""
    return pa.array(np.asarray(values, dtype=np.int64),
                    mask=None if null is None else np.asarray(null, dtype=bool)).cast(pa.string())


def _parse_ts(text: str) -> int:
    """Epoch seconds of a naive `YYYY-MM-DDTHH:MM:SS` string."""
    ts = datetime.fromisoformat(text)
    return day_start(ts.date()) + ts.hour * 3600 + ts.minute * 60 + ts.second


def _fmt_ts(seconds: int) -> str:
    """`YYYY-MM-DDTHH:MM:SS` for epoch seconds."""
    days, sod = divmod(int(seconds), DAY)
    d = date.fromordinal(days + EPOCH_ORDINAL)
    return f"{d.isoformat()}T{sod // 3600:02d}:{sod // 60 % 60:02d}:{sod % 60:02d}"


# --------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------


@dataclass
class Config:
    """Everything that determines the generated files."""

    scale: str
    customers: int
    seed: int
    out: Path
    fmt: str
    end_date: date
    months: int
    bad_rows_rate: float
    tz_offset_rows: int
    quiet: bool
    force_min: int

    @property
    def start_date(self) -> date:
        """First day of the history."""
        return month_start(self.end_date, -(self.months - 1))

    @property
    def start_s(self) -> int:
        return day_start(self.start_date)

    @property
    def end_s(self) -> int:
        """Exclusive end of the history: midnight after `end_date`."""
        return day_start(self.end_date) + DAY


class Reporter:
    """Progress and per-table summary lines (stderr / stdout)."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.t0 = time.perf_counter()
        self.last = self.t0

    def progress(self, message: str) -> None:
        if not self.quiet:
            print(f"[generate_data] {message}", file=sys.stderr, flush=True)

    def table(self, name: str, rows: int, path: Path, bad: int = 0) -> None:
        now = time.perf_counter()
        if not self.quiet:
            extra = f" (incl. {bad:,} bad)" if bad else ""
            print(f"{name:<16} {rows:>12,} rows{extra:<22} {now - self.last:7.1f}s  -> {path}", flush=True)
        self.last = now

    def done(self) -> None:
        if not self.quiet:
            print(f"{'total':<16} {'':>12}      {'':<22} {time.perf_counter() - self.t0:7.1f}s", flush=True)


# --------------------------------------------------------------------------------------
# Customers
# --------------------------------------------------------------------------------------


@dataclass
class Customers:
    """Customer attributes as parallel arrays (index = customer number - 1)."""

    created: np.ndarray  # int64 epoch seconds, ascending
    segment: np.ndarray  # int8 index into SEGMENTS
    country: np.ndarray  # int16 index into COUNTRIES
    channel: np.ndarray  # int8 index into CHANNELS
    company: list[str]

    def __len__(self) -> int:
        return len(self.created)

    def currency(self, i: int) -> str:
        return COUNTRIES[self.country[i]][2]


def make_customers(cfg: Config) -> Customers:
    """Signups spread over the whole history, growing over time (~3x from first to last month)."""
    rng = _rng(cfg.seed, STREAM_CUSTOMERS)
    n = cfg.customers
    span = cfg.end_s - cfg.start_s
    growth = math.log(3.0)
    u = np.sort(rng.random(n))
    frac = np.log1p(u * (math.exp(growth) - 1.0)) / growth
    created = cfg.start_s + np.floor(frac * (span - 1)).astype(np.int64)
    created = np.minimum(created, cfg.end_s - 1)
    segment = rng.choice(len(SEGMENTS), size=n, p=[SEGMENT_PARAMS[s]["weight"] for s in SEGMENTS]).astype(np.int8)
    w = np.array([c[1] for c in COUNTRIES], dtype=float)
    country = rng.choice(len(COUNTRIES), size=n, p=w / w.sum()).astype(np.int16)
    channel = np.empty(n, dtype=np.int8)
    for s, name in enumerate(SEGMENTS):
        idx = np.flatnonzero(segment == s)
        channel[idx] = rng.choice(len(CHANNELS), size=len(idx), p=CHANNEL_WEIGHTS[name])
    first = rng.integers(0, len(NAME_FIRST), n)
    second = rng.integers(0, len(NAME_SECOND), n)
    suffix_pick = rng.random(n)
    company = []
    for i in range(n):
        suffixes = COUNTRIES[country[i]][3]
        company.append(f"{NAME_FIRST[first[i]]} {NAME_SECOND[second[i]]} "
                       f"{suffixes[int(suffix_pick[i] * len(suffixes))]}")
    return Customers(created=created, segment=segment, country=country, channel=channel, company=company)


def customers_table(cust: Customers) -> pa.Table:
    n = len(cust)
    return pa.table({
        "customer_id": format_ids("C", np.arange(1, n + 1), 6),
        "created_at": format_timestamps(cust.created),
        "company_name": pa.array(cust.company, type=pa.string()),
        "country": pa.array([COUNTRIES[c][0] for c in cust.country], type=pa.string()),
        "segment": pa.array(SEGMENTS, type=pa.string()).take(pa.array(cust.segment.astype(np.int32))),
        "acquisition_channel": pa.array(CHANNELS, type=pa.string()).take(pa.array(cust.channel.astype(np.int32))),
    })


# --------------------------------------------------------------------------------------
# Plans
# --------------------------------------------------------------------------------------


def plan_id(tier: int, interval: str, currency: str) -> str:
    return f"{TIERS[tier]}_{interval}_{currency.lower()}"


def list_price_cents(tier: int, interval: str, currency: str) -> int:
    """Price per seat per billing interval, in cents."""
    return int(round(MONTHLY_SEAT_PRICE[currency][tier] * 100 * INTERVAL_PRICE_FACTOR[interval]))


def plans_table() -> pa.Table:
    rows = [(tier, interval, cur) for cur in CURRENCIES for tier in range(len(TIERS)) for interval in INTERVALS]
    label = {"month": "monthly", "quarter": "quarterly", "year": "annual"}
    return pa.table({
        "plan_id": pa.array([plan_id(t, i, c) for t, i, c in rows], type=pa.string()),
        "plan_name": pa.array([f"{TIERS[t].capitalize()} ({label[i]}, {c})" for t, i, c in rows], type=pa.string()),
        "tier": pa.array([TIERS[t] for t, _, _ in rows], type=pa.string()),
        "billing_interval": pa.array([i for _, i, _ in rows], type=pa.string()),
        "list_price": format_money(np.array([list_price_cents(t, i, c) for t, i, c in rows])),
        "currency": pa.array([c for _, _, c in rows], type=pa.string()),
    })


# --------------------------------------------------------------------------------------
# Subscription lifecycle simulation (per customer state machine)
# --------------------------------------------------------------------------------------

ST_TRIALING, ST_ACTIVE, ST_PAST_DUE, ST_PAUSED, ST_CANCELED = "trialing", "active", "past_due", "paused", "canceled"
USAGE_STATUSES = frozenset({ST_TRIALING, ST_ACTIVE, ST_PAST_DUE, ST_CANCELED})


@dataclass(slots=True)
class SubRow:
    """One period of a subscription with constant plan, price, quantity and status."""

    sub: int  # provisional subscription number (renumbered later)
    cust: int
    tier: int
    interval: str
    currency: str
    amount: int  # cents per billing interval
    quantity: int
    status: str
    start: int
    end: int | None
    reason: str = ""
    involuntary: bool = False
    list_amount: int | None = None  # cents per billing interval before discounts (paid periods)
    canceled_at: int | None = None  # when the cancellation was requested (final row)
    cancel_at: int | None = None  # when it takes effect
    signed: bool = False  # a period starting after the end date, already signed (kept past it)
    keep_end: bool = False  # its end is the start of such a signed period


@dataclass(slots=True)
class Invoice:
    """One invoice with its full (untruncated) payment story."""

    cust: int
    sub: int
    issued: int
    pstart: int
    pend: int
    due: int
    currency: str
    outcome: str  # paid | failed | uncollectible | void | pending (paid_at decides)
    attempts: tuple[int, ...]  # attempt times
    paid_at: int | None
    refund: int = 0
    refund_at: int | None = None


@dataclass
class SubPlan:
    """Behaviour knobs of one subscription, drawn before simulating it."""

    start: int
    tier: int
    interval: str
    seats: int
    discount: int  # percent
    currency: str
    trial: bool = False
    trial_converts: bool = True
    vol_churn_at: float = math.inf
    cancel_reason: str = "too_expensive"
    mid_period_cancel: bool = False
    hard_fail_rate: float = 0.0
    soft_fail_rate: float = 0.0
    forced_hard_fail: int = -1  # index of the paid invoice that fails for good
    forced_soft_fail: int = -1
    changes: list[tuple[int, str]] = field(default_factory=list)
    pause: tuple[int, int, bool] | None = None  # (time, months, resumes)
    annual_switch_at: float = math.inf
    net_terms: bool = False
    end_limit: float = math.inf  # an add-on ends no later than its parent subscription
    end_limit_reason: str = "no_longer_needed"
    fail_status: str = ""  # final status of a hard-failed invoice (drawn when empty)
    coupon: int = 0  # percent off during the first coupon_periods billing periods (an expiring coupon)
    coupon_periods: int = 0
    notice_days: int = 0  # a voluntary cancellation at a period end is requested this many days ahead
    future_change: str = ""  # running at the end date: "upgrade" signed for the next renewal, or "cancel"


@dataclass
class SubOutcome:
    """How a simulated subscription ended (before truncation at the end date)."""

    kind: str  # running | voluntary | involuntary | trial_expired | paused_cancel
    end: float  # end instant (inf when running)
    paid_start: float  # start of the first paid period (inf if never paid)


@dataclass(slots=True)
class UsageProfile:
    """What the event generator needs to know about one customer."""

    intervals: list[tuple[int, int, int, float]] = field(default_factory=list)  # start, end, seats, base level
    mods: list[tuple[str, int, int, float]] = field(default_factory=list)  # kind, start, end, param
    util: float = 0.8
    trickle: list[int] = field(default_factory=list)  # extra login instants after the end


def _amount(tier: int, interval: str, currency: str, seats: int, discount: int) -> int:
    """Total price per billing interval in cents after the discount (half-up)."""
    raw = list_price_cents(tier, interval, currency) * seats * (100 - discount)
    return (raw + 50) // 100


class LifecycleSimulator:
    """Simulates subscriptions and invoices of one customer at a time."""

    def __init__(self, cfg: Config, cust: Customers) -> None:
        self.cfg = cfg
        self.cust = cust
        self.rows: list[SubRow] = []
        self.invoices: list[Invoice] = []
        self.next_sub = 0
        self.end_s = cfg.end_s

    # -- helpers -------------------------------------------------------------------

    @staticmethod
    def _boundary(anchor: int, k: int, interval: str) -> int:
        return add_months_anchor(anchor, k * INTERVAL_MONTHS[interval])

    def _pay_delay(self, rng: random.Random, net_terms: bool) -> int:
        if net_terms:
            return int(rng.uniform(2, 28) * DAY)
        return rng.randint(5, 600)

    # -- one subscription ----------------------------------------------------------

    def simulate(self, c: int, sp: SubPlan, rng: random.Random) -> SubOutcome:
        """Append the rows and invoices of one subscription; return how it ended."""
        sub = self.next_sub
        self.next_sub += 1
        rows: list[SubRow] = []
        horizon = self.end_s
        t = sp.start
        state = {"tier": sp.tier, "interval": sp.interval, "seats": sp.seats, "discount": sp.discount,
                 "coupon": sp.coupon}

        def amount() -> int:
            return _amount(state["tier"], state["interval"], sp.currency, state["seats"],
                           state["discount"] + state["coupon"])

        def add(status: str, start: int, end: int | None, amt: int | None = None, reason: str = "",
                invol: bool = False) -> None:
            listed = _amount(state["tier"], state["interval"], sp.currency, state["seats"], 0) if amt is None else None
            rows.append(SubRow(sub, c, state["tier"], state["interval"], sp.currency,
                               amount() if amt is None else amt, state["seats"], status, start, end, reason, invol,
                               listed))

        if sp.trial:
            trial_end = t + 14 * DAY
            if not sp.trial_converts:
                add(ST_TRIALING, t, trial_end, amt=0, reason="trial_expired")
                self.rows.extend(rows)
                return SubOutcome("trial_expired", trial_end, math.inf)
            add(ST_TRIALING, t, trial_end, amt=0)
            t = trial_end
        paid_start = t
        anchor, k = t, 0
        coupon_until = self._boundary(anchor, sp.coupon_periods, state["interval"]) if sp.coupon else math.inf
        seg_start, seg_status = t, ST_ACTIVE
        b = t
        n_inv = 0
        changes = sorted(sp.changes)
        pause = sp.pause
        outcome: SubOutcome | None = None

        def close(at: int) -> None:
            nonlocal seg_start
            if at > seg_start:
                add(seg_status, seg_start, at)
                seg_start = at

        while outcome is None:
            if b >= horizon:
                if sp.future_change == "upgrade" and seg_start < b:
                    # signed before the end date, effective at the next renewal (b)
                    close(b)
                    rows[-1].keep_end = True
                    if state["tier"] < len(TIERS) - 1:
                        state["tier"] += 1
                    else:
                        state["seats"] *= 2
                    seg_status = ST_ACTIVE
                    add(seg_status, b, None)
                    rows[-1].signed = True
                elif sp.future_change == "cancel" and seg_start < horizon:
                    # requested before the end date, effective at the next renewal (b)
                    add(seg_status, seg_start, None)
                    rows[-1].canceled_at = max(paid_start, horizon - max(1, sp.notice_days) * DAY)
                    rows[-1].cancel_at = b
                else:
                    add(seg_status, seg_start, None)
                outcome = SubOutcome("running", math.inf, paid_start)
                break
            if state["coupon"] and b >= coupon_until:  # the coupon expires: full price from here
                close(b)
                state["coupon"] = 0
            if sp.end_limit <= b:  # add-on ends together with its parent
                close(b)
                rows[-1].status, rows[-1].end, rows[-1].reason = ST_CANCELED, b, sp.end_limit_reason
                outcome = SubOutcome("voluntary", b, paid_start)
                break
            # pause at a billing boundary
            if pause is not None and pause[0] <= b and n_inv > 0:
                _, months, resumes = pause
                pause = None
                close(b)
                pause_end = add_months_anchor(b, months)
                if resumes:
                    add(ST_PAUSED, b, pause_end, amt=0)
                    anchor, k, b = pause_end, 0, pause_end
                    seg_start, seg_status = pause_end, ST_ACTIVE
                    changes = [ch for ch in changes if ch[0] > pause_end]
                    continue
                add(ST_PAUSED, b, pause_end, amt=0, reason=sp.cancel_reason)
                outcome = SubOutcome("paused_cancel", pause_end, paid_start)
                break
            # monthly -> annual switch at a billing boundary
            if state["interval"] == "month" and sp.annual_switch_at <= b:
                close(b)
                state["interval"] = "year"
                anchor, k = b, 0
            nb = self._boundary(anchor, k + 1, state["interval"])
            due = amount()
            hard = n_inv == sp.forced_hard_fail or (sp.forced_hard_fail < 0 and rng.random() < sp.hard_fail_rate)
            soft = not hard and (n_inv == sp.forced_soft_fail or rng.random() < sp.soft_fail_rate)
            n_inv += 1
            if hard:
                gaps = (0, 3 * DAY + rng.randint(0, 7200), 5 * DAY + rng.randint(0, 7200),
                        7 * DAY + rng.randint(0, 7200))
                attempts = tuple(b + sum(gaps[: i + 1]) for i in range(4))
                cancel_at = attempts[3] + rng.randint(1, 3) * DAY
                status = sp.fail_status or ("uncollectible" if rng.random() < 0.7 else "failed")
                self.invoices.append(Invoice(c, sub, b, b, nb, due, sp.currency, status, attempts, None))
                close(b)
                seg_status = ST_PAST_DUE
                close(attempts[2])
                add(ST_CANCELED, attempts[2], cancel_at, reason="payment_failed", invol=True)
                outcome = SubOutcome("involuntary", cancel_at, paid_start)
                break
            if soft:
                n_att = rng.choice((2, 2, 3))
                gaps = (0, 3 * DAY + rng.randint(0, 7200), 5 * DAY + rng.randint(0, 7200))
                attempts = tuple(b + sum(gaps[: i + 1]) for i in range(n_att))
                recovered = attempts[-1] + rng.randint(1, 300)
                self.invoices.append(Invoice(c, sub, b, b, nb, due, sp.currency, "paid", attempts, recovered))
                close(b)
                seg_status = ST_PAST_DUE
                close(recovered)
                seg_status = ST_ACTIVE
            else:
                paid_at = b + self._pay_delay(rng, sp.net_terms)
                inv = Invoice(c, sub, b, b, nb, due, sp.currency, "paid", (b,), paid_at)
                if rng.random() < 0.01:  # goodwill / partial refund
                    inv.refund = max(1, int(due * rng.choice((0.1, 0.25, 0.5, 1.0))))
                    inv.refund_at = paid_at + rng.randint(1, 20) * DAY
                if rng.random() < 0.004:  # issued by mistake, voided, re-issued
                    self.invoices.append(Invoice(c, sub, b, b, nb, due, sp.currency, "void", (b,), None))
                self.invoices.append(inv)
            # plan / seat changes inside the billing period
            while changes and changes[0][0] < nb and changes[0][0] < sp.vol_churn_at:
                tc, kind = changes.pop(0)
                if tc <= seg_start or tc >= horizon:
                    continue
                old = amount()
                if kind == "upgrade" and state["tier"] < len(TIERS) - 1:
                    state_change = ("tier", state["tier"] + 1)
                elif kind == "downgrade" and state["tier"] > 0:
                    state_change = ("tier", state["tier"] - 1)
                elif kind == "seats_up":
                    state_change = ("seats", state["seats"] + max(1, int(state["seats"] * rng.uniform(0.1, 0.5))))
                elif kind == "seats_down" and state["seats"] > 1:
                    cut = max(1, int(state["seats"] * rng.uniform(0.1, 0.4)))
                    state_change = ("seats", max(1, state["seats"] - cut))
                else:
                    continue
                close(tc)
                state[state_change[0]] = state_change[1]
                new = amount()
                if new > old:  # proration invoice for the rest of the period
                    prorated = int((new - old) * (nb - tc) / (nb - b))
                    if prorated > 0:
                        self.invoices.append(Invoice(c, sub, tc, tc, nb, prorated, sp.currency, "paid", (tc,),
                                                     tc + self._pay_delay(rng, sp.net_terms)))
            limit = min(sp.vol_churn_at, sp.end_limit)
            if limit < nb:
                reason = sp.cancel_reason if sp.vol_churn_at <= sp.end_limit else sp.end_limit_reason
                mid = sp.mid_period_cancel or sp.end_limit < sp.vol_churn_at
                end = int(limit) if mid and limit > seg_start else nb
                add(ST_CANCELED, seg_start, end, reason=reason)
                if end == nb and sp.notice_days:  # requested when decided, effective at the period end
                    rows[-1].canceled_at = max(paid_start, min(int(limit), end - DAY))
                    rows[-1].cancel_at = end
                if end < nb and self.invoices and self.invoices[-1].sub == sub and rng.random() < 0.5:
                    last = self.invoices[-1]
                    if last.outcome == "paid" and last.refund == 0 and last.pstart == b:
                        last.refund = int(last.due * (nb - end) / (nb - b))
                        last.refund_at = end
                outcome = SubOutcome("voluntary", end, paid_start)
                break
            b, k = nb, k + 1
        self.rows.extend(rows)
        return outcome


# --------------------------------------------------------------------------------------
# Behaviour assignment
# --------------------------------------------------------------------------------------


def assign_forced(cfg: Config, cust: Customers) -> tuple[dict[int, str], dict[int, set[str]]]:
    """Pick a few customers per behaviour so that every behaviour shows up at every scale."""
    rng = _rng(cfg.seed, STREAM_FORCE)
    age_days = (cfg.end_s - cust.created) / DAY
    primary: dict[int, str] = {}
    counts = {name: cfg.force_min for name, _ in PRIMARY_BEHAVIOURS}
    counts["vol_fade"] = cfg.force_min + 2
    counts["vol_nofade"] = 1
    for name, min_age in PRIMARY_BEHAVIOURS:
        pool = np.flatnonzero(age_days >= min_age)
        pool = np.array([i for i in pool if i not in primary], dtype=np.int64)
        if name == "concurrent":
            pool = pool[cust.segment[pool] > 0] if (cust.segment[pool] > 0).sum() >= counts[name] else pool
        take = rng.permutation(pool)[: counts[name]]
        for i in take:
            primary[int(i)] = name
    secondary: dict[int, set[str]] = {}
    hosts = [i for i, p in primary.items() if p in ("steady", "dip", "concurrent")]
    pool = np.flatnonzero(age_days >= 170)
    pool = np.array([i for i in pool if i not in primary], dtype=np.int64)
    free = list(rng.permutation(pool))
    for name in SECONDARY_BEHAVIOURS:
        for _ in range(cfg.force_min):
            if free:
                i = int(free.pop())
                primary[i] = "natural_subscriber"
            elif hosts:
                i = hosts[int(rng.integers(len(hosts)))]
            else:
                break
            secondary.setdefault(i, set()).add(name)
    return primary, secondary


def _weighted(rng: random.Random, items: Sequence, weights: Sequence[float]):
    return rng.choices(items, weights=weights, k=1)[0]


def simulate_lifecycles(cfg: Config, cust: Customers,
                        rep: Reporter) -> tuple[LifecycleSimulator, list[UsageProfile | None]]:
    """Run the per-customer state machine for every customer."""
    sim = LifecycleSimulator(cfg, cust)
    primary, secondary = assign_forced(cfg, cust)
    rng = random.Random(cfg.seed * 1_000_003 + 11)
    xrng = random.Random(cfg.seed * 1_000_003 + EXTRAS_SEED_OFFSET)
    n_never = n_steady = 0
    profiles: list[UsageProfile | None] = []
    end_s = cfg.end_s
    n_forced_invol = 0
    month = 30.44 * DAY
    n = len(cust)
    report_every = max(1, n // 10)
    for c in range(n):
        if c % report_every == 0 and c:
            rep.progress(f"lifecycles {c:,}/{n:,}")
        seg = SEGMENTS[cust.segment[c]]
        P = SEGMENT_PARAMS[seg]
        forced = primary.get(c, "natural")
        extras = secondary.get(c, set())
        created = int(cust.created[c])
        currency = cust.currency(c)
        # --- natural draws (always drawn, in a fixed order, so streams stay aligned) ---
        never = rng.random() < 0.10
        start = created + int(rng.uniform(0.0, 10.0) * DAY)
        trial = rng.random() < P["trial"]
        converts = rng.random() < 0.70
        tier = _weighted(rng, range(4), P["tier_w"])
        interval = _weighted(rng, INTERVALS, P["interval_w"])
        lo, hi = P["seats"]
        seats = min(hi * 2, lo + int(rng.expovariate(1.0 / max(1.0, (hi - lo) / 2.5))))
        discount = _weighted(rng, [d for d, _ in P["discounts"]], [w for _, w in P["discounts"]])
        vol_after = rng.expovariate(P["vol_churn"]) * month
        fade = rng.random() < 0.9
        fade_weeks = rng.uniform(6.0, 12.0)
        fade_floor = rng.uniform(0.03, 0.2)
        mid_cancel = rng.random() < 0.12
        reason = _weighted(rng, CANCEL_REASONS, CANCEL_REASON_WEIGHTS)
        pause_after = rng.expovariate(P["pause"]) * month if P["pause"] > 0 else math.inf
        pause_months = rng.randint(1, 3)
        pause_resumes = rng.random() < 0.75
        switch_after = rng.expovariate(P["annual_switch"]) * month
        forgotten = rng.random() < 0.03
        forget_after = rng.uniform(0.0, 60.0) * DAY
        dip = rng.random() < 0.10
        dip_pos = rng.random()
        dip_len = rng.uniform(3.0, 6.0) * 7 * DAY
        dip_depth = rng.uniform(0.15, 0.35)
        winback = rng.random() < 0.20
        winback_gap = rng.uniform(60.0, 300.0) * DAY
        addon = rng.random() < P["addon"]
        addon_after = rng.uniform(30.0, 240.0) * DAY
        underutil = rng.random() < 0.15
        util = rng.uniform(0.15, 0.45) if underutil else rng.uniform(0.6, 1.0)
        trickle = rng.random() < 0.15
        net_terms = rng.random() < P["net_terms"]
        # committed-MRR and discount behaviours (own stream, always drawn in this order)
        x_coupon = xrng.random() < 0.25
        x_coupon_pct = xrng.choice((10, 20, 25, 50))
        x_coupon_periods = xrng.choice((1, 2, 3, 6))
        x_notice = xrng.random() < 0.6
        x_future = xrng.random()
        x_notice_days = xrng.randint(3, 25)
        x_stay_days = xrng.uniform(5.0, 15.0)
        x_reason = _weighted(xrng, CANCEL_REASONS, CANCEL_REASON_WEIGHTS)
        changes: list[tuple[int, str]] = []
        rate = P["upgrade"] + P["downgrade"]
        tc = start + rng.expovariate(rate) * month
        while tc < end_s:
            kind = rng.choices(("upgrade", "seats_up", "downgrade", "seats_down"),
                               weights=(P["upgrade"] * 0.5, P["upgrade"] * 0.5,
                                        P["downgrade"] * 0.5, P["downgrade"] * 0.5))[0]
            changes.append((int(tc), kind))
            tc += rng.expovariate(rate) * month
        # --- forced behaviours ---
        hard_rate, soft_rate = P["hard_fail"], P["soft_fail"]
        forced_hard = forced_soft = -1
        pause = (int(start + pause_after), pause_months, pause_resumes) if pause_after < end_s else None
        if forced != "natural":
            never = forced == "never"
            if forced != "trial_expire":
                converts = True
            else:
                trial, converts = True, False
            if forced in ("vol_fade", "winback", "mid_cancel", "pause_resume", "pause_cancel", "vol_nofade", "invol"):
                interval, switch_after = "month", math.inf
            if forced in ("steady", "forgotten", "dip", "concurrent", "pause_resume", "natural_subscriber",
                          "invol"):
                vol_after = math.inf
                winback = False
            if forced in ("steady", "forgotten", "dip", "concurrent", "vol_fade", "winback", "mid_cancel",
                          "pause_resume", "pause_cancel", "vol_nofade"):
                hard_rate = 0.0
            if forced != "natural_subscriber":
                pause = None
            forgotten = forced == "forgotten"
            dip = forced == "dip"
            if forced == "vol_fade":
                vol_after, fade, mid_cancel = rng.uniform(170.0, 250.0) * DAY, True, False
            elif forced == "vol_nofade":
                vol_after, fade, mid_cancel = rng.uniform(120.0, 170.0) * DAY, False, False
            elif forced == "winback":
                vol_after, fade, mid_cancel = rng.uniform(60.0, 110.0) * DAY, True, False
                winback, winback_gap = True, rng.uniform(45.0, 100.0) * DAY
            elif forced == "mid_cancel":
                vol_after, mid_cancel = rng.uniform(100.0, 200.0) * DAY, True
            elif forced == "invol":
                n_forced_invol += 1
                forced_hard = rng.randint(2, 4)
                hard_rate = 0.0
                interval = "month"
            elif forced in ("pause_resume", "pause_cancel"):
                pause = (int(start + rng.uniform(60.0, 110.0) * DAY), rng.randint(1, 2), forced == "pause_resume")
                if forced == "pause_resume":
                    vol_after = math.inf
            elif forced == "concurrent":
                addon, addon_after = True, rng.uniform(30.0, 90.0) * DAY
            if forced in ("steady", "forgotten", "natural_subscriber"):
                dip = False
            if forced in ("steady", "forgotten"):
                changes = []
                underutil, util = False, rng.uniform(0.6, 1.0)
            if forced == "natural_subscriber":
                vol_after = math.inf
                hard_rate = 0.0
        for extra in extras:
            if extra in ("upgrade", "downgrade", "seats_up", "seats_down"):
                tier = {"upgrade": min(tier, 2), "downgrade": max(tier, 1)}.get(extra, tier)
                seats = max(seats, 3) if extra == "seats_down" else seats
                changes.append((int(start + 14 * DAY + rng.uniform(40.0, 120.0) * DAY), extra))
            elif extra == "annual_switch":
                interval, switch_after = "month", rng.uniform(40.0, 120.0) * DAY
            elif extra == "soft_fail":
                forced_soft = rng.randint(1, 3)
            elif extra == "quarterly" and "annual_switch" not in extras:
                interval = "quarter"
            elif extra == "annual" and "annual_switch" not in extras:
                interval = "year"
            elif extra == "underutil":
                underutil, util = True, rng.uniform(0.15, 0.4)
        if forgotten:
            vol_after, hard_rate, pause, changes, dip = math.inf, 0.0, None, [], False
            forced_hard = -1
        if never and forced == "natural":
            # every third customer who never subscribes for good joins and leaves inside one
            # month: a monthly subscription from the 1st-12th, canceled 5-15 days later
            n_never += 1
            join = date.fromordinal(EPOCH_ORDINAL + (created + DAY) // DAY)
            j_start = created + DAY if join.day <= 12 else day_start(month_start(join, 1)) + DAY + created % DAY
            if n_never % 3 == 1 and j_start + 20 * DAY < end_s:
                j_sp = SubPlan(start=j_start, tier=tier, interval="month", seats=seats, discount=discount,
                               currency=currency, vol_churn_at=j_start + x_stay_days * DAY, cancel_reason=x_reason,
                               mid_period_cancel=True)
                sim.simulate(c, j_sp, xrng)
        if never or start >= end_s:
            profiles.append(None)
            continue
        future_change = "upgrade" if x_future < 0.03 else "cancel" if x_future < 0.06 else ""
        if forced == "steady":
            n_steady += 1
            future_change = {1: "upgrade", 2: "cancel"}.get(n_steady, future_change)
        coupon = x_coupon_pct if x_coupon and discount == 0 else 0
        sp = SubPlan(
            start=start, tier=tier, interval=interval, seats=seats, discount=discount, currency=currency,
            trial=trial, trial_converts=converts, vol_churn_at=start + vol_after, cancel_reason=reason,
            mid_period_cancel=mid_cancel, hard_fail_rate=hard_rate, soft_fail_rate=soft_rate,
            forced_hard_fail=forced_hard, forced_soft_fail=forced_soft, changes=changes, pause=pause,
            annual_switch_at=start + switch_after if interval == "month" else math.inf, net_terms=net_terms,
            fail_status=("failed" if n_forced_invol % 3 == 0 else "uncollectible") if forced == "invol" else "",
            coupon=coupon, coupon_periods=x_coupon_periods if interval == "month" else 1,
            notice_days=x_notice_days if x_notice or future_change == "cancel" else 0, future_change=future_change,
        )
        first_row = len(sim.rows)
        out = sim.simulate(c, sp, rng)
        prof = UsageProfile(util=util)
        subs_outcomes = [(out, first_row, len(sim.rows))]
        # concurrent add-on subscription
        if addon and out.paid_start < math.inf and out.kind not in ("trial_expired",):
            a_start = int(out.paid_start + addon_after)
            if a_start < min(out.end, end_s):
                a_tier = max(0, tier - 1 - rng.randint(0, 1))
                # the add-on ends when the main subscription ends, for the same reason
                main_reason = sim.rows[len(sim.rows) - 1].reason or "no_longer_needed"
                a_sp = SubPlan(start=a_start, tier=a_tier, interval="month", seats=max(1, seats // 3),
                               discount=discount, currency=currency, soft_fail_rate=soft_rate,
                               end_limit=out.end, end_limit_reason=main_reason)
                a_first = len(sim.rows)
                sim.simulate(c, a_sp, rng)
                subs_outcomes.append((None, a_first, len(sim.rows)))
        # win-back with a new subscription
        if winback and out.kind == "voluntary" and out.end + winback_gap < end_s:
            w_start = int(out.end + winback_gap)
            w_tier = min(3, max(0, tier + rng.choice((-1, 0, 0, 1))))
            w_sp = SubPlan(start=w_start, tier=w_tier, interval=rng.choice(("month", "month", "year")),
                           seats=seats, discount=discount, currency=currency,
                           vol_churn_at=w_start + rng.expovariate(P["vol_churn"]) * month,
                           cancel_reason=_weighted(rng, CANCEL_REASONS, CANCEL_REASON_WEIGHTS),
                           hard_fail_rate=P["hard_fail"], soft_fail_rate=soft_rate, net_terms=net_terms)
            w_first = len(sim.rows)
            w_out = sim.simulate(c, w_sp, rng)
            subs_outcomes.append((w_out, w_first, len(sim.rows)))
        # --- usage profile ---
        for o, r0, r1 in subs_outcomes:
            usage_end = 0
            for r in sim.rows[r0:r1]:
                if r.status in USAGE_STATUSES and r.start < end_s:
                    e = end_s if r.end is None else min(r.end, end_s)
                    level = 0.45 if (r.status == ST_TRIALING and r.reason == "trial_expired") else 1.0
                    prof.intervals.append((r.start, e, r.quantity, level))
                    usage_end = max(usage_end, e)
            if o is None:
                continue
            if o.kind == "voluntary" and fade and o.end <= end_s:
                fs = int(o.end - fade_weeks * 7 * DAY)
                prof.mods.append(("fade", fs, int(o.end), fade_floor))
            if o.kind in ("voluntary", "involuntary", "trial_expired", "paused_cancel") and trickle and o.end < end_s:
                for _ in range(rng.randint(1, 3)):
                    t = int(usage_end + rng.uniform(0.5, 12.0) * DAY)
                    if t < end_s:
                        prof.trickle.append(t)
        if forgotten and out.paid_start < math.inf:
            prof.mods.append(("zero", int(out.paid_start + forget_after), end_s, 0.0))
        if dip and out.paid_start < math.inf:
            lo_t = out.paid_start + 70 * DAY
            hi_t = min(out.end, end_s) - dip_len - 8 * 7 * DAY
            if out.kind == "voluntary":
                hi_t = min(hi_t, out.end - dip_len - 20 * 7 * DAY)
            if hi_t > lo_t:
                ds = int(lo_t + dip_pos * (hi_t - lo_t))
                prof.mods.append(("dip", ds, int(ds + dip_len), dip_depth))
        profiles.append(prof if prof.intervals else None)
    return sim, profiles


# --------------------------------------------------------------------------------------
# Subscriptions and invoices tables (truncation at the end date, renumbering)
# --------------------------------------------------------------------------------------


@dataclass
class Ledger:
    """Final subscriptions and invoices tables plus lookups used by bad-row injection."""

    subscriptions: pa.Table
    invoices: pa.Table
    single_row_subs: np.ndarray  # row indices (in `subscriptions`) of subscriptions with one row
    expired_trial_rows: np.ndarray  # row indices of single-row trial_expired subscriptions
    subscriber_customers: np.ndarray  # customer indices with at least one subscription


def build_ledger(cfg: Config, sim: LifecycleSimulator) -> Ledger:
    """Truncate the simulated story at the end date and format the two tables."""
    end_s = cfg.end_s
    rows: list[SubRow] = []
    for r in sim.rows:
        if r.start >= end_s and not r.signed:
            continue
        if r.end is not None and r.end >= end_s and not r.keep_end:
            # the period (and any scheduled cancellation) has not ended yet on the end date; a
            # cancellation requested by then stays as canceled_at / cancel_at
            requested = r.canceled_at is not None and r.canceled_at < end_s
            r = SubRow(r.sub, r.cust, r.tier, r.interval, r.currency, r.amount, r.quantity, r.status, r.start,
                       None, "", r.involuntary, r.list_amount,
                       r.canceled_at if requested else None, r.cancel_at if requested else None)
            if r.status == ST_CANCELED:
                r.status = ST_PAST_DUE if r.involuntary else ST_ACTIVE
        prev = rows[-1] if rows else None
        if (prev is not None and prev.sub == r.sub and prev.end == r.start and not prev.reason
                and prev.canceled_at is None and not prev.keep_end and not r.signed
                and (prev.status, prev.tier, prev.interval, prev.amount, prev.quantity, prev.list_amount)
                == (r.status, r.tier, r.interval, r.amount, r.quantity, r.list_amount)):
            # e.g. dunning that had not ended by the end date
            prev.end, prev.reason = r.end, r.reason
            prev.canceled_at, prev.cancel_at = r.canceled_at, r.cancel_at
            continue
        rows.append(r)
    # renumber subscriptions by first start (then provisional number)
    first_start: dict[int, int] = {}
    for r in rows:
        if r.sub not in first_start or r.start < first_start[r.sub]:
            first_start[r.sub] = r.start
    order = sorted(first_start, key=lambda s: (first_start[s], s))
    sub_no = {s: i + 1 for i, s in enumerate(order)}
    rows.sort(key=lambda r: (sub_no[r.sub], r.start))
    n = len(rows)
    sub_ids = np.fromiter((sub_no[r.sub] for r in rows), np.int64, n)
    starts = np.fromiter((r.start for r in rows), np.int64, n)
    ends = np.fromiter((0 if r.end is None else r.end for r in rows), np.int64, n)
    end_null = np.fromiter((r.end is None for r in rows), bool, n)
    subs = pa.table({
        "subscription_id": format_ids("S", sub_ids, 7),
        "customer_id": format_ids("C", np.fromiter((r.cust + 1 for r in rows), np.int64, n), 6),
        "plan_id": pa.array([plan_id(r.tier, r.interval, r.currency) for r in rows], type=pa.string()),
        "billing_interval": pa.array([r.interval for r in rows], type=pa.string()),
        "amount": format_money(np.fromiter((r.amount for r in rows), np.int64, n)),
        "quantity": format_ints(np.fromiter((r.quantity for r in rows), np.int64, n)),
        "currency": pa.array([r.currency for r in rows], type=pa.string()),
        "status": pa.array([r.status for r in rows], type=pa.string()),
        "period_start": format_timestamps(starts),
        "period_end": format_timestamps(ends, end_null),
        "cancel_reason": pa.array([r.reason or None for r in rows], type=pa.string()),
        "canceled_at": format_timestamps(
            np.fromiter((r.canceled_at or 0 for r in rows), np.int64, n),
            np.fromiter((r.canceled_at is None for r in rows), bool, n)),
        "cancel_at": format_timestamps(
            np.fromiter((r.cancel_at or 0 for r in rows), np.int64, n),
            np.fromiter((r.cancel_at is None for r in rows), bool, n)),
        "list_amount": pc.if_else(
            pa.array(np.fromiter((r.list_amount is None for r in rows), bool, n)), pa.scalar(None, pa.string()),
            format_money(np.fromiter((r.list_amount or 0 for r in rows), np.int64, n))),
    })
    counts: dict[int, int] = {}
    for s in sub_ids.tolist():
        counts[s] = counts.get(s, 0) + 1
    single = np.array([i for i, s in enumerate(sub_ids.tolist()) if counts[s] == 1], dtype=np.int64)
    expired = np.array([i for i in single.tolist() if rows[i].reason == "trial_expired"], dtype=np.int64)
    subscribers = np.unique(np.fromiter((r.cust for r in rows), np.int64, n))

    # invoices
    inv_rows = []
    for inv in sim.invoices:
        if inv.issued >= end_s or inv.sub not in sub_no:
            continue
        attempts = [a for a in inv.attempts if a < end_s]
        status, paid, paid_at, refund = inv.outcome, 0, inv.paid_at, 0
        if inv.outcome == "paid":
            if paid_at is None or paid_at >= end_s:
                status, paid_at = "open", None
            else:
                paid = inv.due
                if inv.refund and inv.refund_at is not None and inv.refund_at < end_s:
                    refund = inv.refund
        elif inv.outcome in ("failed", "uncollectible"):
            paid_at = None
            if len(attempts) < len(inv.attempts):
                status = "open"
        else:  # void
            paid_at = None
        inv_rows.append((inv.issued, sub_no[inv.sub], inv.cust, inv.pstart, inv.pend, inv.due, paid, refund,
                         inv.currency, status, max(1, len(attempts)), paid_at))
    inv_rows.sort(key=lambda x: (x[0], x[1]))
    m = len(inv_rows)
    col = list(zip(*inv_rows)) if m else [[] for _ in range(12)]
    paid_at_arr = np.array([0 if p is None else p for p in col[11]], dtype=np.int64)
    invoices = pa.table({
        "invoice_id": format_ids("I", np.arange(1, m + 1), 8),
        "customer_id": format_ids("C", np.array(col[2], dtype=np.int64) + 1, 6),
        "subscription_id": format_ids("S", np.array(col[1], dtype=np.int64), 7),
        "issued_at": format_timestamps(np.array(col[0], dtype=np.int64)),
        "period_start": format_timestamps(np.array(col[3], dtype=np.int64)),
        "period_end": format_timestamps(np.array(col[4], dtype=np.int64)),
        "amount_due": format_money(np.array(col[5], dtype=np.int64)),
        "amount_paid": format_money(np.array(col[6], dtype=np.int64)),
        "amount_refunded": format_money(np.array(col[7], dtype=np.int64)),
        "currency": pa.array(list(col[8]), type=pa.string()),
        "status": pa.array(list(col[9]), type=pa.string()),
        "attempt_count": format_ints(np.array(col[10], dtype=np.int64)),
        "paid_at": format_timestamps(paid_at_arr, np.array([p is None for p in col[11]], dtype=bool)),
    })
    return Ledger(subs, invoices, single, expired, subscribers)


# --------------------------------------------------------------------------------------
# Events (vectorised, chunk of customers at a time)
# --------------------------------------------------------------------------------------

EVENT_SCHEMA = pa.schema([(name, pa.string()) for name in COLUMNS["events"]])
CELLS_PER_CHUNK = 6_000_000  # user x day cells per chunk
EVENTS_PER_CHUNK = 500_000  # (estimated) events per chunk
EVENTS_PER_USER_DAY = 0.7  # rough average, only used to size chunks


def _merge_intervals(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for s, e in sorted(intervals):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def plan_event_chunks(profiles: list[UsageProfile | None], last_day: int) -> list[tuple[int, int]]:
    """Split customers into contiguous chunks that bound the user x day grid and the event count."""
    chunks: list[tuple[int, int]] = []
    start, users, events, first = 0, 0, 0.0, last_day
    for c, prof in enumerate(profiles):
        if prof is not None:
            n_users = max(1, int(math.ceil(prof.util * max(q for _, _, q, _ in prof.intervals))))
            days = sum(e - s for s, e, _, _ in prof.intervals) / DAY
            users += n_users
            events += n_users * days * EVENTS_PER_USER_DAY
            first = min(first, min(s for s, _, _, _ in prof.intervals) // DAY)
        if users * (last_day - first + 1) >= CELLS_PER_CHUNK or events >= EVENTS_PER_CHUNK:
            chunks.append((start, c + 1))
            start, users, events, first = c + 1, 0, 0.0, last_day
    if start < len(profiles):
        chunks.append((start, len(profiles)))
    return chunks


@dataclass
class EventChunk:
    """Raw (unformatted) events of one chunk of customers, sorted by customer and time."""

    cust: np.ndarray  # int64 customer index
    user: np.ndarray  # int64 user number (1-based) within the customer
    name: np.ndarray  # int8 index into EVENT_NAMES
    at: np.ndarray  # int64 epoch seconds
    duration: np.ndarray  # int64 seconds, -1 = null
    feature: np.ndarray  # int8 index into FEATURES, -1 = null

    def __len__(self) -> int:
        return len(self.at)


def generate_event_chunk(cfg: Config, profiles: list[UsageProfile | None], c0: int, c1: int,
                         rng: np.random.Generator) -> EventChunk:
    """Events of customers c0..c1-1: per user and day, activity drawn from the usage profile."""
    idx = [c for c in range(c0, c1) if profiles[c] is not None]
    empty = EventChunk(*(np.empty(0, dtype=t) for t in (np.int64, np.int64, np.int8, np.int64, np.int64, np.int8)))
    if not idx:
        return empty
    last_day = (cfg.end_s - 1) // DAY
    first = min(min(s for s, _, _, _ in profiles[c].intervals) for c in idx) // DAY
    last = max(max(e - 1 for _, e, _, _ in profiles[c].intervals) for c in idx) // DAY
    last = min(last, last_day)
    D = int(last - first + 1)
    C = len(idx)
    seats = np.zeros((C, D), dtype=np.float32)
    level = np.zeros((C, D), dtype=np.float32)
    lo = np.zeros((C, D), dtype=np.int32)
    hi = np.full((C, D), DAY, dtype=np.int32)
    util = np.empty(C, dtype=np.float32)
    day_mid = (first + np.arange(D, dtype=np.int64)) * DAY + DAY // 2
    for ci, c in enumerate(idx):
        prof = profiles[c]
        util[ci] = prof.util
        for s, e, q, lv in prof.intervals:
            ds, de = s // DAY - first, (e - 1) // DAY - first + 1
            np.maximum(seats[ci, ds:de], q, out=seats[ci, ds:de])
            np.maximum(level[ci, ds:de], lv, out=level[ci, ds:de])
        for s, e in _merge_intervals([(s, e) for s, e, _, _ in prof.intervals]):
            lo[ci, s // DAY - first] = s % DAY
            hi[ci, (e - 1) // DAY - first] = (e - 1) % DAY + 1
        for kind, s, e, param in prof.mods:
            ds = max(0, s // DAY - first)
            de = min(D, (e - 1) // DAY - first + 1)
            if de <= ds:
                continue
            if kind == "fade":
                x = np.clip((day_mid[ds:de] - s) / max(1, e - s), 0.0, 1.0)
                level[ci, ds:de] *= (1.0 - (1.0 - param) * x ** 0.8).astype(np.float32)
            elif kind == "dip":
                level[ci, ds:de] *= param
            elif kind == "zero":
                level[ci, ds:de] = 0.0
    # users: up to util x seats of them, numbered 1..n within the customer
    max_seats = seats.max(axis=1)
    n_users = np.maximum(1, np.ceil(util * max_seats)).astype(np.int64)
    U = int(n_users.sum())
    user_c = np.repeat(np.arange(C), n_users)
    user_off = np.concatenate(([0], np.cumsum(n_users)[:-1]))
    user_j = np.arange(U) - np.repeat(user_off, n_users)
    base_p = rng.beta(2.0, 4.0, U).astype(np.float32)
    feat_rate = rng.gamma(2.0, 0.55, U).astype(np.float32)
    # users allowed on each day: util x seats, shrinking with the engagement level
    on = (seats > 0) & (level > 0)
    cap = np.where(on, np.maximum(1.0, np.ceil(util[:, None] * seats * (0.3 + 0.7 * level))), 0.0)
    weekday = (np.arange(first, first + D) + 3) % 7  # 1970-01-01 was a Thursday -> 0 = Monday
    wd_factor = np.where(weekday < 5, 0.9, 0.12).astype(np.float32)
    engagement = (0.25 + 0.75 * level).astype(np.float32)
    draws = rng.random((U, D), dtype=np.float32)
    active = (user_j[:, None] < cap[user_c]) & (draws < base_p[:, None] * wd_factor[None, :] * engagement[user_c])
    del draws
    ui, di = np.nonzero(active)
    del active
    N = len(ui)
    uc = user_c[ui]
    lv = level[uc, di]
    n_login = 1 + (rng.random(N) < 0.2) + (rng.random(N) < 0.05)
    n_sess = rng.binomial(n_login, 0.85)
    n_feat = rng.poisson(feat_rate[ui] * (0.1 + 0.9 * lv))
    tod0 = np.clip(rng.normal(13.5 * 3600, 3.2 * 3600, N), 0, DAY - 1)
    ud = np.concatenate([np.repeat(np.arange(N), n_login), np.repeat(np.arange(N), n_sess),
                         np.repeat(np.arange(N), n_feat)])
    name = np.concatenate([np.zeros(int(n_login.sum()), np.int8), np.ones(int(n_sess.sum()), np.int8),
                           np.full(int(n_feat.sum()), 2, np.int8)])
    M = len(ud)
    e_lv = lv[ud]
    tod = np.clip(tod0[ud] + rng.exponential(1500.0, M) * (name > 0), 0, DAY - 1)
    e_uc, e_di = uc[ud], di[ud]
    e_lo, e_hi = lo[e_uc, e_di].astype(np.int64), hi[e_uc, e_di].astype(np.int64)
    at = (first + e_di) * DAY + e_lo + (tod.astype(np.int64) * (e_hi - e_lo)) // DAY
    duration = np.full(M, -1, dtype=np.int64)
    is_sess = name == 1
    ns = int(is_sess.sum())
    duration[is_sess] = np.clip(rng.lognormal(math.log(1100.0), 0.9, ns) * (0.3 + 0.7 * e_lv[is_sess]),
                                15, 4 * 3600).astype(np.int64)
    feature = np.full(M, -1, dtype=np.int8)
    is_feat = name == 2
    nf = int(is_feat.sum())
    valuable = rng.random(nf) < 0.62 * (0.3 + 0.7 * e_lv[is_feat])
    v_pick = rng.choice(4, size=nf, p=VALUABLE_FEATURE_WEIGHTS)
    o_pick = 4 + rng.choice(2, size=nf, p=OTHER_FEATURE_WEIGHTS)
    feature[is_feat] = np.where(valuable, v_pick, o_pick).astype(np.int8)
    cust = np.asarray(idx, dtype=np.int64)[e_uc]
    user = user_j[ui][ud] + 1
    # a few logins shortly after the subscription ended
    t_c, t_at = [], []
    for ci, c in enumerate(idx):
        for t in profiles[c].trickle:
            t_c.append(c)
            t_at.append(t)
    if t_c:
        k = len(t_c)
        cust = np.concatenate([cust, np.asarray(t_c, dtype=np.int64)])
        user = np.concatenate([user, np.ones(k, dtype=np.int64)])
        name = np.concatenate([name, np.zeros(k, np.int8)])
        at = np.concatenate([at, np.asarray(t_at, dtype=np.int64)])
        duration = np.concatenate([duration, np.full(k, -1, np.int64)])
        feature = np.concatenate([feature, np.full(k, -1, np.int8)])
    order = np.lexsort((name, at, cust))
    return EventChunk(cust[order], user[order], name[order], at[order], duration[order], feature[order])


class EventsFormatter:
    """Turns raw event chunks into string tables with sequential event IDs."""

    def __init__(self, n_customers: int) -> None:
        self.customer_ids = format_ids("C", np.arange(1, n_customers + 1), 6)
        self.names = pa.array(EVENT_NAMES, type=pa.string())
        self.features = pa.array(FEATURES, type=pa.string())
        self.next_id = 1

    def table(self, ev: EventChunk) -> pa.Table:
        n = len(ev)
        ids = np.arange(self.next_id, self.next_id + n)
        self.next_id += n
        cust = self.customer_ids.take(pa.array(ev.cust))
        user = pc.binary_join_element_wise(cust, pc.utf8_lpad(pa.array(ev.user).cast(pa.string()), 3, "0"), "-U")
        return pa.table({
            "event_id": format_ids("E", ids, 10),
            "customer_id": cust,
            "user_id": user,
            "event_name": self.names.take(pa.array(ev.name.astype(np.int32))),
            "occurred_at": format_timestamps(ev.at),
            "duration_seconds": format_ints(ev.duration, ev.duration < 0),
            "feature": self.features.take(pa.array(ev.feature.astype(np.int32), mask=ev.feature < 0)),
        }, schema=EVENT_SCHEMA)


# --------------------------------------------------------------------------------------
# FX rates and marketing spend
# --------------------------------------------------------------------------------------


def fx_table(cfg: Config) -> pa.Table:
    """Daily EUR and GBP -> USD rates: mean-reverting random walks around 1.08 and 1.27."""
    rng = _rng(cfg.seed, STREAM_FX)
    d0, d1 = cfg.start_s // DAY, (cfg.end_s - 1) // DAY
    days = np.arange(d0, d1 + 1)
    cur, dates, rates = [], [], []
    for code, mean in (("EUR", 1.08), ("GBP", 1.27)):
        x = np.empty(len(days))
        x[0] = math.log(mean) + rng.normal(0, 0.02)
        shocks = rng.normal(0, 0.0045, len(days))
        for i in range(1, len(days)):
            x[i] = x[i - 1] + 0.01 * (math.log(mean) - x[i - 1]) + shocks[i]
        cur += [code] * len(days)
        dates.append(days)
        rates.append(np.round(np.exp(x), 6))
    r = np.concatenate(rates)
    micro = np.rint(r * 1_000_000).astype(np.int64)
    text = pc.binary_join_element_wise(pa.array(micro // 1_000_000).cast(pa.string()),
                                       pc.utf8_lpad(pa.array(micro % 1_000_000).cast(pa.string()), 6, "0"), ".")
    return pa.table({
        "currency": pa.array(cur, type=pa.string()),
        "rate_date": format_dates(np.concatenate(dates)),
        "rate_to_reporting": text,
    })


def marketing_table(cfg: Config, cust: Customers) -> pa.Table:
    """Monthly USD spend per paid channel: roughly CAC x signups of the month, plus a base."""
    rng = _rng(cfg.seed, STREAM_MARKETING)
    months = []
    m = cfg.start_date
    while m <= cfg.end_date:
        months.append(m)
        m = month_start(m, 1)
    bounds = np.array([day_start(m) for m in months] + [cfg.end_s], dtype=np.int64)
    month_of = np.searchsorted(bounds, cust.created, side="right") - 1
    scale = max(0.05, len(cust) / 2000.0)
    rows_m, rows_c, rows_a = [], [], []
    for mi, mo in enumerate(months):
        for ch in PAID_CHANNELS:
            chi = CHANNELS.index(ch)
            sel = (month_of == mi) & (cust.channel == chi)
            cac = sum(SEGMENT_PARAMS[SEGMENTS[s]]["cac"] for s in cust.segment[sel])
            spend = cac * CHANNEL_CAC_FACTOR[ch] * rng.lognormal(0.0, 0.2) + 1500.0 * scale * rng.uniform(0.5, 1.5)
            rows_m.append((mo.toordinal() - EPOCH_ORDINAL))
            rows_c.append(ch)
            rows_a.append(int(round(spend * 100)))
    return pa.table({
        "month": format_dates(np.array(rows_m)),
        "acquisition_channel": pa.array(rows_c, type=pa.string()),
        "amount": format_money(np.array(rows_a, dtype=np.int64)),
    })


# --------------------------------------------------------------------------------------
# Bad rows
# --------------------------------------------------------------------------------------


@dataclass
class BadRow:
    """One injected row and what the warehouse is expected to do with it."""

    table: str
    row: dict[str, str | None]
    key: str
    reason: str
    detail: str


class BadRowFactory:
    """Builds bad rows that each have exactly one problem."""

    # ("yesterday" or "epoch" would be implausible_date, not unparseable_value)
    UNPARSEABLE_TS = ("2024-13-45T10:00:00", "2025-02-30T08:15:00", "31/12/2025 08:15:00", "2024-06-31T25:61:00")
    UNPARSEABLE_NUM = ("12,5x", "abc", "1.2.3", "ten")

    def __init__(self, cfg: Config, n_customers: int) -> None:
        self.cfg = cfg
        self.rng = _rng(cfg.seed, STREAM_BAD)
        self.n_customers = n_customers
        self.next_customer = n_customers + 1
        self.next_unknown = 999_999
        self.marker = 0
        self.used: dict[str, set[int]] = {}

    def count_per_kind(self, n_rows: int, n_kinds: int) -> int:
        return max(1, int(round(self.cfg.bad_rows_rate * n_rows / n_kinds)))

    def unknown_customer(self) -> str:
        cid = f"C{self.next_unknown:06d}"
        self.next_unknown -= 1
        return cid

    def pick(self, table: str, candidates: np.ndarray, k: int) -> list[int]:
        """Up to k distinct row indices from `candidates` not used before for this table."""
        used = self.used.setdefault(table, set())
        cand = np.array([c for c in np.asarray(candidates).tolist() if c not in used], dtype=np.int64)
        if len(cand) == 0:
            return []
        take = self.rng.choice(cand, size=min(k, len(cand)), replace=False).tolist()
        used.update(take)
        return [int(x) for x in take]

    def choice(self, options: Sequence[str]) -> str:
        return options[int(self.rng.integers(len(options)))]

    def next_marker(self) -> str:
        self.marker += 1
        return f"BAD-ROW-{self.marker}"

    # -- per table ---------------------------------------------------------------------

    def customers(self, table: pa.Table, never_subscribed: np.ndarray) -> list[BadRow]:
        k = self.count_per_kind(table.num_rows, 4)
        out: list[BadRow] = []
        base_rows = table.take(pa.array(self.pick("customers", np.arange(table.num_rows), 3 * k + 4))).to_pylist()
        bases = iter(base_rows)
        for i in range(max(2, k)):  # both variants: key missing, and another required column missing
            r = dict(next(bases))
            if i % 2 == 0:
                marker = self.next_marker()
                r.update(customer_id=None, company_name=marker)
                out.append(BadRow("customers", r, marker, "missing_required",
                                  f"customer_id empty; marker in company_name"))
            else:
                cid = f"C{self.next_customer:06d}"
                self.next_customer += 1
                r.update(customer_id=cid, created_at=None, company_name=self.next_marker())
                out.append(BadRow("customers", r, cid, "missing_required", "created_at empty"))
        for _ in range(max(2, k)):
            r = dict(next(bases))
            cid = f"C{self.next_customer:06d}"
            self.next_customer += 1
            r.update(customer_id=cid, created_at=self.choice(self.UNPARSEABLE_TS), company_name=self.next_marker())
            out.append(BadRow("customers", r, cid, "unparseable_value", f"created_at={r['created_at']}"))
        for _ in range(k):
            r = dict(next(bases))
            out.append(BadRow("customers", r, r["customer_id"], "exact_duplicate", "exact copy of a clean row"))
        for i in self.pick("customers", never_subscribed, k):
            r = table.slice(i, 1).to_pylist()[0]
            r.update(company_name=self.next_marker(), segment="enterprise" if r["segment"] != "enterprise" else "smb")
            out.append(BadRow("customers", r, r["customer_id"], "duplicate_key",
                              "same customer_id as a clean row (a customer without subscriptions), different "
                              "company_name/segment: both copies expected in quarantine"))
        return out

    def subscriptions(self, table: pa.Table, ledger: Ledger) -> list[BadRow]:
        k = self.count_per_kind(table.num_rows, 9)
        out: list[BadRow] = []
        max_sub = int(pc.max(pc.cast(pc.utf8_slice_codeunits(table["subscription_id"], 1), pa.int64())).as_py())
        status = table["status"].to_numpy(zero_copy_only=False)
        paid = np.isin(status, ["active", "past_due", "canceled"])
        ended = np.flatnonzero(pc.is_valid(table["period_end"]).to_numpy(zero_copy_only=False) & paid)
        paid_rows = np.flatnonzero(paid)
        bases = iter(table.take(pa.array(self.pick("subscriptions", ended, 7 * k + 8))).to_pylist())
        next_no = [max_sub + 1]

        def fresh(r: dict) -> dict:
            r = dict(r)
            r["subscription_id"] = f"S{next_no[0]:07d}"
            next_no[0] += 1
            return r

        def base() -> dict:
            return fresh(next(bases))

        for i in range(max(3, k)):
            r = base()
            col = ("period_start", "status", "plan_id")[i % 3]
            r[col] = None
            out.append(BadRow("subscriptions", r, r["subscription_id"], "missing_required", f"{col} empty"))
        for _ in range(k):
            r = base()
            r["customer_id"] = self.unknown_customer()
            out.append(BadRow("subscriptions", r, r["subscription_id"], "unknown_customer",
                              f"customer_id={r['customer_id']}"))
        for _ in range(k):
            r = base()
            r["plan_id"] = r["plan_id"].replace(r["plan_id"].split("_")[0], "platinum", 1)
            out.append(BadRow("subscriptions", r, r["subscription_id"], "unknown_plan", f"plan_id={r['plan_id']}"))
        for _ in range(k):
            r = base()
            r["period_end"] = _fmt_ts(_parse_ts(r["period_start"]) - 3 * DAY)
            out.append(BadRow("subscriptions", r, r["subscription_id"], "end_before_start",
                              "period_end 3 days before period_start"))
        for _ in range(k):
            r = base()
            r["amount"] = "-" + r["amount"]
            out.append(BadRow("subscriptions", r, r["subscription_id"], "negative_amount", f"amount={r['amount']}"))
        for _ in range(k):
            r = base()
            r["currency"] = "XXX"
            out.append(BadRow("subscriptions", r, r["subscription_id"], "unknown_currency", "currency=XXX"))
        for i in range(max(2, k)):
            r = base()
            if i % 2 == 0:
                r["amount"] = self.choice(self.UNPARSEABLE_NUM)
                out.append(BadRow("subscriptions", r, r["subscription_id"], "unparseable_value",
                                  f"amount={r['amount']}"))
            else:
                r["period_start"] = self.choice(self.UNPARSEABLE_TS)
                out.append(BadRow("subscriptions", r, r["subscription_id"], "unparseable_value",
                                  f"period_start={r['period_start']}"))
        for i in self.pick("subscriptions", np.intersect1d(ledger.single_row_subs, paid_rows), k):
            r = table.slice(i, 1).to_pylist()[0]
            out.append(BadRow("subscriptions", r, r["subscription_id"], "exact_duplicate",
                              "exact copy of a clean single-row subscription"))
        for i in self.pick("subscriptions", ledger.expired_trial_rows, k):
            r = table.slice(i, 1).to_pylist()[0]
            r["quantity"] = str(int(r["quantity"]) + 1)
            out.append(BadRow("subscriptions", r, r["subscription_id"], "duplicate_key",
                              "same (subscription_id, period_start) as a clean row (an expired trial, no invoices) "
                              "with a different quantity: both copies expected in quarantine"))
        return out

    def invoices(self, table: pa.Table) -> list[BadRow]:
        k = self.count_per_kind(table.num_rows, 8)
        out: list[BadRow] = []
        status = table["status"].to_numpy(zero_copy_only=False)
        paid = np.flatnonzero(status == "paid")
        bases = iter(table.take(pa.array(self.pick("invoices", paid, 6 * k + 8))).to_pylist())
        next_no = [table.num_rows + 1]

        def base() -> dict:
            r = dict(next(bases))
            r["invoice_id"] = f"I{next_no[0]:08d}"
            next_no[0] += 1
            return r

        for i in range(max(3, k)):
            r = base()
            col = ("issued_at", "amount_due", "status")[i % 3]
            r[col] = None
            out.append(BadRow("invoices", r, r["invoice_id"], "missing_required", f"{col} empty"))
        for _ in range(k):
            r = base()
            r["customer_id"] = self.unknown_customer()
            out.append(BadRow("invoices", r, r["invoice_id"], "unknown_customer", f"customer_id={r['customer_id']}"))
        for _ in range(k):
            r = base()
            r["period_end"] = _fmt_ts(_parse_ts(r["period_start"]) - DAY)
            out.append(BadRow("invoices", r, r["invoice_id"], "end_before_start",
                              "period_end 1 day before period_start"))
        for _ in range(k):
            r = base()
            r["amount_due"] = "-" + r["amount_due"]
            r["amount_paid"] = "-" + r["amount_paid"]
            out.append(BadRow("invoices", r, r["invoice_id"], "negative_amount",
                              f"amount_due={r['amount_due']}, amount_paid={r['amount_paid']}"))
        for _ in range(k):
            r = base()
            r["currency"] = "XXX"
            out.append(BadRow("invoices", r, r["invoice_id"], "unknown_currency", "currency=XXX"))
        for i in range(max(2, k)):
            r = base()
            col = ("amount_due", "paid_at")[i % 2]
            r[col] = self.choice(self.UNPARSEABLE_NUM if col == "amount_due" else self.UNPARSEABLE_TS)
            out.append(BadRow("invoices", r, r["invoice_id"], "unparseable_value", f"{col}={r[col]}"))
        for i in self.pick("invoices", np.arange(table.num_rows), k):
            r = table.slice(i, 1).to_pylist()[0]
            out.append(BadRow("invoices", r, r["invoice_id"], "exact_duplicate", "exact copy of a clean row"))
        for i in self.pick("invoices", paid, k):
            r = table.slice(i, 1).to_pylist()[0]
            cents = int(r["amount_due"].replace(".", "")) + 100
            r["amount_due"] = r["amount_paid"] = f"{cents // 100}.{cents % 100:02d}"
            out.append(BadRow("invoices", r, r["invoice_id"], "duplicate_key",
                              "same invoice_id as a clean row, amount 1.00 higher: both copies expected in quarantine"))
        return out

    def events(self, table: pa.Table, first_fresh: int, minimum: bool) -> list[BadRow]:
        """Bad events for one chunk (`minimum`: at least one of each kind)."""
        n = table.num_rows
        if n == 0:
            return []
        k = int(self.rng.binomial(n, min(1.0, self.cfg.bad_rows_rate) / 5)) if not minimum else \
            max(1, int(round(self.cfg.bad_rows_rate * n / 5)))
        k = max(k, 2 if minimum else 0)  # the first chunk shows every variant
        if k == 0:
            return []
        out: list[BadRow] = []
        picks = self.rng.choice(n, size=min(n, 5 * k), replace=False)
        rows = table.take(pa.array(picks)).to_pylist()
        it = iter(rows)
        next_no = [first_fresh]

        def base() -> dict:
            r = dict(next(it))
            r["event_id"] = f"E{next_no[0]:010d}"
            next_no[0] += 1
            return r

        sessions = [r for r in rows if r["event_name"] == "session"]
        for i in range(k):
            r = base()
            col = ("occurred_at", "event_name")[i % 2]
            r[col] = None
            if col == "event_name":
                r["duration_seconds"] = r["feature"] = None
            out.append(BadRow("events", r, r["event_id"], "missing_required", f"{col} empty"))
        for _ in range(k):
            r = base()
            cid = self.unknown_customer()
            r["customer_id"], r["user_id"] = cid, f"{cid}-U001"
            out.append(BadRow("events", r, r["event_id"], "unknown_customer", f"customer_id={cid}"))
        for i in range(k):
            r = base()
            if i % 2 == 1 and sessions:
                r = dict(sessions[i % len(sessions)])
                r["event_id"] = f"E{next_no[0]:010d}"
                next_no[0] += 1
                r["duration_seconds"] = self.choice(self.UNPARSEABLE_NUM)
                out.append(BadRow("events", r, r["event_id"], "unparseable_value",
                                  f"duration_seconds={r['duration_seconds']}"))
            else:
                r["occurred_at"] = self.choice(self.UNPARSEABLE_TS)
                out.append(BadRow("events", r, r["event_id"], "unparseable_value", f"occurred_at={r['occurred_at']}"))
        for _ in range(k):
            r = dict(next(it))
            out.append(BadRow("events", r, r["event_id"], "exact_duplicate", "exact copy of a clean row"))
        for _ in range(k):
            r = dict(next(it))
            r["occurred_at"] = _fmt_ts(_parse_ts(r["occurred_at"]) - 3600)
            out.append(BadRow("events", r, r["event_id"], "duplicate_key",
                              "same event_id as a clean row, occurred_at 1 hour earlier: both copies expected "
                              "in quarantine"))
        self.last_fresh = next_no[0]
        return out


def insert_rows(table: pa.Table, bad: list[BadRow], rng: np.random.Generator) -> pa.Table:
    """The table with the bad rows inserted at random positions (clean rows keep their order)."""
    if not bad:
        return table
    extra = pa.Table.from_pylist([b.row for b in bad], schema=table.schema)
    n, k = table.num_rows, extra.num_rows
    pos = np.sort(rng.integers(0, n + 1, k))
    # clean row i goes at i + (number of bad rows inserted at positions <= i)
    order = np.empty(n + k, dtype=np.int64)
    clean_slots = np.arange(n) + np.searchsorted(pos, np.arange(n), side="right")
    bad_slots = pos + np.arange(k)
    order[clean_slots] = np.arange(n)
    order[bad_slots] = n + rng.permutation(k)
    return pa.concat_tables([table, extra]).take(pa.array(order))


# --------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------


def _csv_options() -> pacsv.WriteOptions:
    return pacsv.WriteOptions(include_header=True, quoting_style="needed")


def output_path(cfg: Config, table: str) -> Path:
    return cfg.out / f"{table}.{cfg.fmt}"


def write_table(cfg: Config, name: str, table: pa.Table) -> Path:
    """Write a whole table atomically (temporary file, then rename)."""
    path = output_path(cfg, name)
    tmp = path.with_name(path.name + ".tmp")
    if cfg.fmt == "csv":
        pacsv.write_csv(table, tmp, write_options=_csv_options())
    else:
        pq.write_table(table, tmp, compression="zstd", row_group_size=1_000_000)
    tmp.replace(path)
    return path


class EventSink:
    """Streams event chunks into `events.csv` or `events.parquet`."""

    def __init__(self, cfg: Config) -> None:
        self.path = output_path(cfg, "events")
        self.tmp = self.path.with_name(self.path.name + ".tmp")
        self.fmt = cfg.fmt
        if self.fmt == "csv":
            self.writer = pacsv.CSVWriter(str(self.tmp), EVENT_SCHEMA, write_options=_csv_options())
        else:
            self.writer = pq.ParquetWriter(str(self.tmp), EVENT_SCHEMA, compression="zstd",
                                           use_dictionary=["customer_id", "user_id", "event_name", "feature",
                                                           "duration_seconds"])
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        if table.num_rows:
            self.writer.write_table(table)
            self.rows += table.num_rows

    def close(self) -> Path:
        self.writer.close()
        self.tmp.replace(self.path)
        return self.path


def prepare_out_dir(cfg: Config) -> None:
    """Create the directory and remove files of ours that this run will not rewrite."""
    cfg.out.mkdir(parents=True, exist_ok=True)
    for table in TABLES:
        for ext in ("csv", "parquet"):
            stale = cfg.out / f"{table}.{ext}"
            if ext != cfg.fmt and stale.exists():
                stale.unlink()
    manifest = cfg.out / MANIFEST_NAME
    if manifest.exists():
        manifest.unlink()


def apply_tz_offsets(table: pa.Table, k: int, rng: np.random.Generator) -> pa.Table:
    """Rewrite k `occurred_at` values as the same instant with an explicit UTC offset."""
    if k <= 0 or table.num_rows == 0:
        return table
    rows = rng.choice(table.num_rows, size=min(k, table.num_rows), replace=False)
    values = table["occurred_at"].to_pylist()
    for j, i in enumerate(sorted(rows.tolist())):
        hours = (0, 2, -5, 1)[j % 4]
        local = _fmt_ts(_parse_ts(values[i]) + hours * 3600)  # local wall time = UTC + offset
        values[i] = f"{local}{'+' if hours >= 0 else '-'}{abs(hours):02d}:00"
    return table.set_column(table.schema.get_field_index("occurred_at"), "occurred_at",
                            pa.array(values, type=pa.string()))


# --------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------


def generate(cfg: Config) -> dict[str, int]:
    """Generate every table into `cfg.out`; return row counts per table (including bad rows)."""
    rep = Reporter(cfg.quiet)
    rep.progress(f"scale={cfg.scale} customers={cfg.customers:,} seed={cfg.seed} "
                 f"history={cfg.start_date}..{cfg.end_date} ({cfg.months} months) format={cfg.fmt} out={cfg.out}")
    prepare_out_dir(cfg)
    counts: dict[str, int] = {}
    bad_all: list[BadRow] = []
    bad = cfg.bad_rows_rate > 0
    factory = BadRowFactory(cfg, cfg.customers) if bad else None
    bad_rng = _rng(cfg.seed, STREAM_BAD, 1)

    cust = make_customers(cfg)
    rep.progress("simulating subscription lifecycles")
    sim, profiles = simulate_lifecycles(cfg, cust, rep)
    ledger = build_ledger(cfg, sim)
    del sim

    # customers
    customers = customers_table(cust)
    n_bad = 0
    if factory:
        subscribed = np.zeros(len(cust), dtype=bool)
        subscribed[ledger.subscriber_customers] = True
        rows = factory.customers(customers, np.flatnonzero(~subscribed))
        customers = insert_rows(customers, rows, bad_rng)
        bad_all += rows
        n_bad = len(rows)
    rep.table("customers", customers.num_rows, write_table(cfg, "customers", customers), n_bad)
    counts["customers"] = customers.num_rows
    del customers

    plans = plans_table()
    rep.table("plans", plans.num_rows, write_table(cfg, "plans", plans))
    counts["plans"] = plans.num_rows

    for name, table in (("subscriptions", ledger.subscriptions), ("invoices", ledger.invoices)):
        n_bad = 0
        if factory:
            rows = factory.subscriptions(table, ledger) if name == "subscriptions" else factory.invoices(table)
            table = insert_rows(table, rows, bad_rng)
            bad_all += rows
            n_bad = len(rows)
        rep.table(name, table.num_rows, write_table(cfg, name, table), n_bad)
        counts[name] = table.num_rows

    # events, chunk by chunk
    chunks = plan_event_chunks(profiles, (cfg.end_s - 1) // DAY)
    sink = EventSink(cfg)
    fmt = EventsFormatter(len(cust))
    n_bad_events = 0
    fresh_event = 9_000_000_001
    tz_rng = _rng(cfg.seed, STREAM_EVENTS, 1_000_000)
    bar = None
    if not cfg.quiet:
        try:
            from tqdm import tqdm

            bar = tqdm(total=len(cust), desc="events", unit="cust", file=sys.stderr, leave=False)
        except ImportError:  # pragma: no cover
            bar = None
    for ci, (c0, c1) in enumerate(chunks):
        ev = generate_event_chunk(cfg, profiles, c0, c1, _rng(cfg.seed, STREAM_EVENTS, ci))
        table = fmt.table(ev)
        del ev
        if ci == 0 and cfg.tz_offset_rows:
            table = apply_tz_offsets(table, cfg.tz_offset_rows, tz_rng)
        if factory and table.num_rows:
            rows = factory.events(table, fresh_event, minimum=n_bad_events == 0)
            if rows:
                fresh_event = factory.last_fresh
                table = insert_rows(table, rows, bad_rng)
                bad_all += rows
                n_bad_events += len(rows)
        sink.write(table)
        if bar is not None:
            bar.update(c1 - c0)
    if bar is not None:
        bar.close()
    rep.table("events", sink.rows, sink.close(), n_bad_events)
    counts["events"] = sink.rows

    fx = fx_table(cfg)
    rep.table("fx_rates", fx.num_rows, write_table(cfg, "fx_rates", fx))
    counts["fx_rates"] = fx.num_rows
    mk = marketing_table(cfg, cust)
    rep.table("marketing_spend", mk.num_rows, write_table(cfg, "marketing_spend", mk))
    counts["marketing_spend"] = mk.num_rows

    if bad_all:
        manifest = pa.table({
            "table": pa.array([b.table for b in bad_all], type=pa.string()),
            "row_key": pa.array([b.key for b in bad_all], type=pa.string()),
            "expected_reason": pa.array([b.reason for b in bad_all], type=pa.string()),
            "detail": pa.array([b.detail for b in bad_all], type=pa.string()),
        })
        path = cfg.out / MANIFEST_NAME
        pacsv.write_csv(manifest, path, write_options=_csv_options())
        rep.table("_bad_rows", manifest.num_rows, path)
    rep.done()
    return counts


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {text!r}") from exc


def parse_args(argv: Sequence[str] | None = None) -> Config:
    """Command-line options -> Config."""
    parser = argparse.ArgumentParser(
        prog="generate_data.py",
        description="Generate a deterministic synthetic SaaS subscription business (customers, plans, "
                    "subscriptions, invoices, product events, FX rates, marketing spend) as landing files.",
        epilog="Same arguments -> byte-identical files. Scales: tiny=150 customers/18 months (CSV), "
               "demo=2,000/36 (CSV, ~2M events), large=100,000/36 (Parquet, ~100M events).",
    )
    parser.add_argument("--scale", choices=sorted(SCALES), default="demo", help="size preset (default: demo)")
    parser.add_argument("--customers", type=int, metavar="N", help="number of customers (overrides the scale's)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default: 42)")
    parser.add_argument("--out", type=Path, metavar="DIR",
                        help="output directory (default: data/generated/<scale>, or data/generated/custom_<N> "
                             "with --customers)")
    parser.add_argument("--format", choices=("csv", "parquet"), dest="fmt",
                        help="file format (default: csv for tiny/demo, parquet for large)")
    parser.add_argument("--end-date", type=_parse_date, default=date(2026, 10, 31), metavar="YYYY-MM-DD",
                        help="last day covered; nothing happens after it (default: 2026-10-31)")
    parser.add_argument("--months", type=int, help="history length in months (default: 18 tiny, 36 otherwise)")
    parser.add_argument("--bad-rows-rate", type=float, default=0.0, metavar="R",
                        help="inject about R x rows bad rows into customers, subscriptions, invoices and events "
                             "(at least one of each kind) and write _bad_rows.csv (default: 0)")
    parser.add_argument("--tz-offset-rows", type=int, default=0, metavar="K",
                        help="write K event timestamps with an explicit UTC offset (same instant), to exercise "
                             "timezone handling (default: 0)")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    a = parser.parse_args(argv)
    preset = SCALES[a.scale]
    if a.customers is not None and a.customers < 1:
        parser.error("--customers must be >= 1")
    if a.customers is not None and a.customers > 900_000:
        parser.error("--customers must be <= 900000 (IDs have 6 digits)")
    if a.months is not None and not 1 <= a.months <= 240:
        parser.error("--months must be between 1 and 240")
    if not 0.0 <= a.bad_rows_rate <= 0.5:
        parser.error("--bad-rows-rate must be between 0 and 0.5")
    customers = a.customers if a.customers is not None else preset.customers
    out = a.out if a.out is not None else REPO_ROOT / "data" / "generated" / (
        a.scale if a.customers is None else f"custom_{customers}")
    return Config(
        scale=a.scale, customers=customers, seed=a.seed, out=out, fmt=a.fmt or preset.fmt, end_date=a.end_date,
        months=a.months or preset.months, bad_rows_rate=a.bad_rows_rate, tz_offset_rows=a.tz_offset_rows,
        quiet=a.quiet, force_min=preset.force_min,
    )


def main(argv: Sequence[str] | None = None) -> int:
    cfg = parse_args(argv)
    generate(cfg)
    return 0


if __name__ == "__main__":
    sys.exit(main())
