"""Hand-off of the at-risk customers to customer success (scripts/export_at_risk.py).

Unit tests on a small hand-built warehouse: the latest snapshot only, only
customers at risk, riskiest MRR first, the suggested next step per signal,
the same rows in the CSV and the JSON, an earlier snapshot on request, and
one clear line for a missing warehouse, mart or snapshot.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "scripts"))

import export_at_risk  # noqa: E402

# customer, snapshot, segment, mrr, at risk, tier, score, reasons,
# payment, seat utilisation, inactivity, usage decline, renewal points
ROWS = [
    ("c1", "2026-10-31", "smb", "100.00", True, "high", 80, "2 failed payments; 3 of 20 seats used",
     20, 20, 0, 0, 0),
    ("c2", "2026-10-31", "enterprise", "900.00", True, "medium", 55, "no activity for 41 days while paying",
     0, 0, 60, 0, 0),
    ("c3", "2026-10-31", "mid_market", "300.00", True, "medium", 60, "logins down 72%; renewal in 30 days",
     0, 0, 0, 50, 20),
    ("c4", "2026-10-31", "smb", "500.00", False, "low", 20, "3 of 20 seats used", 0, 20, 0, 0, 0),
    ("c5", "2026-09-30", "smb", "700.00", True, "high", 90, "no activity for 60 days while paying",
     0, 0, 60, 50, 0),
]


@pytest.fixture()
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "subscription_metrics.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.hidden_churn_risk (customer_id varchar, snapshot_date date, segment varchar, "
            "plan_id varchar, mrr decimal(18,2), is_at_risk boolean, risk_tier varchar, risk_score integer, "
            "reasons varchar, mrr_at_risk decimal(18,2), payment_points integer, seat_utilisation_points integer, "
            "inactivity_points integer, usage_decline_points integer, renewal_points integer)"
        )
        for (customer, snapshot, segment, mrr, at_risk, tier, score, reasons,
             payment, seats, inactivity, decline, renewal) in ROWS:
            con.execute(
                "insert into marts.hidden_churn_risk values (?, ?, ?, 'p1', ?, ?, ?, ?, ?, "
                "case when ? then cast(? as decimal(18,2)) else 0 end, ?, ?, ?, ?, ?)",
                [customer, snapshot, segment, mrr, at_risk, tier, score, reasons, at_risk, mrr,
                 payment, seats, inactivity, decline, renewal],
            )
    return path


def test_latest_snapshot_at_risk_customers_with_next_steps(warehouse: Path, tmp_path: Path) -> None:
    out = tmp_path / "cs"
    result = export_at_risk.export_at_risk(warehouse, out)
    assert result.snapshot_date == date(2026, 10, 31)
    # c4 is not at risk, c5 is in an older snapshot; riskiest MRR first.
    expected = [
        ("c2", "enterprise", "900.00", "outreach"),
        ("c3", "mid_market", "300.00", "outreach; renewal review"),
        ("c1", "smb", "100.00", "dunning; adoption"),
    ]
    with (out / "at_risk_customers.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(row["customer_id"], row["segment"], row["mrr_at_risk"], row["next_steps"]) for row in rows] == expected
    assert rows[2]["reasons"] == "2 failed payments; 3 of 20 seats used"
    assert list(rows[0]) == export_at_risk.COLUMNS

    document = json.loads((out / "at_risk_customers.json").read_text(encoding="utf-8"))
    assert document["snapshot_date"] == "2026-10-31"
    assert document["customers_at_risk"] == 3
    assert document["mrr_at_risk"] == "1300.00"
    assert [(row["customer_id"], row["segment"], row["mrr_at_risk"], "; ".join(row["next_steps"]))
            for row in document["customers"]] == expected
    assert document["customers"][1]["next_steps"] == ["outreach", "renewal review"]
    assert not list(out.glob(".*partial"))


def test_next_steps_follow_the_signals() -> None:
    assert export_at_risk.next_steps({"payment_points": 30}) == ["dunning"]
    assert export_at_risk.next_steps({"seat_utilisation_points": 20}) == ["adoption"]
    # silence and a usage decline both call for outreach, once
    assert export_at_risk.next_steps({"inactivity_points": 60, "usage_decline_points": 50}) == ["outreach"]
    assert export_at_risk.next_steps({"renewal_points": 20, "payment_points": 20}) == ["dunning", "renewal review"]
    assert export_at_risk.next_steps({"payment_points": 0, "inactivity_points": None}) == []


def test_an_earlier_snapshot_on_request(warehouse: Path, tmp_path: Path) -> None:
    result = export_at_risk.export_at_risk(warehouse, tmp_path / "cs", date(2026, 9, 30))
    assert [row["customer_id"] for row in result.customers] == ["c5"]
    assert result.customers[0]["next_steps"] == ["outreach"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "export_at_risk.py"), *args],
                          capture_output=True, text=True, check=False)


def test_bad_input_gives_one_clear_line(warehouse: Path, tmp_path: Path) -> None:
    missing = _run("--warehouse", str(tmp_path / "nope.duckdb"), "--out", str(tmp_path / "cs"))
    assert missing.returncode == 1
    assert missing.stderr.strip().count("\n") == 0 and "warehouse not found" in missing.stderr

    unknown = _run("--warehouse", str(warehouse), "--out", str(tmp_path / "cs"), "--snapshot-date", "2026-01-31")
    assert unknown.returncode == 1
    assert unknown.stderr.strip() == (
        "[export_at_risk] no snapshot 2026-01-31 in marts.hidden_churn_risk (latest: 2026-10-31)"
    )

    malformed = _run("--warehouse", str(warehouse), "--snapshot-date", "31/10/2026")
    assert malformed.returncode == 2 and "YYYY-MM-DD" in malformed.stderr

    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    no_mart = _run("--warehouse", str(empty), "--out", str(tmp_path / "cs"))
    assert no_mart.returncode == 1
    assert no_mart.stderr.strip().count("\n") == 0 and "marts.hidden_churn_risk not found" in no_mart.stderr

    ok = _run("--warehouse", str(warehouse), "--out", str(tmp_path / "cs"))
    assert ok.returncode == 0, ok.stderr
    assert "3 customers at risk" in ok.stdout
