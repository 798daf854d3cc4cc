"""Independent reference implementation of the customer-month MRR rules.

This module recomputes what the dbt mart ``marts.fct_mrr`` (and the totals of
``marts.mrr_movements``) should contain, straight from the raw landing files,
using nothing but the Python standard library (``csv``, ``decimal``,
``datetime``) plus pyarrow for reading Parquet files.  It deliberately shares
no code or SQL with the dbt models: it exists so a test can compare two
implementations of the same written contract and find zero differences.

The contract (see docs/landing-contract.md and docs/definitions.md):

* Subscription rows that the warehouse quarantines are skipped here too
  (missing keys, unknown customer or plan, end before start, negative amount,
  non-positive quantity, unknown currency, unknown status or billing interval,
  unparseable values, ``canceled`` without an end).  Exact duplicate rows
  count once; valid rows sharing a (subscription_id, period_start) key with
  different values are all skipped.
* A customer's MRR for month M is the MRR in effect at the very end of the
  evaluation day d (the last day of M, or ``as_of_date`` for its month):
  the sum over ``active``/``past_due``/``canceled`` periods with
  ``period_start < d + 1 day`` and (``period_end`` empty or
  ``period_end >= d + 1 day``) of ``amount * fx_rate(d) / months_in_interval``.
* One row per customer per month from the first month with MRR > 0 through
  the month of ``as_of_date``; movements are classified per customer.
* Exchange rates apart from movements: for a customer paying in both months
  (and not bridged by the grace window), ``fx_impact_mrr`` = the periods in
  effect at the end of its last earlier month with MRR, valued at this
  month's rates, minus ``previous_mrr``; expansion / contraction / flat
  compare ``mrr`` with that restated amount.
* Churn classification: the cancel reason (of the paying period that ended at
  the stop, else of a pause that began there; ``paused`` / ``unknown``)
  decides the churn type when the mapping file (``seeds/churn_reason_mapping.csv``,
  data shared with the warehouse, no code) lists it; otherwise a failed or
  uncollectible invoice issued within the window before the stop makes it
  involuntary.
"""

from __future__ import annotations

import bisect
import csv
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from pathlib import Path
from typing import Any, Iterable

__all__ = ["compute_fct_mrr", "compute_mrr_movements", "read_reason_mapping", "MOVEMENT_KEYS"]

SUBSCRIPTION_COLUMNS = (
    "subscription_id",
    "customer_id",
    "plan_id",
    "billing_interval",
    "amount",
    "quantity",
    "currency",
    "status",
    "period_start",
    "period_end",
    "cancel_reason",
)
REQUIRED_SUBSCRIPTION_FIELDS = (
    "subscription_id",
    "customer_id",
    "plan_id",
    "period_start",
    "amount",
    "status",
    "billing_interval",
    "currency",
)
VALID_STATUSES = frozenset({"trialing", "active", "past_due", "paused", "canceled"})
MRR_BEARING_STATUSES = frozenset({"active", "past_due", "canceled"})
MONTHS_PER_INTERVAL = {"month": 1, "quarter": 3, "year": 12}

MOVEMENT_KEYS = (
    "starting_mrr",
    "new_mrr",
    "expansion_mrr",
    "contraction_mrr",
    "churned_mrr",
    "reactivation_mrr",
    "ending_mrr",
    "fx_impact_mrr",
    "customers_start",
    "customers_end",
    "new_customers",
    "churned_customers",
    "reactivated_customers",
)

_COUNT_KEYS = frozenset(key for key in MOVEMENT_KEYS if "customers" in key)

_PRECISION = 60
_ZERO = Decimal("0.00")
_SIX_PLACES = Decimal("0.000001")
_CENTS = Decimal("0.01")

# ISO-8601 date or date-time, optional fraction and UTC offset.
_TIMESTAMP_RE = re.compile(
    r"^(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})"
    r"(?:[Tt ](?P<h>\d{2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<f>\d{1,9}))?)?)?"
    r"\s*(?P<tz>[Zz]|[+-]\d{2}(?::?\d{2})?)?$"
)


