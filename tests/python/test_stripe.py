"""The Stripe path (docs/stripe.md): the hand-made Stripe export in
tests/stripe_landing, built with source_system: stripe.

The build runs every model, data test and unit test of the project (the
Stripe mapping's unit tests run only in this mode), so a failing invariant
of any mart fails here too. The expectations below are worked by hand from
the Stripe rows (amounts in minor units, prices per interval, quantities,
fx rate), not read back from the warehouse.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import csv
import shutil

import duckdb
import pytest

from conftest import REPO_ROOT, build_warehouse

STRIPE_DIR = REPO_ROOT / "tests" / "stripe_landing"
AS_OF = "2026-10-31"
#: fx_rates.csv: one JPY rate for every month.
JPY_TO_USD = Decimal("0.01")


def money(value: Decimal | float | int) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))


#: Month-end MRR in USD, October 2026, per customer, from the Stripe rows.
MRR_OCTOBER = {
    "cus_A": money(Decimal(2999) / 100),                                 # 29.99 a month; its test-mode sub is out
    "cus_B": money(Decimal(3000) * 2 * JPY_TO_USD),                      # JPY is zero-decimal: 3000 yen x 2 seats
    "cus_C": money(Decimal(1000) / 100 * 5 + Decimal(2500) / 100 * 1),   # 5 seats x 10.00 + add-on 25.00
    "cus_D": money(Decimal(120000) / 100 / 12),                          # 1200.00 a year
    "cus_E": money(Decimal(2000) / 100 * 52 / (12 * 2)),                 # 20.00 every 2 weeks, past_due still pays
    "cus_F": money(Decimal(240000) / 100 / (12 * 2)),                    # 2400.00 every 2 years
    "cus_G": money(Decimal(30000) / 100 / 3),                            # 300.00 a quarter, unpaid = past_due
    "cus_H": money(Decimal(4900) / 100),                                 # trial Oct 1-15, then 49.00
    "cus_I": money(Decimal(2999) / 100),                                 # cancel_at_period_end: pays until Nov 20
}
#: Customers with no MRR at the end of October: still trialing (cus_T),
#: ended Sep 1 (cus_J), deleted customer whose subscription ended Jun 1 (cus_L).
NO_MRR_OCTOBER = {"cus_T", "cus_J", "cus_L"}

#: (file, data row, reason code) of every row not staged.
QUARANTINED = {
    ("customer", 13, "test_mode"), ("customer", 14, "unparseable_value"), ("customer", 15, "exact_duplicate"),
    ("price", 10, "invalid_value"), ("price", 11, "test_mode"),
    ("price", 12, "invalid_value"), ("price", 13, "invalid_value"),   # metered, tiered: not mapped yet
    ("product", 4, "test_mode"),
    ("subscription", 2, "test_mode"), ("subscription", 14, "test_mode"), ("subscription", 15, "not_started"),
    ("subscription", 16, "unknown_customer"), ("subscription", 17, "invalid_item"),
    ("subscription", 18, "invalid_value"), ("subscription", 19, "invalid_item"),
    ("subscription_item", 2, "unknown_plan"), ("subscription_item", 15, "unknown_plan"),
    ("subscription_item", 16, "unknown_subscription"), ("subscription_item", 17, "unknown_subscription"),
    ("subscription_item", 18, "unknown_plan"), ("subscription_item", 19, "unknown_subscription"),
    ("subscription_item", 20, "unknown_subscription"), ("subscription_item", 21, "unknown_plan"),
    ("invoice", 5, "not_issued"), ("invoice", 6, "test_mode"),
}


@pytest.fixture(scope="module")
def stripe_warehouse(tmp_path_factory) -> Path:
    warehouse = tmp_path_factory.mktemp("stripe") / "warehouse.duckdb"
    build_warehouse(STRIPE_DIR, warehouse, as_of_date=AS_OF, extra_vars={"source_system": "stripe"})
    return warehouse


def query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def test_month_end_mrr_per_customer(stripe_warehouse: Path) -> None:
    rows = dict(query(stripe_warehouse, "select customer_id, mrr from marts.fct_mrr where month = date '2026-10-01'"))
    assert {customer: rows.get(customer) for customer in MRR_OCTOBER} == MRR_OCTOBER
    assert {customer: rows.get(customer, Decimal(0)) for customer in NO_MRR_OCTOBER} == dict.fromkeys(
        NO_MRR_OCTOBER, Decimal("0.00"))
    assert sum(MRR_OCTOBER.values()) == Decimal("587.31")
    total = query(stripe_warehouse, "select sum(mrr) from marts.fct_mrr where month = date '2026-10-01'")[0][0]
    assert total == sum(MRR_OCTOBER.values())


def test_mrr_ends_at_ended_at_not_canceled_at(stripe_warehouse: Path) -> None:
    # cus_J asked to cancel on Aug 10, the subscription ended Sep 1: August
    # still pays, September churns. cus_L (a deleted customer) ended Jun 1.
    rows = {(customer, month.isoformat()): (mrr, movement) for customer, month, mrr, movement in query(
        stripe_warehouse,
        "select customer_id, month, mrr, movement from marts.fct_mrr where customer_id in ('cus_J', 'cus_L')")}
    assert rows[("cus_J", "2026-08-01")] == (money(Decimal(2999) / 100), "flat")
    assert rows[("cus_J", "2026-09-01")] == (Decimal("0.00"), "churn")
    assert rows[("cus_L", "2026-05-01")] == (money(Decimal(2999) / 100), "flat")
    assert rows[("cus_L", "2026-06-01")] == (Decimal("0.00"), "churn")


def test_test_mode_rows_never_reach_the_marts(stripe_warehouse: Path) -> None:
    assert query(stripe_warehouse, "select count(*) from staging.stg_customers where customer_id = 'cus_K'") == [(0,)]
    assert query(stripe_warehouse, "select count(*) from marts.fct_mrr where customer_id = 'cus_K'") == [(0,)]
    assert query(stripe_warehouse,
                 "select count(*) from staging.stg_subscriptions where subscription_id in ('sub_A_test', 'sub_K')"
                 ) == [(0,)]
    assert query(stripe_warehouse, "select count(*) from staging.stg_invoices where invoice_id = 'in_K'") == [(0,)]


def test_every_row_not_staged_is_quarantined_with_its_reason(stripe_warehouse: Path) -> None:
    found = set(query(stripe_warehouse,
                      "select source_table, raw_row_number, quarantine_reason_code from audit.quarantined_rows"))
    assert found == QUARANTINED


def test_row_reconciliation_covers_every_stripe_file(stripe_warehouse: Path) -> None:
    rows = {table: (raw, clean, quarantined, duplicates, staged) for table, raw, clean, quarantined, duplicates, staged
            in query(stripe_warehouse, "select source_table, raw_rows, clean_rows, quarantined_rows, "
                                       "duplicates_removed, staged_rows from audit.raw_row_reconciliation")}
    for stripe_file in ("customer", "price", "product", "subscription", "subscription_item", "invoice"):
        lines = (STRIPE_DIR / f"{stripe_file}.csv").read_text(encoding="utf-8").strip().splitlines()
        not_staged = sum(1 for table, _, _ in QUARANTINED if table == stripe_file)
        raw, clean, quarantined, duplicates, staged = rows[stripe_file]
        assert raw == len(lines) - 1, stripe_file
        assert quarantined + duplicates == not_staged, stripe_file
        assert clean == staged == raw - not_staged, stripe_file


def test_invoices_in_minor_units_and_statuses(stripe_warehouse: Path) -> None:
    rows = {invoice: (due, paid, currency, status) for invoice, due, paid, currency, status in query(
        stripe_warehouse, "select invoice_id, amount_due, amount_paid, currency, status from staging.stg_invoices")}
    assert rows["in_B10"] == (Decimal("6000.00"), Decimal("6000.00"), "JPY", "paid")   # yen: no minor unit
    assert rows["in_A10"] == (Decimal("29.99"), Decimal("29.99"), "USD", "paid")
    assert rows["in_E10"] == (Decimal("20.00"), Decimal("0.00"), "USD", "failed")     # open after 3 attempts
    assert rows["in_G08"][3] == "uncollectible"
    assert "in_draft" not in rows


@pytest.fixture(scope="module")
def stripe_parquet_warehouse(tmp_path_factory) -> Path:
    """The same export as typed Parquet files, as a warehouse sync writes them
    (BOOLEAN livemode, TIMESTAMP dates, BIGINT amounts; a column with a bad
    value stays text)."""
    work = tmp_path_factory.mktemp("stripe_parquet")
    landing = work / "landing"
    landing.mkdir()
    with duckdb.connect() as connection:
        for csv_file in sorted(STRIPE_DIR.glob("*.csv")):
            target = landing / (csv_file.stem + ".parquet")
            connection.execute(f"copy (select * from read_csv('{csv_file}', header = true, auto_detect = true)) "
                               f"to '{target}' (format parquet)")
        types = dict(connection.execute(f"select name, type from parquet_schema('{landing / 'subscription.parquet'}')"
                                        ).fetchall())
    assert types["livemode"] == "BOOLEAN" and types["cancel_at_period_end"] == "BOOLEAN"
    warehouse = work / "warehouse.duckdb"
    build_warehouse(landing, warehouse, as_of_date=AS_OF, extra_vars={"source_system": "stripe"})
    return warehouse


def marts(warehouse: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        names = [name for (name,) in connection.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' order by 1").fetchall()]
        return {name: sorted(tuple(round(value, 9) if isinstance(value, float) else value for value in row)
                             for row in connection.execute(f"select * from marts.{name}").fetchall())
                for name in names}


def test_parquet_export_builds_the_same_marts(stripe_warehouse: Path, stripe_parquet_warehouse: Path) -> None:
    from_csv, from_parquet = marts(stripe_warehouse), marts(stripe_parquet_warehouse)
    assert "fct_mrr" in from_csv
    for name in from_csv:
        assert from_parquet[name] == from_csv[name], name
    quarantined = "select source_table, raw_row_number, quarantine_reason_code from audit.quarantined_rows"
    assert set(query(stripe_parquet_warehouse, quarantined)) == QUARANTINED


@pytest.fixture(scope="module")
def stripe_plan_warehouse(tmp_path_factory) -> Path:
    """The same export with Stripe's legacy plan object instead of price
    (Fivetran's plan columns: amount, interval, interval_count, usage_type)."""
    work = tmp_path_factory.mktemp("stripe_plan")
    landing = work / "landing"
    shutil.copytree(STRIPE_DIR, landing, ignore=shutil.ignore_patterns("price.csv"))
    renamed = {"unit_amount": "amount", "recurring_interval": "interval",
               "recurring_interval_count": "interval_count", "recurring_usage_type": "usage_type"}
    with (STRIPE_DIR / "price.csv").open(encoding="utf-8", newline="") as source:
        rows = list(csv.DictReader(source))
    with (landing / "plan.csv").open("w", encoding="utf-8", newline="") as target:
        columns = [renamed.get(name, name) for name in rows[0] if name != "type"]
        writer = csv.DictWriter(target, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({renamed.get(name, name): value for name, value in row.items() if name != "type"})
    warehouse = work / "warehouse.duckdb"
    build_warehouse(landing, warehouse, as_of_date=AS_OF, extra_vars={"source_system": "stripe"})
    return warehouse


def test_legacy_plan_file_builds_the_same_marts(stripe_warehouse: Path, stripe_plan_warehouse: Path) -> None:
    from_price, from_plan = marts(stripe_warehouse), marts(stripe_plan_warehouse)
    for name in from_price:
        assert from_plan[name] == from_price[name], name
    quarantined = set(query(stripe_plan_warehouse,
                            "select source_table, raw_row_number, quarantine_reason_code from audit.quarantined_rows"))
    assert quarantined == {("plan" if table == "price" else table, row, code) for table, row, code in QUARANTINED}
    assert query(stripe_plan_warehouse, "select raw_rows, clean_rows, staged_rows from audit.raw_row_reconciliation "
                                        "where source_table = 'plan'") == [(13, 9, 9)]


def test_export_without_events_builds(tmp_path) -> None:
    """Stripe has no product usage: without events.csv the whole project
    builds (every data test passes, the events freshness test too) and MRR
    is the same; usage-based marts are empty."""
    landing = tmp_path / "landing"
    shutil.copytree(STRIPE_DIR, landing, ignore=shutil.ignore_patterns("events.csv"))
    warehouse = tmp_path / "warehouse.duckdb"
    build_warehouse(landing, warehouse, as_of_date=AS_OF, extra_vars={"source_system": "stripe"})
    rows = dict(query(warehouse, "select customer_id, mrr from marts.fct_mrr where month = date '2026-10-01'"))
    assert {customer: rows.get(customer) for customer in MRR_OCTOBER} == MRR_OCTOBER
    assert query(warehouse, "select count(*) from staging.stg_event_user_days") == [(0,)]
    assert query(warehouse, "select raw_rows, source_file from audit.raw_row_reconciliation "
                            "where source_table = 'events'") == [(0, None)]
