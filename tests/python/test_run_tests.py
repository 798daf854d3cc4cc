"""scripts/run_tests.py (`make test`) counts what pytest reports, skipped tests included."""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "scripts"))

import run_tests  # noqa: E402


def test_pytest_counts_read_passed_failed_and_skipped() -> None:
    assert run_tests.pytest_counts("120 passed, 2 skipped in 61.20s (0:01:01)") == (120, 0, 2)
    assert run_tests.pytest_counts("1 failed, 3 passed, 1 skipped, 2 errors in 9.1s") == (3, 3, 1)
    assert run_tests.pytest_counts("1 error in 0.5s") == (0, 1, 0)
    assert run_tests.pytest_counts("5 passed in 1.0s") == (5, 0, 0)


def test_summary_line_counts_skipped_tests(monkeypatch, capsys) -> None:
    def fake_pytest(extra: list[str]) -> run_tests.StepResult:
        return run_tests.StepResult("pytest", 7, 0, 1.0, "7 passed, 1 skipped", "pytest 7 passed, 1 skipped", 1)

    monkeypatch.setattr(run_tests, "step_pytest", fake_pytest)
    assert run_tests.main(["--skip", "sqlfluff", "--skip", "dbt", "--skip", "ge"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last == "pytest 7 passed, 1 skipped — 7 passed, 0 failed, 1 skipped"


def test_lint_shards_cover_every_model_once_and_are_balanced() -> None:
    # The Stripe models (enabled only with source_system: stripe) have a lint job of their own.
    models = sorted(str(path.relative_to(REPO_ROOT)) for path in (REPO_ROOT / "models").rglob("*.sql")
                    if run_tests.STRIPE_MODELS not in path.parents)
    shards = run_tests.model_shards(2)
    assert len(shards) == 2
    assert sorted(name for shard in shards for name in shard) == models
    sizes = [sum((REPO_ROOT / name).stat().st_size for name in shard) for shard in shards]
    largest = max((REPO_ROOT / name).stat().st_size for name in models)
    assert abs(sizes[0] - sizes[1]) <= largest


def test_stripe_models_are_linted_with_the_stripe_vars(tmp_path) -> None:
    assert list(run_tests.STRIPE_MODELS.glob("*.sql"))
    text = run_tests.stripe_lint_config(tmp_path / "stripe.sqlfluff").read_text(encoding="utf-8")
    context = text.split("[sqlfluff:templater:dbt:context]", 1)[1]
    assert "source_system = stripe" in context and "raw_data_dir = tests/stripe_landing" in context
    assert "raw_data_dir = tests/fixtures/landing" not in context
    assert f"project_dir = {REPO_ROOT}" in text