class _Unparseable(ValueError):
    """A value is present but cannot be read as the expected type."""


# ---------------------------------------------------------------------------
# Reading raw files
# ---------------------------------------------------------------------------


def _read_table(raw_dir: Path, table: str, *, optional: bool = False) -> list[dict[str, Any]] | None:
    """Rows of ``<raw_dir>/<table>.csv`` or ``.parquet`` as dicts (CSV values are strings)."""
    csv_path = raw_dir / f"{table}.csv"
    parquet_path = raw_dir / f"{table}.parquet"
    if csv_path.exists():
        with csv_path.open(newline="", encoding="utf-8-sig") as handle:
            return [dict(row) for row in csv.DictReader(handle)]
    if parquet_path.exists():
        import pyarrow.parquet as pq  # only used to read the file

        return pq.read_table(parquet_path).to_pylist()
    if optional:
        return None
    raise FileNotFoundError(f"no {table}.csv or {table}.parquet in {raw_dir}")


# ---------------------------------------------------------------------------
# Value parsing
# ---------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    """Trimmed text, or None when missing/blank."""
    if value is None:
        return None
    if isinstance(value, float) and value != value:  # NaN from a Parquet float column
        return None
    text = str(value).strip()
    return text or None


def _is_missing(value: Any) -> bool:
    return _text(value) is None


