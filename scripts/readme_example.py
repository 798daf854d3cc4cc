#!/usr/bin/env python3
"""Write the README's example summary from a warehouse built on the committed fixture.

    python scripts/readme_example.py --warehouse output/test/fixture_warehouse.duckdb
    python scripts/readme_example.py --warehouse ... --check     # exit 1 if the README differs

The README shows what `make demo ARGS="--raw-data-dir tests/fixtures/landing
--as-of-date 2026-10-31"` prints as its summary. The block between the
`summary:begin` and `summary:end` markers is produced here from the same
code (scripts/pipeline.py's summary_lines), and tests/python/test_docs.py
checks it against the fixture warehouse `make test` builds, so the example
cannot drift from what the command prints.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO_ROOT  # noqa: E402
from pipeline import summary_lines  # noqa: E402

README = REPO_ROOT / "README.md"
BLOCK = re.compile(r"(<!-- summary:begin[^\n]*-->\n)(.*?)(<!-- summary:end -->)", re.DOTALL)


def example_block(warehouse: Path) -> str:
    return "```\n" + "\n".join(summary_lines(warehouse, "USD")) + "\n```\n"


def readme_block(text: str) -> str:
    match = BLOCK.search(text)
    if not match:
        raise ValueError("README.md has no summary:begin / summary:end block")
    return match.group(2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", type=Path, required=True,
                        help="a warehouse built from tests/fixtures/landing as of 2026-10-31")
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 when the README differs")
    args = parser.parse_args(argv)
    text = README.read_text(encoding="utf-8")
    wanted = example_block(args.warehouse)
    if readme_block(text) == wanted:
        print("[readme] example summary is up to date")
        return 0
    if args.check:
        print("[readme] the example summary differs from the warehouse; run without --check", file=sys.stderr)
        return 1
    README.write_text(BLOCK.sub(lambda m: m.group(1) + wanted + m.group(3), text, count=1), encoding="utf-8")
    print("[readme] example summary written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
