"""The MRR mart against an independent plain-Python reference.

Two layers:

* unit tests of ``reference_mrr`` itself on tiny hand-built landing
  directories with exact expected values (no dbt needed);
* ``@pytest.mark.dbt`` comparison tests: generate a demo landing directory,
  build the warehouse with dbt, and require ``marts.fct_mrr`` and the totals
  of ``marts.mrr_movements`` to equal what the reference computes from the
  same raw files, to the cent.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from reference_mrr import (  # noqa: E402
    MOVEMENT_KEYS,
    compute_fct_mrr,
    compute_mrr_movements,
    read_reason_mapping,
)

REPO_ROOT = Path(__file__).resolve().parents[2]

CUSTOMER_COLUMNS = (
    "customer_id",
    "created_at",
    "company_name",
    "country",
    "segment",
    "acquisition_channel",
)
PLAN_COLUMNS = ("plan_id", "plan_name", "tier", "billing_interval", "list_price", "currency")
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
FX_COLUMNS = ("currency", "rate_date", "rate_to_reporting")
INVOICE_COLUMNS = (
    "invoice_id", "customer_id", "subscription_id", "issued_at", "period_start", "period_end",
    "amount_due", "amount_paid", "amount_refunded", "currency", "status", "attempt_count", "paid_at",
)
REASON_MAPPING = REPO_ROOT / "seeds" / "churn_reason_mapping.csv"

PLANS = [
    {"plan_id": "basic_m", "plan_name": "Basic", "tier": "basic", "billing_interval": "month",
     "list_price": "100", "currency": "USD"},
    {"plan_id": "basic_q", "plan_name": "Basic quarterly", "tier": "basic",
     "billing_interval": "quarter", "list_price": "300", "currency": "USD"},
    {"plan_id": "pro_y", "plan_name": "Pro annual", "tier": "pro", "billing_interval": "year",
     "list_price": "1200", "currency": "USD"},
    {"plan_id": "eu_m", "plan_name": "Basic EUR", "tier": "basic", "billing_interval": "month",
     "list_price": "100", "currency": "EUR"},
]


# ---------------------------------------------------------------------------
# Helpers for hand-built landing directories
# ---------------------------------------------------------------------------


def _write_csv(path: Path, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({column: row.get(column, "") for column in columns})


def sub(
    subscription_id: str,
    customer_id: str,
    start: str,
    end: str = "",
    amount: str = "100",
    **overrides: str,
) -> dict[str, str]:
    """A subscription row with sensible defaults (monthly USD plan, active)."""
    row = {
        "subscription_id": subscription_id,
        "customer_id": customer_id,
        "plan_id": "basic_m",
        "billing_interval": "month",
        "amount": amount,
        "quantity": "1",
        "currency": "USD",
        "status": "active",
        "period_start": start,
        "period_end": end,
        "cancel_reason": "",
    }
    row.update(overrides)
    return row


def make_raw(
    directory: Path,
    subscriptions: list[dict[str, str]],
    *,
    customers: list[dict[str, str]] | None = None,
    fx_rates: list[dict[str, str]] | None = None,
    invoices: list[dict[str, str]] | None = None,
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    if customers is None:
        ids = sorted({row["customer_id"] for row in subscriptions if row.get("customer_id")})
        customers = [{"customer_id": cid, "created_at": "2023-01-01T00:00:00"} for cid in ids]
    _write_csv(directory / "customers.csv", CUSTOMER_COLUMNS, customers)
    _write_csv(directory / "plans.csv", PLAN_COLUMNS, PLANS)
    _write_csv(directory / "subscriptions.csv", SUBSCRIPTION_COLUMNS, subscriptions)
    if fx_rates is not None:
        _write_csv(directory / "fx_rates.csv", FX_COLUMNS, fx_rates)
    if invoices is not None:
        _write_csv(directory / "invoices.csv", INVOICE_COLUMNS, invoices)
    return directory


def series(rows: list[dict[str, Any]], customer_id: str) -> list[tuple[str, str, str]]:
    """(month, mrr, movement) of one customer as compact strings."""
    return [
        (row["month"].strftime("%Y-%m"), str(row["mrr"]), row["movement"])
        for row in rows
        if row["customer_id"] == customer_id
    ]


def customers_with_rows(rows: list[dict[str, Any]]) -> set[str]:
    return {row["customer_id"] for row in rows}


def assert_row_invariants(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        assert row["mrr_change"] == row["mrr"] - row["previous_mrr"]
        assert row["mrr"] == row["mrr"].quantize(Decimal("0.01"))
        assert row["month"].day == 1
    for totals in compute_mrr_movements(rows).values():
        assert (
            totals["starting_mrr"]
            + totals["new_mrr"]
            + totals["expansion_mrr"]
            + totals["reactivation_mrr"]
            - totals["contraction_mrr"]
            - totals["churned_mrr"]
            + totals["fx_impact_mrr"]
            == totals["ending_mrr"]
        )


# ---------------------------------------------------------------------------
# Unit tests of the reference
# ---------------------------------------------------------------------------


def test_annual_plan_is_divided_by_twelve(tmp_path: Path) -> None:
    raw = make_raw(tmp_path, [
        sub("s1", "c1", "2024-01-15T00:00:00", amount="1200", plan_id="pro_y",
            billing_interval="year"),
    ])
    rows = compute_fct_mrr(raw, date(2024, 3, 31))
    assert series(rows, "c1") == [
        ("2024-01", "100.00", "new"),
        ("2024-02", "100.00", "flat"),
        ("2024-03", "100.00", "flat"),
    ]
    assert rows[0]["previous_mrr"] == Decimal("0.00")
    assert rows[1]["mrr_change"] == Decimal("0.00")
    assert_row_invariants(rows)


def test_quarterly_plan_is_divided_by_three_and_rounded_half_up(tmp_path: Path) -> None:
    raw = make_raw(tmp_path, [
        sub("s1", "c1", "2024-01-01", amount="300", plan_id="basic_q", billing_interval="quarter"),
        sub("s2", "c2", "2024-01-01", amount="100", plan_id="basic_q", billing_interval="quarter"),
        sub("s3", "c3", "2024-01-01", amount="200", plan_id="basic_q", billing_interval="quarter"),
        # 10.025 is a tie at the cent: half-up gives 10.03 (banker's would give 10.02)
        sub("s4", "c4", "2024-01-01", amount="10.025"),
        # rounded to 6 places first (0.015000), then to cents (0.02)
        sub("s5", "c5", "2024-01-01", amount="0.0149999996"),
    ])
    rows = compute_fct_mrr(raw, date(2024, 1, 31))
    mrr = {row["customer_id"]: str(row["mrr"]) for row in rows}
    assert mrr == {"c1": "100.00", "c2": "33.33", "c3": "66.67", "c4": "10.03", "c5": "0.02"}


def test_row_billing_interval_wins_over_plan_interval(tmp_path: Path) -> None:
    raw = make_raw(tmp_path, [
        sub("s1", "c1", "2024-01-01", amount="1200", plan_id="basic_m", billing_interval="year"),
    ])
    assert series(compute_fct_mrr(raw, date(2024, 1, 31)), "c1") == [
        ("2024-01", "100.00", "new")
    ]


def test_eur_plan_uses_latest_rate_on_or_before_the_day(tmp_path: Path) -> None:
    raw = make_raw(
        tmp_path,
        [
            sub("s1", "c1", "2023-12-15", amount="100", plan_id="eu_m", currency=" eur "),
            sub("s2", "c2", "2024-01-01", amount="100", plan_id="eu_m", currency="GBP"),
        ],
        fx_rates=[
            {"currency": "EUR", "rate_date": "2024-01-10", "rate_to_reporting": "1.10"},
            {"currency": "EUR", "rate_date": "2024-02-29", "rate_to_reporting": "1.20"},
            {"currency": "EUR", "rate_date": "2024-03-15", "rate_to_reporting": "1.05"},
            {"currency": "EUR", "rate_date": "2024-03-21", "rate_to_reporting": "2.00"},
        ],
    )
    rows = compute_fct_mrr(raw, date(2024, 3, 20))
    # The price never changes: the rate moves MRR, the movement stays flat and
    # the change is fx_impact_mrr.
    assert series(rows, "c1") == [
        ("2023-12", "110.00", "new"),  # no rate yet on Dec 31: the earliest one
        ("2024-01", "110.00", "flat"),
        ("2024-02", "120.00", "flat"),  # the rate dated on the evaluation day counts
        ("2024-03", "105.00", "flat"),  # as_of Mar 20: the Mar 21 rate is not used
    ]
    assert [str(row["fx_impact_mrr"]) for row in rows if row["customer_id"] == "c1"] == [
        "0.00", "0.00", "10.00", "-15.00"
    ]
    # GBP has no rate and is not the reporting currency: the row is skipped
    assert "c2" not in customers_with_rows(rows)


def test_reporting_currency_parameter(tmp_path: Path) -> None:
    raw = make_raw(
        tmp_path,
        [
            sub("s1", "c1", "2024-01-01", amount="100", currency="EUR"),
            sub("s2", "c2", "2024-01-01", amount="100", currency="USD"),
        ],
        fx_rates=[{"currency": "USD", "rate_date": "2024-01-01", "rate_to_reporting": "0.5"}],
    )
    rows = compute_fct_mrr(raw, date(2024, 1, 31), reporting_currency="eur")
    assert {row["customer_id"]: str(row["mrr"]) for row in rows} == {"c1": "100.00", "c2": "50.00"}


def test_mid_month_upgrade_and_downgrade(tmp_path: Path) -> None:
    raw = make_raw(tmp_path, [
        sub("s1", "c1", "2024-01-01", "2024-02-15", amount="100"),
        sub("s1", "c1", "2024-02-15", "2024-03-10", amount="250"),  # upgrade
        sub("s1", "c1", "2024-03-10", amount="80"),  # downgrade
        sub("s2", "c1", "2024-03-20", amount="20"),  # a second subscription adds up
    ])
    rows = compute_fct_mrr(raw, date(2024, 4, 30))
    assert series(rows, "c1") == [
        ("2024-01", "100.00", "new"),
        ("2024-02", "250.00", "expansion"),
        ("2024-03", "100.00", "contraction"),
        ("2024-04", "100.00", "flat"),
    ]
    assert [str(row["mrr_change"]) for row in rows] == ["100.00", "150.00", "-150.00", "0.00"]
    assert_row_invariants(rows)


def test_churn_then_reactivation(tmp_path: Path) -> None:
    raw = make_raw(tmp_path, [
        # period_end is exclusive; ending at Mar 1 00:00 still counts on Feb 29
        sub("s1", "c1", "2024-01-01", "2024-03-01T00:00:00", amount="100", status="canceled",
            cancel_reason="too_expensive"),
        sub("s2", "c1", "2024-05-20", amount="120"),
    ])
    rows = compute_fct_mrr(raw, date(2024, 5, 31))
    assert series(rows, "c1") == [
        ("2024-01", "100.00", "new"),
        ("2024-02", "100.00", "flat"),
        ("2024-03", "0.00", "churn"),
        ("2024-04", "0.00", "inactive"),
        ("2024-05", "120.00", "reactivation"),
    ]
    movements = compute_mrr_movements(rows)
    assert movements[date(2024, 3, 1)]["churned_mrr"] == Decimal("100.00")
    assert movements[date(2024, 3, 1)]["churned_customers"] == 1
    assert movements[date(2024, 3, 1)]["customers_end"] == 0
    assert movements[date(2024, 5, 1)]["reactivation_mrr"] == Decimal("120.00")
    assert movements[date(2024, 5, 1)]["reactivated_customers"] == 1
    assert_row_invariants(rows)


def test_trial_that_converts_and_trial_that_does_not(tmp_path: Path) -> None:
    raw = make_raw(tmp_path, [
        sub("s1", "c1", "2024-01-10", "2024-02-10", amount="100", status="trialing"),
        sub("s1", "c1", "2024-02-10", amount="100", status="active"),
        sub("s2", "c2", "2024-01-10", "2024-02-10", amount="100", status="trialing"),
        sub("s3", "c3", "2024-01-05", amount="90", status="past_due"),
    ])
    rows = compute_fct_mrr(raw, date(2024, 2, 29))
    assert series(rows, "c1") == [("2024-02", "100.00", "new")]
    assert "c2" not in customers_with_rows(rows)  # never had MRR: no rows at all
    assert series(rows, "c3") == [("2024-01", "90.00", "new"), ("2024-02", "90.00", "flat")]


def test_pause_carries_no_mrr(tmp_path: Path) -> None:
    subscriptions = [
        sub("s1", "c1", "2024-01-01", "2024-02-10", amount="100"),
        sub("s1", "c1", "2024-02-10", "2024-03-05", amount="100", status="paused"),
        sub("s1", "c1", "2024-03-05", amount="100"),
    ]
    raw = make_raw(tmp_path, subscriptions)
    assert series(compute_fct_mrr(raw, date(2024, 3, 31)), "c1") == [
        ("2024-01", "100.00", "new"),
        ("2024-02", "0.00", "churn"),
        ("2024-03", "100.00", "reactivation"),
    ]
    # The pause is 24 days (Feb 10 -> Mar 5): a 24-day grace bridges it, 23 does not.
    assert series(compute_fct_mrr(raw, date(2024, 3, 31), churn_grace_days=24), "c1") == [
        ("2024-01", "100.00", "new"),
        ("2024-02", "100.00", "flat"),
        ("2024-03", "100.00", "flat"),
    ]
    assert series(compute_fct_mrr(raw, date(2024, 3, 31), churn_grace_days=23), "c1")[1] == (
        "2024-02", "0.00", "churn"
    )


def test_as_of_date_mid_month(tmp_path: Path) -> None:
    raw = make_raw(tmp_path, [
        sub("s1", "c1", "2024-01-01", "2024-03-20", amount="100"),  # still running on the 15th
        sub("s2", "c2", "2024-01-01", "2024-03-15T12:00:00", amount="100"),  # ended during it
        sub("s3", "c3", "2024-03-15T23:59:59", amount="70"),  # started during it
        sub("s4", "c4", "2024-03-16T00:00:00", amount="70"),  # starts after as_of
        sub("s5", "c1", "2024-03-16", amount="500"),  # upgrade after as_of: ignored
    ])
    rows = compute_fct_mrr(raw, date(2024, 3, 15))
    assert series(rows, "c1") == [
        ("2024-01", "100.00", "new"),
        ("2024-02", "100.00", "flat"),
        ("2024-03", "100.00", "flat"),
    ]
    assert series(rows, "c2")[-1] == ("2024-03", "0.00", "churn")
    assert series(rows, "c3") == [("2024-03", "70.00", "new")]
    assert "c4" not in customers_with_rows(rows)
    assert max(row["month"] for row in rows) == date(2024, 3, 1)


def test_subscription_starting_after_as_of_date(tmp_path: Path) -> None:
    raw = make_raw(tmp_path, [sub("s1", "c1", "2024-06-01", amount="100")])
    assert compute_fct_mrr(raw, date(2024, 5, 31)) == []
    assert series(compute_fct_mrr(raw, date(2024, 6, 1)), "c1") == [("2024-06", "100.00", "new")]


def test_grace_fills_short_gaps_only(tmp_path: Path) -> None:
    raw = make_raw(tmp_path, [
        # c1: stops Mar 20, back Apr 9 (exactly 20 days later) at a higher price
        sub("s1", "c1", "2024-01-01", "2024-03-20", amount="100", status="canceled"),
        sub("s2", "c1", "2024-04-09", amount="150"),
        # c2: stops Mar 20, back Apr 9 12:00 (20.5 days)
        sub("s3", "c2", "2024-01-01", "2024-03-20", amount="100", status="canceled"),
        sub("s4", "c2", "2024-04-09T12:00:00", amount="100"),
        # c3: stops Mar 20, back May 1 (42 days): two months to fill with grace 45
        sub("s5", "c3", "2024-01-01", "2024-03-20", amount="100", status="canceled"),
        sub("s6", "c3", "2024-05-01", amount="90"),
    ])
    as_of = date(2024, 5, 31)

    no_grace = compute_fct_mrr(raw, as_of)
    assert [m for _, _, m in series(no_grace, "c1")] == [
        "new", "flat", "churn", "reactivation", "flat"
    ]

    grace_20 = compute_fct_mrr(raw, as_of, churn_grace_days=20)
    assert series(grace_20, "c1") == [
        ("2024-01", "100.00", "new"),
        ("2024-02", "100.00", "flat"),
        ("2024-03", "100.00", "flat"),  # filled with February's MRR
        ("2024-04", "150.00", "expansion"),
        ("2024-05", "150.00", "flat"),
    ]
    assert [m for _, _, m in series(grace_20, "c2")] == [
        "new", "flat", "churn", "reactivation", "flat"
    ]
    assert series(grace_20, "c3")[2:] == [
        ("2024-03", "0.00", "churn"),
        ("2024-04", "0.00", "inactive"),
        ("2024-05", "90.00", "reactivation"),
    ]

    grace_45 = compute_fct_mrr(raw, as_of, churn_grace_days=45)
    assert series(grace_45, "c3") == [
        ("2024-01", "100.00", "new"),
        ("2024-02", "100.00", "flat"),
        ("2024-03", "100.00", "flat"),
        ("2024-04", "100.00", "flat"),
        ("2024-05", "90.00", "contraction"),
    ]
    assert_row_invariants(grace_45)

    # The comeback must happen by as_of_date to fill anything.
    before_return = compute_fct_mrr(raw, date(2024, 4, 30), churn_grace_days=45)
    assert series(before_return, "c3")[2:] == [
        ("2024-03", "0.00", "churn"),
        ("2024-04", "0.00", "inactive"),
    ]


def test_timestamps_with_offsets_are_converted_to_utc(tmp_path: Path) -> None:
    raw = make_raw(tmp_path, [
        # Jan 31 23:30 at -02:00 is Feb 1 01:30 UTC
        sub("s1", "c1", "2024-01-31T23:30:00-02:00", amount="100"),
        # Mar 1 01:00 at +02:00 is Feb 29 23:00 UTC: not in effect at the end of Feb
        sub("s2", "c2", "2024-01-01T00:00:00Z", "2024-03-01T01:00:00+02:00", amount="100"),
        # naive = UTC
        sub("s3", "c3", "2024-01-31 23:59:59", amount="100"),
    ])
    rows = compute_fct_mrr(raw, date(2024, 2, 29))
    assert series(rows, "c1") == [("2024-02", "100.00", "new")]
    assert series(rows, "c2") == [("2024-01", "100.00", "new"), ("2024-02", "0.00", "churn")]
    assert series(rows, "c3")[0] == ("2024-01", "100.00", "new")


def test_invalid_rows_are_skipped(tmp_path: Path) -> None:
    good = sub("s_ok", "ok", "2024-01-01", amount="100")
    bad_rows = {
        "unknown_customer": sub("b1", "ghost", "2024-01-01"),
        "bad_created_at": sub("b2", "bad_created_at", "2024-01-01"),
        "unknown_plan": sub("b3", "unknown_plan", "2024-01-01", plan_id="nope"),
        "end_before_start": sub("b4", "end_before_start", "2024-01-10", "2024-01-05"),
        "negative_amount": sub("b5", "negative_amount", "2024-01-01", amount="-1"),
        "zero_quantity": sub("b6", "zero_quantity", "2024-01-01", quantity="0"),
        "negative_quantity": sub("b7", "negative_quantity", "2024-01-01", quantity="-2"),
        "bad_quantity": sub("b8", "bad_quantity", "2024-01-01", quantity="many"),
        "unknown_currency": sub("b9", "unknown_currency", "2024-01-01", currency="XYZ"),
        "bad_status": sub("b10", "bad_status", "2024-01-01", status="deleted"),
        "bad_interval": sub("b11", "bad_interval", "2024-01-01", billing_interval="week"),
        "bad_amount": sub("b12", "bad_amount", "2024-01-01", amount="12,5x"),
        "bad_start": sub("b13", "bad_start", "2024-02-30"),
        "bad_end": sub("b14", "bad_end", "2024-01-01", "soon"),
        "canceled_open": sub("b15", "canceled_open", "2024-01-01", status="canceled"),
        "missing_subscription_id": sub("", "missing_subscription_id", "2024-01-01"),
        "missing_currency": sub("b16", "missing_currency", "2024-01-01", currency=""),
        "missing_amount": sub("b17", "missing_amount", "2024-01-01", amount=""),
        "missing_start": sub("b18", "missing_start", ""),
    }
    conflict_a = sub("dup", "conflict", "2024-01-01", amount="100")
    conflict_b = sub("dup", "conflict", "2024-01-01T00:00:00", amount="110")
    # a broken copy of a good row does not make its key ambiguous
    spoiled_a = sub("one_good", "one_good", "2024-01-01", amount="60")
    spoiled_b = sub("one_good", "one_good", "2024-01-01", amount="-60")
    exact = sub("twice", "exact_dup", "2024-01-01", amount="100")
    no_quantity = sub("nq", "no_quantity", "2024-01-01", amount="40", quantity="")

    subscriptions = [good, *bad_rows.values(), conflict_a, conflict_b, spoiled_a, spoiled_b,
                     exact, exact, no_quantity]
    customer_ids = {row["customer_id"] for row in subscriptions} - {"ghost"}
    customers = [
        {"customer_id": cid,
         "created_at": "yesterday" if cid == "bad_created_at" else "2023-05-01"}
        for cid in sorted(customer_ids)
    ]
    customers.append({"customer_id": "", "created_at": "2023-05-01"})
    raw = make_raw(tmp_path, subscriptions, customers=customers)

    rows = compute_fct_mrr(raw, date(2024, 1, 31))
    mrr = {row["customer_id"]: str(row["mrr"]) for row in rows}
    assert mrr == {
        "ok": "100.00", "exact_dup": "100.00", "no_quantity": "40.00", "one_good": "60.00"
    }


def test_fx_impact_is_apart_from_the_movements(tmp_path: Path) -> None:
    raw = make_raw(
        tmp_path,
        [
            # EUR 100 -> 150 on Feb 10 while EUR goes 1.10 -> 1.20: 60 expansion + 10 fx
            sub("s1", "up", "2024-01-01", "2024-02-10", amount="100", plan_id="eu_m", currency="EUR"),
            sub("s1", "up", "2024-02-10", amount="150", plan_id="eu_m", currency="EUR"),
            # EUR 100 + USD 50, a GBP add-on from Feb 10: restated Feb = 100 x 1.2 + 50
            sub("m1", "multi", "2024-01-01", amount="100", plan_id="eu_m", currency="EUR"),
            sub("m2", "multi", "2024-01-01", amount="50"),
            sub("m3", "multi", "2024-02-10", amount="10", currency="GBP"),
            # EUR 100 -> 90 in March while EUR falls 1.20 -> 1.05: contraction 10.50, fx -15
            sub("s3", "down", "2024-01-01", "2024-03-05", amount="100", plan_id="eu_m", currency="EUR"),
            sub("s3", "down", "2024-03-05", amount="90", plan_id="eu_m", currency="EUR"),
        ],
        fx_rates=[
            {"currency": "EUR", "rate_date": "2024-01-01", "rate_to_reporting": "1.10"},
            {"currency": "EUR", "rate_date": "2024-02-01", "rate_to_reporting": "1.20"},
            {"currency": "EUR", "rate_date": "2024-03-01", "rate_to_reporting": "1.05"},
            {"currency": "GBP", "rate_date": "2024-01-01", "rate_to_reporting": "1.30"},
        ],
    )
    rows = compute_fct_mrr(raw, date(2024, 3, 31))
    by_key = {(row["customer_id"], row["month"].month): row for row in rows}
    assert (by_key[("up", 2)]["movement"], str(by_key[("up", 2)]["fx_impact_mrr"])) == ("expansion", "10.00")
    assert (by_key[("up", 3)]["movement"], str(by_key[("up", 3)]["fx_impact_mrr"])) == ("flat", "-22.50")
    assert str(by_key[("multi", 2)]["mrr"]) == "183.00"  # 120 + 50 + 13
    assert str(by_key[("multi", 2)]["fx_impact_mrr"]) == "10.00"  # 170 - 160
    assert by_key[("multi", 2)]["movement"] == "expansion"  # 183 - 170 = the GBP add-on
    assert (by_key[("down", 3)]["movement"], str(by_key[("down", 3)]["fx_impact_mrr"])) == ("contraction", "-15.00")
    movements = compute_mrr_movements(rows)
    march = movements[date(2024, 3, 1)]
    assert march["contraction_mrr"] == Decimal("10.50")  # 10 EUR at 1.05
    assert march["fx_impact_mrr"] == Decimal("-22.50") + Decimal("-15.00") + Decimal("-15.00")
    assert_row_invariants(rows)


def test_fx_impact_after_a_grace_gap_restates_the_last_paid_month(tmp_path: Path) -> None:
    raw = make_raw(
        tmp_path,
        [
            sub("s1", "g", "2024-01-01", "2024-02-25", amount="100", plan_id="eu_m", currency="EUR",
                status="canceled"),
            sub("s2", "g", "2024-03-03", amount="100", plan_id="eu_m", currency="EUR"),
        ],
        fx_rates=[
            {"currency": "EUR", "rate_date": "2024-01-01", "rate_to_reporting": "1.10"},
            {"currency": "EUR", "rate_date": "2024-03-01", "rate_to_reporting": "1.20"},
        ],
    )
    rows = compute_fct_mrr(raw, date(2024, 3, 31), churn_grace_days=7)
    assert series(rows, "g") == [
        ("2024-01", "110.00", "new"), ("2024-02", "110.00", "flat"), ("2024-03", "120.00", "flat"),
    ]
    assert [str(row["fx_impact_mrr"]) for row in rows] == ["0.00", "0.00", "10.00"]


def test_cancel_reason_decides_the_churn_type(tmp_path: Path) -> None:
    def invoice(invoice_id: str, customer_id: str, issued_at: str, status: str) -> dict[str, str]:
        return {"invoice_id": invoice_id, "customer_id": customer_id, "issued_at": issued_at,
                "amount_due": "100", "currency": "USD", "status": status}

    raw = make_raw(
        tmp_path,
        [
            sub("x", "x", "2024-01-01", "2024-03-10", status="canceled", cancel_reason="too_expensive"),
            sub("y", "y", "2024-01-01", "2024-03-10", status="canceled"),
            sub("z", "z", "2024-01-01", "2024-03-10", status="canceled", cancel_reason="Moved_To_Sheets"),
            sub("v", "v", "2024-01-01", "2024-03-10", status="canceled", cancel_reason="no_longer_needed"),
            sub("o", "o", "2024-01-01", "2024-03-10", status="canceled"),  # failure too old
        ],
        invoices=[
            invoice("ix", "x", "2024-02-20", "failed"),
            invoice("iy", "y", "2024-02-20", "uncollectible"),
            invoice("iv", "v", "2024-02-20", "failed"),
            invoice("io", "o", "2023-12-20", "failed"),  # 81 days before the stop
        ],
    )
    rows = compute_fct_mrr(raw, date(2024, 3, 31), reason_mapping=read_reason_mapping(REASON_MAPPING))
    churns = {row["customer_id"]: (row["churn_reason"], row["churn_type"], row["is_churn_controllable"],
                                   row["churn_category"])
              for row in rows if row["movement"] == "churn"}
    assert churns == {
        "x": ("too_expensive", "voluntary", True, "price"),
        "y": ("unknown", "involuntary", None, "unclassified"),
        "z": ("moved_to_sheets", "voluntary", None, "unclassified"),
        "v": ("no_longer_needed", "voluntary", False, "customer_change"),
        "o": ("unknown", "voluntary", None, "unclassified"),
    }
    assert all(row["churn_type"] is None for row in rows if row["movement"] != "churn")


def test_movement_totals(tmp_path: Path) -> None:
    raw = make_raw(tmp_path, [
        sub("s1", "c1", "2024-01-01", "2024-02-10", amount="100"),
        sub("s1", "c1", "2024-02-10", amount="130"),  # expansion in Feb
        sub("s2", "c2", "2024-01-01", "2024-02-10", amount="200"),
        sub("s2", "c2", "2024-02-10", amount="150"),  # contraction in Feb
        sub("s3", "c3", "2024-01-01", "2024-02-10", amount="50", status="canceled"),  # churn
        sub("s4", "c4", "2024-02-03", amount="75"),  # new in Feb
        sub("s5", "c5", "2024-01-01", amount="10"),  # flat
    ])
    movements = compute_mrr_movements(compute_fct_mrr(raw, date(2024, 2, 29)))
    assert list(movements) == [date(2024, 1, 1), date(2024, 2, 1)]
    assert set(movements[date(2024, 2, 1)]) == set(MOVEMENT_KEYS)
    assert movements[date(2024, 1, 1)] == {
        "starting_mrr": Decimal("0"), "new_mrr": Decimal("360"), "expansion_mrr": 0,
        "contraction_mrr": 0, "churned_mrr": 0, "reactivation_mrr": 0,
        "ending_mrr": Decimal("360"), "fx_impact_mrr": 0, "customers_start": 0, "customers_end": 4,
        "new_customers": 4, "churned_customers": 0, "reactivated_customers": 0,
    }
    assert movements[date(2024, 2, 1)] == {
        "starting_mrr": Decimal("360"), "new_mrr": Decimal("75"), "expansion_mrr": Decimal("30"),
        "contraction_mrr": Decimal("50"), "churned_mrr": Decimal("50"), "reactivation_mrr": 0,
        "ending_mrr": Decimal("365"), "fx_impact_mrr": 0, "customers_start": 4, "customers_end": 4,
        "new_customers": 1, "churned_customers": 1, "reactivated_customers": 0,
    }


def test_parquet_landing_files_give_the_same_result(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    subscriptions = [
        sub("s1", "c1", "2024-01-01T00:00:00", "2024-02-15T00:00:00", amount="100"),
        sub("s1", "c1", "2024-02-15T00:00:00", amount="250.50", currency="EUR"),
        sub("s2", "c2", "2024-01-20T00:00:00", amount="1200", billing_interval="year",
            plan_id="pro_y"),
    ]
    fx = [{"currency": "EUR", "rate_date": "2024-01-01", "rate_to_reporting": "1.1"}]
    csv_dir = make_raw(tmp_path / "csv", subscriptions, fx_rates=fx)

    parquet_dir = tmp_path / "parquet"
    parquet_dir.mkdir()

    def ts(text: str) -> datetime | None:
        return datetime.fromisoformat(text) if text else None

    pq.write_table(
        pa.table({
            "subscription_id": [r["subscription_id"] for r in subscriptions],
            "customer_id": [r["customer_id"] for r in subscriptions],
            "plan_id": [r["plan_id"] for r in subscriptions],
            "billing_interval": [r["billing_interval"] for r in subscriptions],
            "amount": pa.array([Decimal(r["amount"]) for r in subscriptions],
                               type=pa.decimal128(12, 2)),
            "quantity": pa.array([int(r["quantity"]) for r in subscriptions], type=pa.int64()),
            "currency": [r["currency"] for r in subscriptions],
            "status": [r["status"] for r in subscriptions],
            "period_start": pa.array([ts(r["period_start"]) for r in subscriptions],
                                     type=pa.timestamp("us", tz="UTC")),
            "period_end": pa.array([ts(r["period_end"]) for r in subscriptions],
                                   type=pa.timestamp("us", tz="UTC")),
            "cancel_reason": pa.array([None] * len(subscriptions), type=pa.string()),
        }),
        parquet_dir / "subscriptions.parquet",
    )
    pq.write_table(
        pa.table({
            "customer_id": ["c1", "c2"],
            "created_at": pa.array([datetime(2023, 1, 1)] * 2, type=pa.timestamp("us")),
        }),
        parquet_dir / "customers.parquet",
    )
    pq.write_table(pa.table({"plan_id": [p["plan_id"] for p in PLANS]}),
                   parquet_dir / "plans.parquet")
    pq.write_table(
        pa.table({
            "currency": ["EUR"],
            "rate_date": pa.array([date(2024, 1, 1)], type=pa.date32()),
            "rate_to_reporting": [1.1],
        }),
        parquet_dir / "fx_rates.parquet",
    )

    as_of = date(2024, 3, 31)
    from_csv = compute_fct_mrr(csv_dir, as_of)
    assert series(from_csv, "c1") == [
        ("2024-01", "100.00", "new"),
        ("2024-02", "275.55", "expansion"),
        ("2024-03", "275.55", "flat"),
    ]
    assert compute_fct_mrr(parquet_dir, as_of) == from_csv


# ---------------------------------------------------------------------------
# Comparison with the dbt marts
# ---------------------------------------------------------------------------

AS_OF_DATE = date(2026, 10, 31)
DBT_CASES = [
    pytest.param((1, 0), id="seed1"),
    pytest.param((2, 0), id="seed2"),
    pytest.param((3, 0), id="seed3"),
    pytest.param((1, 20), id="seed1-grace20"),
]
MAX_REPORTED_DIFFERENCES = 10


@dataclass
class BuiltWarehouse:
    seed: int
    grace_days: int
    raw_dir: Path
    fct_mrr: list[dict[str, Any]]
    mrr_movements: list[dict[str, Any]] | None  # None when the mart is not in the project


def _find_model(name: str) -> Path | None:
    return next((REPO_ROOT / "models").rglob(f"{name}.sql"), None)


def _dbt_executable() -> Path:
    return Path(sys.executable).parent / "dbt"


def _skip_unless_project_is_ready() -> None:
    missing = [
        str(path.relative_to(REPO_ROOT))
        for path in (REPO_ROOT / "scripts" / "generate_data.py", REPO_ROOT / "dbt_project.yml")
        if not path.exists()
    ]
    if _find_model("fct_mrr") is None:
        missing.append("models/**/fct_mrr.sql")
    if not _dbt_executable().exists():
        missing.append(str(_dbt_executable()))
    if missing:
        pytest.skip("dbt comparison needs: " + ", ".join(missing))


def _tail(text: str, lines: int = 60) -> str:
    return "\n".join(text.splitlines()[-lines:])


def _fetch_dicts(connection: Any, sql: str) -> list[dict[str, Any]]:
    cursor = connection.execute(sql)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, values)) for values in cursor.fetchall()]


@pytest.fixture(scope="module", params=DBT_CASES)
def built_warehouse(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    _skip_unless_project_is_ready()
    duckdb = pytest.importorskip("duckdb")
    seed, grace_days = request.param
    work = tmp_path_factory.mktemp(f"mrr_seed{seed}_grace{grace_days}")
    raw_dir = work / "raw"
    warehouse = work / "wh.duckdb"

    generated = subprocess.run(
        [sys.executable, "scripts/generate_data.py", "--scale", "tiny", "--seed", str(seed),
         "--out", str(raw_dir)],
        cwd=REPO_ROOT, capture_output=True, text=True,
    )
    assert generated.returncode == 0, (
        f"generate_data.py failed:\n{_tail(generated.stdout)}\n{_tail(generated.stderr)}"
    )

    dbt_vars = {
        "raw_data_dir": str(raw_dir),
        "as_of_date": AS_OF_DATE.isoformat(),
        "churn_grace_days": grace_days,
    }
    selectors = ["+fct_mrr"]
    has_movements = _find_model("mrr_movements") is not None
    if has_movements:
        selectors.append("+mrr_movements")
    env = {
        **os.environ,
        "WAREHOUSE_PATH": str(warehouse),
        "DBT_PROFILES_DIR": str(REPO_ROOT),
        # keep artefacts of this build out of the shared working tree
        "DBT_TARGET_PATH": str(work / "target"),
        "DBT_LOG_PATH": str(work / "logs"),
    }
    built = subprocess.run(
        [str(_dbt_executable()), "build", "--select", *selectors, "--indirect-selection", "cautious", "--vars", json.dumps(dbt_vars)],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True,
    )
    assert built.returncode == 0, (
        f"dbt build failed (seed {seed}, grace {grace_days}):\n"
        f"{_tail(built.stdout)}\n{_tail(built.stderr)}"
    )

    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        fct_rows = _fetch_dicts(
            connection,
            "select customer_id, month, mrr, previous_mrr, mrr_change, fx_impact_mrr, movement, "
            "churn_reason, churn_type, is_churn_controllable, churn_category "
            "from marts.fct_mrr",
        )
        movement_rows = (
            _fetch_dicts(connection, "select * from marts.mrr_movements")
            if has_movements else None
        )
    finally:
        connection.close()
    return BuiltWarehouse(seed, grace_days, raw_dir, fct_rows, movement_rows)


def _as_decimal(value: Any) -> Any:
    if value is None or isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value))


def _as_month(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _normalised(row: dict[str, Any]) -> tuple[tuple[str, date], tuple]:
    key = (str(row["customer_id"]), _as_month(row["month"]))
    values = (
        _as_decimal(row["mrr"]),
        _as_decimal(row["previous_mrr"]),
        _as_decimal(row["mrr_change"]),
        _as_decimal(row["fx_impact_mrr"]),
        row["movement"],
        row["churn_reason"],
        row["churn_type"],
        row["is_churn_controllable"],
        row["churn_category"],
    )
    return key, values


def _reference_rows(built: BuiltWarehouse) -> list[dict[str, Any]]:
    return compute_fct_mrr(
        built.raw_dir, AS_OF_DATE, churn_grace_days=built.grace_days,
        reason_mapping=read_reason_mapping(REASON_MAPPING),
    )


def _difference_report(differences: list[str], what: str) -> str:
    shown = "\n".join(differences[:MAX_REPORTED_DIFFERENCES])
    return f"{len(differences)} differences in {what} (first {MAX_REPORTED_DIFFERENCES}):\n{shown}"


@pytest.mark.dbt
def test_fct_mrr_matches_reference(built_warehouse: BuiltWarehouse) -> None:
    expected_rows = _reference_rows(built_warehouse)
    assert expected_rows, "the reference found no MRR at all in the generated data"
    # The generated business bills in several currencies and churns for several
    # reasons: the comparison covers the fx split and the reason mapping.
    assert sum(1 for row in expected_rows if row["fx_impact_mrr"] != 0) > 10
    assert {row["churn_type"] for row in expected_rows} >= {"voluntary", "involuntary"}
    assert {row["is_churn_controllable"] for row in expected_rows if row["movement"] == "churn"} >= {True, False}
    expected = dict(_normalised(row) for row in expected_rows)

    actual: dict[tuple[str, date], tuple] = {}
    differences: list[str] = []
    for row in built_warehouse.fct_mrr:
        key, values = _normalised(row)
        if key in actual:
            differences.append(f"{key}: duplicate row in marts.fct_mrr")
        actual[key] = values

    fields = ("mrr", "previous_mrr", "mrr_change", "fx_impact_mrr", "movement", "churn_reason", "churn_type",
              "is_churn_controllable", "churn_category")
    for key in sorted(expected.keys() | actual.keys()):
        if key not in actual:
            differences.append(f"{key}: missing from marts.fct_mrr, expected {expected[key]}")
        elif key not in expected:
            differences.append(f"{key}: not expected, marts.fct_mrr has {actual[key]}")
        elif expected[key] != actual[key]:
            detail = ", ".join(
                f"{name} expected {want} got {got}"
                for name, want, got in zip(fields, expected[key], actual[key])
                if want != got
            )
            differences.append(f"{key}: {detail}")
    assert not differences, _difference_report(
        differences, f"marts.fct_mrr (seed {built_warehouse.seed}, "
        f"grace {built_warehouse.grace_days})"
    )


@pytest.mark.dbt
def test_mrr_movements_match_reference(built_warehouse: BuiltWarehouse) -> None:
    if built_warehouse.mrr_movements is None:
        pytest.skip("models/**/mrr_movements.sql does not exist yet")
    expected = compute_mrr_movements(_reference_rows(built_warehouse))
    actual: dict[date, dict[str, Any]] = {}
    differences: list[str] = []
    if built_warehouse.mrr_movements:
        absent = [key for key in MOVEMENT_KEYS if key not in built_warehouse.mrr_movements[0]]
        assert not absent, f"marts.mrr_movements lacks columns {absent}"
    for row in built_warehouse.mrr_movements:
        month = _as_month(row["month"])
        if month in actual:
            differences.append(f"{month}: duplicate month in marts.mrr_movements")
        actual[month] = row

    def value(totals: dict[str, Any] | None, key: str) -> Decimal:
        # a month absent on one side is compared as a month with nothing in it
        if totals is None or totals[key] is None:
            return Decimal(0)
        return _as_decimal(totals[key])

    for month in sorted(expected.keys() | actual.keys()):
        for key in MOVEMENT_KEYS:
            want, got = value(expected.get(month), key), value(actual.get(month), key)
            if want != got:
                differences.append(f"{month} {key}: expected {want} got {got}")
    assert not differences, _difference_report(
        differences, f"marts.mrr_movements (seed {built_warehouse.seed}, "
        f"grace {built_warehouse.grace_days})"
    )