def _to_utc_naive(moment: datetime) -> datetime:
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def _timestamp(value: Any) -> datetime | None:
    """Naive UTC datetime; None when missing; raises _Unparseable otherwise."""
    if isinstance(value, datetime):
        return _to_utc_naive(value)
    if isinstance(value, date):
        return datetime.combine(value, time())
    text = _text(value)
    if text is None:
        return None
    match = _TIMESTAMP_RE.match(text)
    if match is None:
        raise _Unparseable(text)
    parts = match.groupdict()
    fraction = (parts["f"] or "")[:6].ljust(6, "0")
    try:
        moment = datetime(
            int(parts["y"]),
            int(parts["mo"]),
            int(parts["d"]),
            int(parts["h"] or 0),
            int(parts["mi"] or 0),
            int(parts["s"] or 0),
            int(fraction),
        )
    except ValueError as exc:
        raise _Unparseable(text) from exc
    offset_text = parts["tz"]
    if offset_text and offset_text not in ("Z", "z"):
        sign = -1 if offset_text[0] == "-" else 1
        digits = offset_text[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
        if hours > 23 or minutes > 59:
            raise _Unparseable(text)
        offset = timedelta(hours=hours, minutes=minutes) * sign
        # local time = UTC + offset  =>  UTC = local time - offset
        moment = moment - offset
    return moment


def _number(value: Any) -> Decimal | None:
    """Finite Decimal; None when missing; raises _Unparseable otherwise."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise _Unparseable(repr(value))
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        if value != value:
            return None
        number = Decimal(repr(value))
    else:
        text = _text(value)
        if text is None:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation as exc:
            raise _Unparseable(text) from exc
    if not number.is_finite():
        raise _Unparseable(str(value))
    return number


def _hashable(value: Any) -> Any:
    """Raw value in a form usable inside a set (for exact-duplicate detection)."""
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value


# ---------------------------------------------------------------------------
# Cleaning
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Period:
    subscription_id: str
    customer_id: str
    start: datetime
    end: datetime | None
    amount: Decimal
    months: int
    currency: str
    status: str
    cancel_reason: str | None = None

    @property
    def bears_mrr(self) -> bool:
        return self.status in MRR_BEARING_STATUSES


def _valid_customer_ids(rows: Iterable[dict[str, Any]]) -> set[str]:
    valid: set[str] = set()
    for row in rows:
        customer_id = _text(row.get("customer_id"))
        if customer_id is None:
            continue
        try:
            created_at = _timestamp(row.get("created_at"))
        except _Unparseable:
            continue
        if created_at is not None:
            valid.add(customer_id)
    return valid


def _plan_ids(rows: Iterable[dict[str, Any]]) -> set[str]:
    return {plan_id for plan_id in (_text(row.get("plan_id")) for row in rows) if plan_id}


class _FxTable:
    """Rates per currency ordered by date; the reporting currency is always 1."""

    def __init__(self, rows: Iterable[dict[str, Any]] | None, reporting_currency: str) -> None:
        self.reporting_currency = reporting_currency
        candidates: dict[tuple[str, date], set[Decimal]] = defaultdict(set)
        for row in rows or ():
            currency = _text(row.get("currency"))
            try:
                rate_moment = _timestamp(row.get("rate_date"))
                rate = _number(row.get("rate_to_reporting"))
            except _Unparseable:
                continue
            if currency is None or rate_moment is None or rate is None or rate <= 0:
                continue
            candidates[(currency.upper(), rate_moment.date())].add(rate)
        by_currency: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
        for (currency, rate_date), rates in candidates.items():
            if len(rates) == 1:  # conflicting rates for one day are not trusted
                by_currency[currency].append((rate_date, next(iter(rates))))
        self._dates: dict[str, list[date]] = {}
        self._rates: dict[str, list[Decimal]] = {}
        for currency, entries in by_currency.items():
            entries.sort()
            self._dates[currency] = [entry[0] for entry in entries]
            self._rates[currency] = [entry[1] for entry in entries]

    def knows(self, currency: str) -> bool:
        return currency == self.reporting_currency or currency in self._dates

    def rate(self, currency: str, day: date) -> Decimal:
        """Latest rate on or before ``day``; the earliest one if none is that old."""
        if currency == self.reporting_currency:
            return Decimal(1)
        dates = self._dates[currency]
        position = bisect.bisect_right(dates, day) - 1
        return self._rates[currency][max(position, 0)]


def _clean_period(
    row: dict[str, Any], customers: set[str], plans: set[str], fx: _FxTable
) -> _Period | None:
    """The row as a period, or None when the warehouse would quarantine it."""
    if any(_is_missing(row.get(field)) for field in REQUIRED_SUBSCRIPTION_FIELDS):
        return None
    subscription_id = _text(row["subscription_id"])
    customer_id = _text(row["customer_id"])
    plan_id = _text(row["plan_id"])
    if customer_id not in customers or plan_id not in plans:
        return None
    status = _text(row["status"]).lower()
    interval = _text(row["billing_interval"]).lower()
    currency = _text(row["currency"]).upper()
    if status not in VALID_STATUSES or interval not in MONTHS_PER_INTERVAL:
        return None
    if not fx.knows(currency):
        return None
    try:
        start = _timestamp(row["period_start"])
        end = _timestamp(row.get("period_end"))
        amount = _number(row["amount"])
        quantity = _number(row.get("quantity"))
    except _Unparseable:
        return None
    if end is not None and end < start:
        return None
    if amount < 0:
        return None
    if quantity is not None and quantity <= 0:
        return None
    if status == "canceled" and end is None:
        return None
    return _Period(
        subscription_id=subscription_id,
        customer_id=customer_id,
        start=start,
        end=end,
        amount=amount,
        months=MONTHS_PER_INTERVAL[interval],
        currency=currency,
        status=status,
        cancel_reason=(_text(row.get("cancel_reason")) or "").lower() or None,
    )


def _clean_periods(
    rows: list[dict[str, Any]], customers: set[str], plans: set[str], fx: _FxTable
) -> list[_Period]:
    """Valid periods after removing exact duplicates and conflicting keys.

    Exact duplicates (identical raw values in every contract column) count
    once.  When the remaining valid rows hold more than one version of a
    (subscription_id, period_start) key, none of them can be trusted and all
    are skipped.  Rows invalid for another reason do not take part in that
    comparison: a broken copy does not spoil the one good row of its key.
    """
    unique_rows: dict[tuple, dict[str, Any]] = {}
    for row in rows:
        fingerprint = tuple(_hashable(row.get(column)) for column in SUBSCRIPTION_COLUMNS)
        unique_rows.setdefault(fingerprint, row)
    versions: dict[tuple[str, datetime], list[_Period]] = defaultdict(list)
    for row in unique_rows.values():
        period = _clean_period(row, customers, plans, fx)
        if period is not None:
            versions[(period.subscription_id, period.start)].append(period)
    return [group[0] for group in versions.values() if len(group) == 1]


# ---------------------------------------------------------------------------
# MRR
# ---------------------------------------------------------------------------


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def _evaluation_day(month: date, as_of_date: date) -> date:
    last_day = _next_month(month) - timedelta(days=1)
    return min(last_day, as_of_date)


def _day_end(day: date) -> datetime:
    """The instant at which ``day`` ends: 00:00 UTC of the next day."""
    return datetime.combine(day + timedelta(days=1), time())


def _in_effect(period: _Period, boundary: datetime) -> bool:
    return period.start < boundary and (period.end is None or period.end >= boundary)


def _customer_mrr(
    periods: list[_Period], day: date, fx: _FxTable, rate_day: date | None = None
) -> Decimal:
    """MRR of the periods in effect at the end of ``day``, at the rates of
    ``rate_day`` (default: ``day`` itself)."""
    boundary = _day_end(day)
    rate_day = rate_day or day
    with localcontext() as context:
        context.prec = _PRECISION
        total = Decimal(0)
        for period in periods:
            if period.bears_mrr and _in_effect(period, boundary):
                total += period.amount * fx.rate(period.currency, rate_day) / period.months
        return total.quantize(_SIX_PLACES, rounding=ROUND_HALF_UP).quantize(
            _CENTS, rounding=ROUND_HALF_UP
        )


def _returns_within_grace(
    periods: list[_Period], day: date, as_of_boundary: datetime, grace: timedelta
) -> bool:
    """Whether the customer's MRR comes back (by as_of) within ``grace`` of its last stop."""
    boundary = _day_end(day)
    stops = [p.end for p in periods if p.bears_mrr and p.end is not None and p.end <= boundary]
    if not stops:
        return False
    stop = max(stops)
    restarts = [
        p.start for p in periods if p.bears_mrr and p.start >= stop and p.start < as_of_boundary
    ]
    if not restarts:
        return False
    return min(restarts) - stop <= grace


def _classify(mrr: Decimal, previous: Decimal, is_first: bool, restated: Decimal | None = None) -> str:
    """The movement; up / down compare with ``restated`` (the previous month
    at this month's rates) when given."""
    baseline = previous if restated is None else restated
    if is_first:
        return "new"
    if mrr > 0 and previous == 0:
        return "reactivation"
    if mrr > 0 and previous > 0:
        if mrr > baseline:
            return "expansion"
        if mrr < baseline:
            return "contraction"
        return "flat"
    if mrr == 0 and previous > 0:
        return "churn"
    return "inactive"


def _customer_rows(
    customer_id: str,
    periods: list[_Period],
    as_of_date: date,
    fx: _FxTable,
    grace_days: int,
) -> list[dict[str, Any]]:
    as_of_boundary = _day_end(as_of_date)
    # Periods starting after as_of_date never count.
    periods = [p for p in periods if p.start < as_of_boundary]
    starts = [p.start for p in periods if p.bears_mrr]
    if not starts:
        return []
    last_month = _month_start(as_of_date)
    month = _month_start(min(starts).date())
    grace = timedelta(days=grace_days)

    rows: list[dict[str, Any]] = []
    previous = _ZERO
    basis_day: date | None = None  # evaluation day of the last month with observed MRR > 0
    while month <= last_month:
        day = _evaluation_day(month, as_of_date)
        mrr = _customer_mrr(periods, day, fx)
        observed = mrr
        if not rows and mrr == 0:
            month = _next_month(month)
            continue  # rows begin with the first month with MRR > 0
        graced = False
        if (
            grace_days > 0
            and mrr == 0
            and previous > 0
            and _returns_within_grace(periods, day, as_of_boundary, grace)
        ):
            mrr = previous  # fill the gap with the last positive month's MRR
            graced = True
        fx_impact = _ZERO
        restated: Decimal | None = None
        if mrr > 0 and previous > 0 and observed > 0 and not graced and basis_day is not None:
            restated = _customer_mrr(periods, basis_day, fx, rate_day=day)
            fx_impact = restated - previous
        rows.append(
            {
                "customer_id": customer_id,
                "month": month,
                "mrr": mrr,
                "previous_mrr": previous,
                "mrr_change": mrr - previous,
                "fx_impact_mrr": fx_impact,
                "movement": _classify(mrr, previous, is_first=not rows, restated=restated),
                "stop_boundary": _day_end(day),
            }
        )
        if observed > 0:
            basis_day = day
        previous = mrr
        month = _next_month(month)
    return rows


# ---------------------------------------------------------------------------
# Churn classification
# ---------------------------------------------------------------------------


def read_reason_mapping(path: Path) -> dict[str, dict[str, Any]]:
    """cancel_reason -> {churn_type, is_controllable, category} from the mapping CSV."""
    with Path(path).open(newline="", encoding="utf-8") as handle:
        return {
            row["cancel_reason"].strip().lower(): {
                "churn_type": row["churn_type"].strip(),
                "is_controllable": row["is_controllable"].strip().lower() == "true",
                "category": row["category"].strip(),
            }
            for row in csv.DictReader(handle)
        }


def _failed_invoice_days(
    rows: Iterable[dict[str, Any]] | None, customers: set[str]
) -> dict[str, list[datetime]]:
    """Issue times of clean failed / uncollectible invoices per customer."""
    failed: dict[str, list[datetime]] = defaultdict(list)
    for row in rows or ():
        if any(_is_missing(row.get(field)) for field in
               ("invoice_id", "customer_id", "issued_at", "amount_due", "currency", "status")):
            continue
        customer_id = _text(row["customer_id"])
        status = _text(row["status"]).lower()
        if customer_id not in customers or status not in ("failed", "uncollectible"):
            continue
        try:
            issued_at = _timestamp(row["issued_at"])
            amount_due = _number(row["amount_due"])
        except _Unparseable:
            continue
        if amount_due is None or amount_due < 0:
            continue
        failed[customer_id].append(issued_at)
    return failed


def _classify_churn(
    periods: list[_Period],
    boundary: datetime,
    failed_at: list[datetime],
    window: timedelta,
    mapping: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    stops = [p.end for p in periods if p.bears_mrr and p.end is not None and p.end <= boundary]
    stop = max(stops) if stops else None
    ended = [p.cancel_reason for p in periods
             if p.bears_mrr and p.end == stop and p.cancel_reason is not None]
    pauses = [p for p in periods if p.status == "paused" and stop is not None and p.start == stop]
    pause_reasons = [p.cancel_reason for p in pauses if p.cancel_reason is not None]
    if ended:
        reason = max(ended)
    elif pause_reasons:
        reason = max(pause_reasons)
    elif pauses:
        reason = "paused"
    else:
        reason = "unknown"
    failures = stop is not None and any(stop - window <= at <= stop for at in failed_at)
    mapped = mapping.get(reason)
    return {
        "churn_reason": reason,
        "churn_type": mapped["churn_type"] if mapped else ("involuntary" if failures else "voluntary"),
        "is_churn_controllable": mapped["is_controllable"] if mapped else None,
        "churn_category": mapped["category"] if mapped else "unclassified",
    }


def compute_fct_mrr(
    raw_dir: Path,
    as_of_date: date,
    reporting_currency: str = "USD",
    churn_grace_days: int = 0,
    reason_mapping: dict[str, dict[str, Any]] | None = None,
    involuntary_churn_window_days: int = 60,
) -> list[dict[str, Any]]:
    """Expected rows of ``marts.fct_mrr`` computed from the raw landing files.

    Returns dicts with ``customer_id`` (str), ``month`` (date, first day),
    ``mrr``, ``previous_mrr``, ``mrr_change``, ``fx_impact_mrr`` (Decimal,
    2 places) and ``movement``, sorted by customer and month. With
    ``reason_mapping`` (see ``read_reason_mapping``), churn rows also carry
    ``churn_reason``, ``churn_type``, ``is_churn_controllable`` and
    ``churn_category`` (None on other rows).
    """
    raw_dir = Path(raw_dir)
    reporting_currency = reporting_currency.strip().upper()
    customers = _valid_customer_ids(_read_table(raw_dir, "customers"))
    plans = _plan_ids(_read_table(raw_dir, "plans"))
    fx = _FxTable(_read_table(raw_dir, "fx_rates", optional=True), reporting_currency)
    periods = _clean_periods(_read_table(raw_dir, "subscriptions"), customers, plans, fx)
    failed = (
        _failed_invoice_days(_read_table(raw_dir, "invoices", optional=True), customers)
        if reason_mapping is not None else {}
    )
    window = timedelta(days=involuntary_churn_window_days)

    by_customer: dict[str, list[_Period]] = defaultdict(list)
    for period in periods:
        by_customer[period.customer_id].append(period)

    rows: list[dict[str, Any]] = []
    for customer_id in sorted(by_customer):
        customer_periods = by_customer[customer_id]
        for row in _customer_rows(customer_id, customer_periods, as_of_date, fx, churn_grace_days):
            boundary = row.pop("stop_boundary")
            if reason_mapping is not None:
                churn = (
                    _classify_churn(customer_periods, boundary, failed.get(customer_id, []), window,
                                    reason_mapping)
                    if row["movement"] == "churn" else
                    dict.fromkeys(("churn_reason", "churn_type", "is_churn_controllable", "churn_category"))
                )
                row.update(churn)
            rows.append(row)
    return rows


def compute_mrr_movements(rows: Iterable[dict[str, Any]]) -> dict[date, dict[str, Any]]:
    """Per-month movement totals (the subset of ``marts.mrr_movements`` the rows determine)."""
    totals: dict[date, dict[str, Any]] = {}
    for row in rows:
        month = row["month"]
        if month not in totals:
            totals[month] = {
                key: (0 if key in _COUNT_KEYS else _ZERO) for key in MOVEMENT_KEYS
            }
        bucket = totals[month]
        mrr, previous, movement = row["mrr"], row["previous_mrr"], row["movement"]
        bucket["starting_mrr"] += previous
        bucket["ending_mrr"] += mrr
        bucket["fx_impact_mrr"] += row.get("fx_impact_mrr", _ZERO)
        bucket["customers_start"] += int(previous > 0)
        bucket["customers_end"] += int(mrr > 0)
        if movement == "new":
            bucket["new_mrr"] += mrr
            bucket["new_customers"] += 1
        elif movement == "reactivation":
            bucket["reactivation_mrr"] += mrr
            bucket["reactivated_customers"] += 1
        elif movement == "expansion":
            bucket["expansion_mrr"] += mrr - previous - row.get("fx_impact_mrr", _ZERO)
        elif movement == "contraction":
            bucket["contraction_mrr"] += previous - mrr + row.get("fx_impact_mrr", _ZERO)
        elif movement == "churn":
            bucket["churned_mrr"] += previous
            bucket["churned_customers"] += 1
    return dict(sorted(totals.items()))
