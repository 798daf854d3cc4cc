"""The SQL fit of the shifted-beta-geometric (sBG) retention model.

Fader & Hardie, "How to project customer retention" (Journal of Interactive
Marketing, 2007) fit the sBG to two groups of 1,000 customers observed for 7
years (their Table 1, ``tests/fixtures/sbg/sbg_paper_table1.csv``) and
report alpha = 0.704, beta = 1.182 ("regular") and alpha = 0.668,
beta = 3.806 ("high end").

The model ``int_sbg_fit`` is compiled once with dbt and its SQL run in DuckDB
on survival counts made here:

* the paper's counts must give the paper's estimates to the 3 decimals it
  prints, and an independent fit (scipy on the same likelihood) to 1e-5;
* counts simulated from an sBG with known alpha and beta (several pairs,
  large cohorts of different ages) must give back those parameters, within
  sampling error, and the exact maximum of their likelihood.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pytest
from scipy.optimize import minimize

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "sbg"
COUNTS_RELATION = re.compile(r'(?:"[^"]+"\.)*"int_cohort_survival_counts"|\S+\.int_cohort_survival_counts\b')

PAPER_ESTIMATES = {"regular": (0.704, 1.182), "high_end": (0.668, 3.806)}


@dataclass(frozen=True)
class SurvivalCounts:
    """Per period k >= 1: customers at risk (alive at k - 1, observed at k) and lost at k."""

    at_risk: np.ndarray
    lost: np.ndarray


# ---------------------------------------------------------------------------
# Independent reference: the sBG likelihood and a scipy fit
# ---------------------------------------------------------------------------


def sbg_log_likelihood(alpha: float, beta: float, counts: SurvivalCounts) -> float:
    """sum_k lost_k ln P(churn at k | alive at k - 1) + survivors_k ln P(renew into k)."""
    k = np.arange(1, len(counts.at_risk) + 1)
    churn = alpha / (alpha + beta + k - 1)
    survivors = counts.at_risk - counts.lost
    return float(np.sum(counts.lost * np.log(churn) + survivors * np.log1p(-churn)))


def scipy_fit(counts: SurvivalCounts) -> tuple[float, float]:
    """Maximum-likelihood (alpha, beta) by Nelder-Mead on the log scale."""

    def objective(log_params: np.ndarray) -> float:
        return -sbg_log_likelihood(*np.exp(log_params), counts)

    best = None
    for start in ([0.0, 0.0], [0.0, 2.0], [1.0, 4.0]):
        result = minimize(objective, start, method="Nelder-Mead",
                          options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20_000})
        if best is None or result.fun < best.fun:
            best = result
    alpha, beta = np.exp(best.x)
    return float(alpha), float(beta)


def sbg_survival(alpha: float, beta: float, periods: int) -> np.ndarray:
    """S(0..periods) = prod_{k<=t} (beta + k - 1) / (alpha + beta + k - 1)."""
    k = np.arange(1, periods + 1)
    return np.concatenate([[1.0], np.cumprod((beta + k - 1) / (alpha + beta + k - 1))])


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------


def paper_table() -> dict[str, list[float]]:
    with (FIXTURES / "sbg_paper_table1.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {group: [float(row[group]) for row in rows] for group in ("regular", "high_end")}


def paper_counts(group: str, observed_years: int = 7) -> SurvivalCounts:
    alive = np.array([round(pct * 10) for pct in paper_table()[group][: observed_years + 1]], dtype=float)
    return SurvivalCounts(at_risk=alive[:-1], lost=alive[:-1] - alive[1:])


def simulate_counts(alpha: float, beta: float, cohort_size: int, max_age: int, seed: int) -> SurvivalCounts:
    """Cohorts of ages 1..max_age (one per age), each of cohort_size customers whose
    churn probability is drawn from Beta(alpha, beta) and lifetime from the geometric."""
    rng = np.random.default_rng(seed)
    at_risk = np.zeros(max_age)
    lost = np.zeros(max_age)
    for age in range(1, max_age + 1):
        theta = rng.beta(alpha, beta, cohort_size)
        lifetime = rng.geometric(theta)  # the period at which the customer is lost (>= 1)
        for k in range(1, age + 1):
            at_risk[k - 1] += np.count_nonzero(lifetime >= k)
            lost[k - 1] += np.count_nonzero(lifetime == k)
    return SurvivalCounts(at_risk=at_risk, lost=lost)


# ---------------------------------------------------------------------------
# The compiled SQL of int_sbg_fit
# ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def fit_sql(tmp_path_factory: pytest.TempPathFactory) -> str:
    """int_sbg_fit compiled by dbt, reading its input from a table `survival_counts`."""
    work = tmp_path_factory.mktemp("sbg_compile")
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(REPO_ROOT),
        "WAREHOUSE_PATH": str(work / "compile.duckdb"),
        "DUCKDB_TEMP_DIR": str(work / "tmp"),
    }
    dbt = Path(sys.executable).with_name("dbt")
    command = [
        str(dbt) if dbt.exists() else "dbt", "compile", "--select", "int_sbg_fit",
        "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
        "--vars", f"{{raw_data_dir: '{FIXTURES}', as_of_date: '2026-10-31'}}",
    ]
    completed = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-4000:]
    compiled = next((work / "target" / "compiled").rglob("int_sbg_fit.sql")).read_text()
    sql, replaced = COUNTS_RELATION.subn("survival_counts", compiled)
    assert replaced >= 1, "the compiled fit does not read int_cohort_survival_counts"
    return sql


def run_fit(fit_sql: str, groups: dict[str, SurvivalCounts]) -> dict[str, dict[str, float]]:
    connection = duckdb.connect()
    connection.execute(
        "create table survival_counts (segment varchar, period integer, "
        "customers_at_risk bigint, customers_lost bigint)"
    )
    for segment, counts in groups.items():
        connection.executemany(
            "insert into survival_counts values (?, ?, ?, ?)",
            [(segment, k + 1, int(n), int(d)) for k, (n, d) in enumerate(zip(counts.at_risk, counts.lost))],
        )
    result = connection.execute(fit_sql)
    columns = [column[0] for column in result.description]
    return {row[0]: dict(zip(columns, row)) for row in result.fetchall()}


# ---------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------


def test_counts_fixture_matches_the_papers_table() -> None:
    """The dbt unit test's input rows are Table 1's first 7 years, as counts."""
    with (FIXTURES / "sbg_paper_table1_counts.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    for group in ("regular", "high_end"):
        expected = paper_counts(group)
        got = [row for row in rows if row["segment"] == group]
        assert [int(row["period"]) for row in got] == list(range(1, 8))
        assert [int(row["customers_at_risk"]) for row in got] == expected.at_risk.astype(int).tolist()
        assert [int(row["customers_lost"]) for row in got] == expected.lost.astype(int).tolist()


@pytest.mark.parametrize("group", ["regular", "high_end"])
def test_reference_fit_reproduces_the_paper(group: str) -> None:
    alpha, beta = scipy_fit(paper_counts(group))
    assert (round(alpha, 3), round(beta, 3)) == PAPER_ESTIMATES[group]


@pytest.mark.dbt
def test_sql_fit_reproduces_the_paper(fit_sql: str) -> None:
    groups = {group: paper_counts(group) for group in PAPER_ESTIMATES}
    fits = run_fit(fit_sql, groups)
    for group, (paper_alpha, paper_beta) in PAPER_ESTIMATES.items():
        fit = fits[group]
        assert (round(fit["alpha"], 3), round(fit["beta"], 3)) == (paper_alpha, paper_beta)
        reference_alpha, reference_beta = scipy_fit(groups[group])
        assert fit["alpha"] == pytest.approx(reference_alpha, abs=1e-5)
        assert fit["beta"] == pytest.approx(reference_beta, abs=1e-5)
        assert fit["log_likelihood"] == pytest.approx(
            sbg_log_likelihood(fit["alpha"], fit["beta"], groups[group]), abs=1e-3)
        assert not fit["is_degenerate"] and not fit["is_at_search_bound"]


@pytest.mark.dbt
def test_sql_fit_projects_the_papers_later_years(fit_sql: str) -> None:
    """Fitted on years 1-7, the projection of years 8-12 stays within 2 points of
    what the paper reports was actually observed (the paper's holdout)."""
    table = paper_table()
    fits = run_fit(fit_sql, {group: paper_counts(group) for group in PAPER_ESTIMATES})
    for group, fit in fits.items():
        projected = 100 * sbg_survival(fit["alpha"], fit["beta"], 12)
        actual = np.array(table[group])
        assert np.max(np.abs(projected[8:] - actual[8:])) < 2.0, (group, projected[8:], actual[8:])


TRUE_PARAMETERS = [
    # (alpha, beta): strong heterogeneity and high churn ... little heterogeneity, low churn
    (0.5, 2.0),
    (0.704, 1.182),
    (1.2, 18.0),
    (3.0, 100.0),
    (8.0, 40.0),
]


@pytest.mark.dbt
@pytest.mark.slow
def test_sql_fit_recovers_simulated_parameters(fit_sql: str) -> None:
    groups = {
        f"g{index}": simulate_counts(alpha, beta, cohort_size=20_000, max_age=24, seed=index)
        for index, (alpha, beta) in enumerate(TRUE_PARAMETERS)
    }
    fits = run_fit(fit_sql, groups)
    for index, (alpha, beta) in enumerate(TRUE_PARAMETERS):
        segment = f"g{index}"
        fit = fits[segment]
        # The SQL finds the maximum of the likelihood ...
        reference_alpha, reference_beta = scipy_fit(groups[segment])
        assert fit["alpha"] == pytest.approx(reference_alpha, rel=1e-4), segment
        assert fit["beta"] == pytest.approx(reference_beta, rel=1e-4), segment
        # ... and that maximum is near the truth (480,000 customers: a few % at most).
        assert fit["alpha"] == pytest.approx(alpha, rel=0.08), (segment, fit, alpha, beta)
        assert fit["beta"] == pytest.approx(beta, rel=0.08), (segment, fit, alpha, beta)
        assert fit["customers_lost"] == int(groups[segment].lost.sum())


@pytest.mark.dbt
def test_sql_fit_flags_groups_without_information(fit_sql: str) -> None:
    groups = {
        "no_churn": SurvivalCounts(at_risk=np.array([50.0, 50.0, 40.0]), lost=np.zeros(3)),
        "all_gone": SurvivalCounts(at_risk=np.array([30.0]), lost=np.array([30.0])),
        "one_period": SurvivalCounts(at_risk=np.array([100.0]), lost=np.array([10.0])),
        "geometric": simulate_counts(1e6, 9e6, cohort_size=5_000, max_age=12, seed=7),
    }
    fits = run_fit(fit_sql, groups)
    assert all(fits[group]["is_degenerate"] for group in ("no_churn", "all_gone", "one_period"))
    # No heterogeneity at all: the fit runs to the edge of the search but keeps the churn rate.
    geometric = fits["geometric"]
    assert not geometric["is_degenerate"]
    churn = geometric["alpha"] / (geometric["alpha"] + geometric["beta"])
    assert churn == pytest.approx(0.1, rel=0.05)
