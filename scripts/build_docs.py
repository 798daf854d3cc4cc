#!/usr/bin/env python3
"""Build dbt docs (models, columns, tests, lineage, exposures) from the published warehouse.

    python scripts/build_docs.py                  # $WAREHOUSE_PATH -> output/dbt_docs/
    python scripts/build_docs.py --warehouse path/to/wh.duckdb --out /tmp/docs

Runs `dbt docs generate --static` through the read-only target
(`duckdb_readonly`), so it works while readers hold the warehouse open and
never changes it, with the vars of the published build (from
<warehouse>.publish.json). It writes `static_index.html`, one file that
opens from disk, and the files `dbt docs serve --target-path <out>` serves.
Exit codes: 0 written; 1 dbt failed; 2 no published warehouse or bad arguments.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO_ROOT, dbt_env, default_warehouse, venv_bin  # noqa: E402
from publish import manifest_json_path, one_line, summarize_dbt_failure  # noqa: E402

DEFAULT_OUT = REPO_ROOT / "output" / "dbt_docs"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", type=Path, default=default_warehouse(),
                        help="published DuckDB file (default: $WAREHOUSE_PATH or warehouse/subscription_metrics.duckdb)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="dbt target directory to write (default: output/dbt_docs)")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return 2 if exit_.code else 0
    warehouse = args.warehouse.absolute()
    published = manifest_json_path(warehouse)
    if not warehouse.exists() or not published.exists():
        print(f"[docs] FAILED: no published warehouse at {warehouse} (run `make demo` first)", file=sys.stderr)
        return 2
    try:
        dbt_vars = json.loads(published.read_text(encoding="utf-8")).get("vars") or {}
    except (OSError, ValueError) as error:
        print(f"[docs] FAILED: cannot read {published}: {error}", file=sys.stderr)
        return 2
    out = args.out.absolute()
    env = dbt_env(warehouse, {"DBT_TARGET": "duckdb_readonly"})
    result = subprocess.run(
        [venv_bin("dbt"), "docs", "generate", "--static", "--target-path", str(out),
         "--log-path", str(out / "logs"), "--vars", json.dumps(dbt_vars)],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True,
    )
    if result.returncode != 0:
        print(f"[docs] FAILED: dbt docs generate: {one_line(summarize_dbt_failure((result.stdout + result.stderr).splitlines()))}", file=sys.stderr)
        return 1
    page = out / "static_index.html"
    print(f"[docs] {page.as_uri()}")
    try:
        shown = out.relative_to(REPO_ROOT)
    except ValueError:
        shown = out
    print(f"[docs] or serve them: DBT_PROFILES_DIR=. .venv/bin/dbt docs serve --target-path {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
