#!/usr/bin/env python3
"""Export the marts to Parquet files, for BI tools and lakes that read files.

    python scripts/export_parquet.py                           # every mart -> output/parquet/<mart>.parquet
    python scripts/export_parquet.py --out /data/marts --marts mrr_movements,churn_summary

Reads the warehouse over a read-only connection (it never changes it and can
run while BI tools are connected). Each file is written beside its target
and renamed over it, so a reader sees the old file or the new one, never a
half-written one. `_manifest.json` in the output directory lists every file
with its row count and column types (the marts' enforced contracts).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO_ROOT / "output" / "parquet"


def default_warehouse() -> Path:
    """$WAREHOUSE_PATH (relative to the repo root, like dbt) or the default file."""
    configured = os.environ.get("WAREHOUSE_PATH")
    if not configured:
        return REPO_ROOT / "warehouse" / "subscription_metrics.duckdb"
    path = Path(configured).expanduser()
    return path if path.is_absolute() else REPO_ROOT / path


@dataclass
class ExportedTable:
    table: str
    file: str
    rows: int
    columns: dict[str, str]
    bytes: int


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def list_tables(con: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    rows = con.execute(
        "select table_name from information_schema.tables "
        "where table_schema = ? and table_catalog = current_database() order by table_name",
        [schema],
    ).fetchall()
    return [name for (name,) in rows]


def export_marts(
    warehouse: Path | str,
    out_dir: Path | str = DEFAULT_OUT,
    marts: list[str] | None = None,
    schema: str = "marts",
    compression: str = "zstd",
) -> list[ExportedTable]:
    """Write each table of `schema` (or just `marts`) to `out_dir/<table>.parquet`.

    Returns what was written; raises ValueError for an unknown mart name and
    FileNotFoundError when the warehouse file is missing.
    """
    warehouse = Path(warehouse)
    out_dir = Path(out_dir).resolve()
    if not warehouse.exists():
        raise FileNotFoundError(f"warehouse not found: {warehouse} (run dbt build first)")
    out_dir.mkdir(parents=True, exist_ok=True)
    exported: list[ExportedTable] = []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        available = list_tables(con, schema)
        selected = available if not marts else marts
        unknown = sorted(set(selected) - set(available))
        if unknown:
            raise ValueError(f"not in schema {schema}: {', '.join(unknown)} (available: {', '.join(available)})")
        for table in selected:
            relation = f"{quote_identifier(schema)}.{quote_identifier(table)}"
            target = out_dir / f"{table}.parquet"
            partial = out_dir / f".{table}.parquet.partial"
            con.execute(
                f"copy (select * from {relation}) to {quote_literal(str(partial))} "
                f"(format parquet, compression {compression})"
            )
            os.replace(partial, target)
            described = con.execute(f"describe select * from {relation}").fetchall()
            rows = con.execute(f"select count(*) from {relation}").fetchone()[0]
            exported.append(ExportedTable(
                table=table,
                file=target.name,
                rows=int(rows),
                columns={name: column_type for name, column_type, *_ in described},
                bytes=target.stat().st_size,
            ))
    manifest = {
        "exported_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "warehouse": str(warehouse.resolve()),
        "schema": schema,
        "tables": [asdict(item) for item in exported],
    }
    manifest_path = out_dir / "_manifest.json"
    partial_manifest = out_dir / "._manifest.json.partial"
    partial_manifest.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    os.replace(partial_manifest, manifest_path)
    return exported


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", type=Path, default=None,
                        help="DuckDB file to read (default: $WAREHOUSE_PATH or warehouse/subscription_metrics.duckdb)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory (default: output/parquet)")
    parser.add_argument("--marts", default="", help="comma-separated marts to export (default: every table in the schema)")
    parser.add_argument("--schema", default="marts", help="schema to export (default: marts)")
    parser.add_argument("--compression", default="zstd", choices=["zstd", "snappy", "gzip", "uncompressed"],
                        help="Parquet compression (default: zstd)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    warehouse = args.warehouse or default_warehouse()
    marts = [name.strip() for name in args.marts.split(",") if name.strip()] or None
    try:
        exported = export_marts(warehouse, args.out, marts, args.schema, args.compression)
    except (FileNotFoundError, ValueError, duckdb.Error) as error:
        print(f"[export_parquet] {error}", file=sys.stderr)
        return 1
    out_dir = Path(args.out).resolve()
    for item in exported:
        print(f"[export_parquet] {args.schema}.{item.table}: {item.rows:,} rows -> {out_dir / item.file}")
    print(f"[export_parquet] wrote {len(exported)} files and {out_dir / '_manifest.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
