"""The MRR forecast (mrr_forecast) and its backtest against a Python reference.

A small generated business (16 months) is built with dbt; the forecast is
then recomputed here from other marts, with its own code:

* today's customers and the age of their paying run from fct_mrr (the
  latest new or reactivation month);
* the survival curve S(t) = prod_k (beta + k - 1) / (alpha + beta + k - 1)
  from the fitted alpha and beta of each origin (int_forecast_sbg_fits; the
  fit itself is tested in test_sbg_clv.py), the `all` fit for a segment whose
  own is degenerate or missing;
* arrivals and net expansion from the waterfall of mrr_movements_by_segment
  over the trailing `forecast_trailing_months` months;

and compared with mrr_forecast (every segment and the business, every month
ahead: expected MRR, customers, churned and new MRR) and with the backtest's
MAPE of the forecast and of the two naive forecasts.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pytest
import yaml

from conftest import REPO_ROOT, build_warehouse, generate

AS_OF = "2026-10-31"
HORIZON = 12
HISTORY_MONTHS = 12
TREND_MONTHS = 6
TRAILING = yaml.safe_load((REPO_ROOT / "dbt_project.yml").read_text())["vars"]["forecast_trailing_months"]


def month_index(month: date) -> int:
    return month.year * 12 + month.month - 1


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("forecast")
    raw = generate(work / "landing", "--scale", "tiny", "--customers", "120", "--months", "16", "--seed", "11",
                   "--end-date", AS_OF)
    path = work / "warehouse.duckdb"
    build_warehouse(raw, path, AS_OF, select=["+mrr_forecast", "+mrr_forecast_backtest", "+mrr_movements_by_segment"])
    return path


@pytest.fixture(scope="module")
def data(warehouse: Path) -> dict:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        customer_months = con.execute(
            "select customer_id, month, segment, cast(mrr as double), movement from marts.fct_mrr "
            "order by customer_id, month").fetchall()
        waterfall = con.execute(
            "select month, segment, sum(cast(new_mrr + reactivation_mrr as double)), "
            "sum(new_customers + reactivated_customers), "
            "sum(cast(expansion_mrr - contraction_mrr as double)), "
            "sum(cast(starting_mrr - churned_mrr as double)), sum(cast(ending_mrr as double)) "
            "from marts.mrr_movements_by_segment group by month, segment").fetchall()
        fits = con.execute("select origin_month, segment, alpha, beta, is_degenerate "
                           "from intermediate.int_forecast_sbg_fits").fetchall()
        forecast = con.execute("select * from marts.mrr_forecast").df()
        backtest = con.execute("select * from marts.mrr_forecast_backtest").df()
    months = sorted({row[1] for row in customer_months})
    return {"customer_months": customer_months, "waterfall": waterfall, "fits": fits,
            "forecast": forecast, "backtest": backtest, "months": months}


def survival(alpha: float, beta: float, ages: int) -> list[float]:
    curve = [1.0]
    for k in range(1, ages + 1):
        curve.append(curve[-1] * (beta + k - 1) / (alpha + beta + k - 1))
    return curve


def reference_forecasts(data: dict) -> dict[tuple[date, str], list[dict[str, float]]]:
    """Per (origin, segment): for h = 1 .. 12, the expected MRR, customers, churned and new MRR."""
    months = data["months"]
    segments = sorted({row[2] for row in data["customer_months"]})
    # Today's customers: (origin, segment) -> [(run age, mrr)]
    paying: dict[tuple[date, str], list[tuple[int, float]]] = defaultdict(list)
    run_start: dict[str, date] = {}
    for customer, month, segment, mrr, movement in data["customer_months"]:
        if movement in ("new", "reactivation"):
            run_start[customer] = month
        if mrr > 0:
            paying[(month, segment)].append((month_index(month) - month_index(run_start[customer]), mrr))
    # Waterfall per segment and month, dense.
    flows = {(month, segment): (arrivals, arrived, net_expansion, retained, ending)
             for month, segment, arrivals, arrived, net_expansion, retained, ending in data["waterfall"]}
    fits = {(origin, segment): (alpha, beta, degenerate) for origin, segment, alpha, beta, degenerate in data["fits"]}
    ages = len(months) + HORIZON
    result: dict[tuple[date, str], list[dict[str, float]]] = {}
    for position, origin in enumerate(months):
        if (origin, "all") not in fits:
            continue
        window = months[max(0, position - TRAILING + 1): position + 1]
        for segment in segments:
            fit = fits.get((origin, segment))
            alpha, beta, _ = fit if fit and not fit[2] else fits[(origin, "all")]
            curve = survival(alpha, beta, ages)
            rows = [flows.get((month, segment), (0.0, 0, 0.0, 0.0, 0.0)) for month in window]
            arrival_mrr = sum(row[0] for row in rows) / len(rows)
            arrival_customers = sum(row[1] for row in rows) / len(rows)
            retained = sum(row[3] for row in rows)
            rate = max(sum(row[2] for row in rows) / retained, -0.99) if retained else 0.0
            growth = 1 + rate
            horizons = []
            for h in range(1, HORIZON + 1):
                today = paying.get((origin, segment), [])
                mrr = sum(m * growth ** h * curve[t + h] / curve[t] for t, m in today)
                customers = sum(curve[t + h] / curve[t] for t, _ in today)
                churned = sum(m * growth ** (h - 1) * (curve[t + h - 1] - curve[t + h]) / curve[t] for t, m in today)
                for j in range(1, h + 1):
                    age = h - j
                    mrr += arrival_mrr * growth ** age * curve[age]
                    customers += arrival_customers * curve[age]
                    if age > 0:
                        churned += arrival_mrr * growth ** (age - 1) * (curve[age - 1] - curve[age])
                horizons.append({"mrr": mrr, "customers": customers, "churned_mrr": churned, "new_mrr": arrival_mrr})
            result[(origin, segment)] = horizons
    return result


def test_forecast_matches_the_reference(data: dict) -> None:
    reference = reference_forecasts(data)
    origin = data["months"][-1]
    assert origin == date(2026, 10, 1)
    forecast = data["forecast"]
    segments = sorted({segment for (month, segment) in reference if month == origin})
    assert sorted(forecast["segment"].unique()) == sorted(segments + ["all"])
    checked = 0
    money = 0.011 * (len(segments) + 1)  # a cent of rounding per segment summed
    for row in forecast.itertuples():
        h = row.months_ahead
        if row.segment == "all":
            expected = {key: sum(reference[(origin, segment)][h - 1][key] for segment in segments)
                        for key in ("mrr", "customers", "churned_mrr", "new_mrr")}
        else:
            expected = reference[(origin, row.segment)][h - 1]
        assert float(row.expected_mrr) == pytest.approx(expected["mrr"], abs=money), (row.segment, h)
        assert row.expected_customers == pytest.approx(expected["customers"], abs=0.006 * (len(segments) + 1))
        assert float(row.expected_churned_mrr) == pytest.approx(expected["churned_mrr"], abs=money)
        assert float(row.expected_new_mrr) == pytest.approx(expected["new_mrr"], abs=money)
        assert float(row.expected_mrr_low) <= float(row.expected_mrr) <= float(row.expected_mrr_high)
        checked += 1
    assert checked == HORIZON * (len(segments) + 1)


def test_backtest_matches_the_reference(data: dict) -> None:
    reference = reference_forecasts(data)
    months = data["months"]
    segments = sorted({segment for (_, segment) in reference})
    ending: dict[tuple[date, str], float] = defaultdict(float)
    for month, segment, *_, ending_mrr in data["waterfall"]:
        ending[(month, segment)] += ending_mrr
        ending[(month, "all")] += ending_mrr
    backtest = data["backtest"].set_index(["segment", "months_ahead"])
    compared = 0
    for group in segments + ["all"]:
        for h in (1, 3, 6, 12):
            errors: list[tuple[float, float, float]] = []
            for position in range(HISTORY_MONTHS, len(months) - h):
                origin, target = months[position], months[position + h]
                actual = ending[(target, group)]
                if actual <= 0:
                    continue
                members = segments if group == "all" else [group]
                forecast = sum(reference[(origin, segment)][h - 1]["mrr"] for segment in members)
                xs = np.arange(position - TREND_MONTHS + 1, position + 1)
                ys = [ending[(months[x], group)] for x in xs]
                slope, intercept = np.polyfit(xs, ys, 1)
                trend = intercept + slope * (position + h)
                errors.append((abs(forecast - actual) / actual, abs(ending[(origin, group)] - actual) / actual,
                               abs(trend - actual) / actual))
            row = backtest.loc[(group, h)]
            assert row.origins == len(errors), (group, h)
            if not errors:
                assert math.isnan(row.forecast_mape)
                continue
            means = [sum(error[i] for error in errors) / len(errors) for i in range(3)]
            assert row.forecast_mape == pytest.approx(means[0], abs=0.00051), (group, h)
            assert row.last_value_mape == pytest.approx(means[1], abs=0.00051), (group, h)
            assert row.trend_mape == pytest.approx(means[2], abs=0.00051), (group, h)
            compared += 1
    assert compared >= len(segments) + 1, "the backtest must have origins to compare"
