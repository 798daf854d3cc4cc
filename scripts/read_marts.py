#!/usr/bin/env python3
"""Read the published marts the way a BI tool should: read-only.

    python scripts/read_marts.py --info                 # which version is published
    python scripts/read_marts.py --verify               # contents still match its manifest?
    python scripts/read_marts.py "select * from marts.mrr_movements order by month"

A read-only connection never takes the write lock, so it works while
scripts/publish.py builds the next version, and it keeps seeing the version
it opened (the publisher swaps in a new file; it never writes the open one).
Reconnect to see a newer version. In Python:

    from read_marts import connect, published_version
    with connect() as con:
        print(published_version(con)["version_id"])

Note: DuckDB shares one database instance per file within a process, so a
process that keeps some connection to the file open keeps the old version
for every new connection too; close them all to move to the new version.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Any

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import default_warehouse  # noqa: E402


class ReadError(Exception):
    """A one-line reason the marts cannot be read."""


def connect(warehouse: Path | str | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published warehouse."""
    path = Path(warehouse) if warehouse else default_warehouse()
    if not path.exists():
        raise ReadError(f"no published warehouse at {path}; build one with `python scripts/publish.py`")
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.Error as error:
        raise ReadError(f"cannot open {path} read-only: {str(error).splitlines()[0]}") from error


def published_version(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """The publish manifest of the connected warehouse (version_id,
    as_of_date, built_at, per-relation rows and checksums)."""
    try:
        row = con.execute("select manifest_json from audit.publish_info limit 1").fetchone()
    except duckdb.Error as error:
        raise ReadError("the warehouse has no audit.publish_info: it was not built by scripts/publish.py") \
            from error
    if row is None:
        raise ReadError("audit.publish_info is empty")
    return json.loads(row[0])


def verify_published(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Recompute every published relation's row count and checksum and
    compare them with the manifest, and check that every view works;
    returns the problems (none = the file holds exactly the version its
    manifest describes)."""
    from publish import relation_checksums

    expected = published_version(con)["relations"]
    actual = relation_checksums(con)
    problems = [f"{name}: manifest says {info}, the file has {actual.get(name)}"
                for name, info in sorted(expected.items()) if actual.get(name) != info]
    problems += [f"{name}: in the file but not in the manifest" for name in sorted(set(actual) - set(expected))]
    for schema, name in con.execute("select schema_name, view_name from duckdb_views() where not internal").fetchall():
        try:
            con.execute(f'select * from "{schema}"."{name}" limit 0')
        except duckdb.Error as error:
            problems.append(f"view {schema}.{name} does not work: {str(error).splitlines()[0]}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sql", nargs="?", help="a query to run (read-only)")
    parser.add_argument("--warehouse", type=Path, help="published file (default: $WAREHOUSE_PATH or the default)")
    parser.add_argument("--info", action="store_true", help="print the published version's manifest")
    parser.add_argument("--verify", action="store_true",
                        help="check that every relation's rows and checksum match the manifest")
    args = parser.parse_args(argv)
    if not (args.sql or args.info or args.verify):
        parser.error("give a query, --info or --verify")
    try:
        with connect(args.warehouse) as con:
            if args.info:
                manifest = published_version(con)
                print(json.dumps({key: manifest[key] for key in
                                  ("version_id", "as_of_date", "built_at", "raw_data_dir", "relations")
                                  if key in manifest}, indent=2, default=str))
            if args.verify:
                problems = verify_published(con)
                for problem in problems:
                    print(f"read_marts: MISMATCH {problem}", file=sys.stderr)
                if problems:
                    return 1
                print(f"read_marts: {published_version(con)['version_id']} matches its manifest")
            if args.sql:
                cursor = con.execute(args.sql)
                writer = csv.writer(sys.stdout)
                writer.writerow([column[0] for column in cursor.description])
                writer.writerows(cursor.fetchall())
    except ReadError as error:
        print(f"read_marts: {error}", file=sys.stderr)
        return 1
    except duckdb.Error as error:
        print(f"read_marts: query failed: {str(error).splitlines()[0]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
