#!/usr/bin/env python3
"""Build the warehouse into a fresh file and publish it atomically.

    python scripts/publish.py --raw-data-dir DIR --as-of-date 2026-10-31

BI tools read the published file (`$WAREHOUSE_PATH`, default
warehouse/subscription_metrics.duckdb) through read-only connections. This
command never writes to it: it

  1. takes the publish lock (warehouse/builds/.lock; one publish at a time,
     a second one waits) and removes what crashed builds left behind;
  2. runs `dbt build` (models and every data test; the dbt unit tests
     run in `make test`) into a new file,
     warehouse/builds/subscription_metrics.duckdb;
  3. verifies the new file (every built mart is there, landing rows
     reconcile) and writes the publish manifest into it: table
     audit.publish_info, one row per mart and audit table with the version
     id, as_of_date, build time, row count and checksum;
  4. moves it over the published file with one atomic rename, then writes
     the same manifest as JSON beside it (<warehouse>.publish.json).

A reader therefore sees the old version or the new one, never a mix, and
never a lock error. A build killed at any point (even SIGKILL) leaves the
published file as it was; the next run cleans up and builds normally.

Exit codes: 0 published; 1 the build failed (bad landing data, failing
tests); 2 bad arguments or an invalid var; 3 the built file failed
verification; 4 another publish is running (--no-wait); 5 any other error.
Failures end with ONE line on stderr: `publish: FAILED: <what, where>`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (BUILD_WITHOUT_TESTS, PRODUCTION_BUILD_EXCLUDES, REPO_ROOT, Stopwatch, dbt_env,  # noqa: E402
                     default_warehouse, venv_bin)

EXIT_OK, EXIT_BUILD, EXIT_USAGE, EXIT_VERIFY, EXIT_BUSY, EXIT_OTHER = 0, 1, 2, 3, 4, 5
#: schemas whose relations are checksummed and listed in the manifest
PUBLISHED_SCHEMAS = ("marts", "audit")
MANIFEST_TABLE = "audit.publish_info"
#: test hook: kill this process with SIGKILL at a named step (see CRASH_POINTS)
CRASH_ENV = "SM_PUBLISH_TEST_CRASH_AT"
CRASH_POINTS = ("after_lock", "after_dbt", "after_manifest", "before_swap", "after_swap")


class PublishError(Exception):
    """A failure reported as one line, with the exit code to use."""

    def __init__(self, message: str, code: int = EXIT_OTHER) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class PublishResult:
    version_id: str
    warehouse: Path
    manifest: dict[str, Any]
    seconds: float
    dbt_lines: list[str] = field(default_factory=list)
    #: wall-clock seconds of the dbt command (the rest is verify + publish)
    dbt_seconds: float = 0.0


# ---------------------------------------------------------------------------
# paths


def builds_dir(warehouse: Path) -> Path:
    """Where builds are made: beside the published file (same file system,
    so the final rename is atomic)."""
    return warehouse.parent / "builds"


def manifest_json_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.stem + ".publish.json")


def wal_path(database: Path) -> Path:
    return database.with_name(database.name + ".wal")


# ---------------------------------------------------------------------------
# small helpers


def _crash_point(name: str) -> None:
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _write_json_atomically(path: Path, payload: dict[str, Any]) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, indent=2, sort_keys=True, default=str)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    _fsync_dir(path.parent)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        try:
            path.unlink()
        except FileNotFoundError:
            pass


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def _git_commit() -> str | None:
    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True,
                              timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def _jsonable(value: Any) -> Any:
    """Vars as JSON-safe values (YAML turns 2026-10-31 into a date)."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _set_parent_death_signal() -> None:
    """In the dbt child: die with the publisher (Linux), so that a killed
    publish never leaves a dbt process writing on."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 - best effort; other systems keep the lock instead
        pass


# ---------------------------------------------------------------------------
# dbt output -> one line

ANSI = re.compile(r"\x1b\[[0-9;]*m")
TIMESTAMP = re.compile(r"^\d{2}:\d{2}:\d{2}(\.\d+)?\s+")
ERROR_HEADER = re.compile(
    r"^(?P<kind>Compilation Error|Runtime Error|Database Error|Parsing Error|Dependency Error|Failure)"
    r"(?: in (?P<what>\S+) (?P<name>\S+))?")
#: what an engine puts before a message a model raised with error() / raise_error()
ENGINE_PREFIX = re.compile(r"^.*?(?:Invalid Input Error|USER_RAISED_EXCEPTION\]?):?\s*(?=(?:Landing data:|Invalid var))")
NOISE = re.compile(r"^(> in macro|> called by|compiled code at|Encountered an error:?$|Completed with|Done\.|"
                   r"Finished running|Runtime Error$)")


def _plain(line: str) -> str:
    return TIMESTAMP.sub("", ANSI.sub("", line)).rstrip()


def summarize_dbt_failure(lines: Iterable[str]) -> list[str]:
    """The distinct problems dbt reported, one line each, most telling first
    (landing data and var problems before the errors they cause)."""
    plain = [_plain(line) for line in lines]
    problems: list[str] = []
    index = 0
    while index < len(plain):
        match = ERROR_HEADER.match(plain[index].strip())
        if not match:
            index += 1
            continue
        message: list[str] = []
        index += 1
        while index < len(plain) and not plain[index].strip():
            index += 1                                   # blank lines before the message
        while index < len(plain) and plain[index].strip():
            text = plain[index].strip()
            if ERROR_HEADER.match(text):
                break
            if not NOISE.match(text):
                message.append(text)
            index += 1
        where = f"{match.group('what')} {match.group('name')}" if match.group("name") else ""
        followed_by_error = index < len(plain) and bool(ERROR_HEADER.match(plain[index].strip()))
        if not message and (followed_by_error or not (match.group("kind") == "Failure" and where)):
            continue                                     # the error block that follows says it
        text = ENGINE_PREFIX.sub("", " ".join(message))
        if match.group("kind") == "Failure" and where:
            text = f"{where} failed: {text}" if text else f"{where} failed"
        elif where and not text.startswith(("Landing data:", "Invalid var")):
            text = f"{text} [{where}]"
        if text not in problems:
            problems.append(text)
    if not problems:
        tail = [line.strip() for line in plain if line.strip()]
        if tail:
            problems.append(f"dbt stopped: {tail[-1]}")
    priority = ("Invalid var", "Landing data:")
    return sorted(problems, key=lambda text: 0 if text.startswith(priority) else 1)


def one_line(problems: list[str]) -> str:
    if not problems:
        return "dbt build failed (no error message; see the dbt log)"
    more = len(problems) - 1
    return problems[0] + (f" (and {more} more problem{'s' if more > 1 else ''}; see the dbt output)"
                          if more else "")


# ---------------------------------------------------------------------------
# checksums and the manifest


#: significant digits of floating-point values in checksums (see relation_checksums)
FLOAT_DIGITS = 12


def _row_text_sql(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> tuple[str, str]:
    """SQL for one row's canonical text, and the relation's column list."""
    columns = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position", [schema, name]
    ).fetchall()
    parts = []
    for column, data_type in columns:
        quoted = '"' + column.replace('"', '""') + '"'
        if data_type in ("DOUBLE", "FLOAT", "REAL"):
            value = f"printf('%.{FLOAT_DIGITS}g', {quoted})"
        else:
            value = f"cast({quoted} as varchar)"
        parts.append(f"coalesce({value}, chr(0))")
    layout = ",".join(f"{column}:{data_type}" for column, data_type in columns)
    return "concat_ws(chr(31), " + ", ".join(parts) + ")" if parts else "''", layout


def relation_checksums(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    """Row count and an order-independent checksum of every table and view
    in the published schemas (not the manifest table itself).

    The checksum covers the column names and types and each row's values
    (md5 of the row's text, combined with a sum and an xor: independent of
    row order, but counting duplicate rows). Floating-point values count
    to 12 significant digits: a parallel engine adds doubles in varying
    order, so their last bits are not reproducible from run to run."""
    relations = con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_schema in (" + ", ".join(f"'{s}'" for s in PUBLISHED_SCHEMAS) + ") "
        "order by table_schema, table_name"
    ).fetchall()
    result: dict[str, dict[str, Any]] = {}
    for schema, name in relations:
        qualified = f"{schema}.{name}"
        if qualified == MANIFEST_TABLE:
            continue
        row_text, layout = _row_text_sql(con, schema, name)
        rows, total, mixed = con.execute(
            f'select count(*), coalesce(sum(md5_number_lower(row_text)), 0), '
            f'coalesce(bit_xor(md5_number_upper(row_text)), 0) '
            f'from (select {row_text} as row_text from "{schema}"."{name}") as hashed'
        ).fetchone()
        digest = hashlib.sha256(f"{layout}|{rows}:{total}:{mixed}".encode()).hexdigest()[:32]
        result[qualified] = {"rows": int(rows), "checksum": digest}
    return result


def write_manifest_table(con: duckdb.DuckDBPyConnection, manifest: dict[str, Any]) -> None:
    con.execute("create schema if not exists audit")
    con.execute(
        f"create or replace table {MANIFEST_TABLE} ("
        "version_id varchar not null, as_of_date date, built_at timestamp not null, "
        "relation varchar not null, row_count bigint not null, checksum varchar not null, "
        "manifest_json varchar not null)"
    )
    text = json.dumps(manifest, sort_keys=True, default=str)
    built_at = dt.datetime.fromisoformat(manifest["built_at"]).replace(tzinfo=None)
    con.executemany(
        f"insert into {MANIFEST_TABLE} values (?, ?, ?, ?, ?, ?, ?)",
        [
            (manifest["version_id"], manifest.get("as_of_date"), built_at, relation, info["rows"],
             info["checksum"], text)
            for relation, info in sorted(manifest["relations"].items())
        ],
    )


def read_manifest(con: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    """The manifest recorded in an open warehouse, or None."""
    try:
        row = con.execute(f"select manifest_json from {MANIFEST_TABLE} limit 1").fetchone()
    except duckdb.Error:
        return None
    return json.loads(row[0]) if row else None


def published_manifest(warehouse: Path) -> dict[str, Any] | None:
    """The manifest of the published warehouse (read-only), or None."""
    if not warehouse.exists():
        return None
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return read_manifest(con)


# ---------------------------------------------------------------------------
# lock and cleanup


class PublishLock:
    """An exclusive flock on builds/.lock, held for the whole publish. The
    kernel releases it when the process dies, however it dies."""

    def __init__(self, directory: Path, wait: bool, quiet: bool) -> None:
        self.path = directory / ".lock"
        self.wait = wait
        self.quiet = quiet
        self.fd: int | None = None

    def __enter__(self) -> "PublishLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(self.fd, 64, 0).decode(errors="replace").strip() or "unknown"
            if not self.wait:
                os.close(self.fd)
                self.fd = None
                raise PublishError(f"another publish is running (pid {holder}, lock {self.path})", EXIT_BUSY)
            if not self.quiet:
                print(f"[publish] waiting for another publish to finish (pid {holder})", flush=True)
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, f"{os.getpid()}\n".encode(), 0)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def remove_leftovers(directory: Path) -> list[str]:
    """Everything in builds/ but the lock is left over by an interrupted
    build (only the lock holder builds). Call with the lock held."""
    removed = []
    for path in sorted(directory.iterdir()):
        if path.name == ".lock":
            continue
        _remove(path)
        removed.append(path.name)
    return removed


def repair_manifest_json(warehouse: Path) -> None:
    """Rewrite <warehouse>.publish.json from the published file when a crash
    between the rename and the JSON write left it stale."""
    json_path = manifest_json_path(warehouse)
    try:
        manifest = published_manifest(warehouse)
    except duckdb.Error:
        return
    if manifest is None:
        return
    try:
        current = json.loads(json_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        current = None
    if not current or current.get("version_id") != manifest.get("version_id"):
        manifest.setdefault("published_at", dt.datetime.fromtimestamp(
            warehouse.stat().st_mtime, dt.timezone.utc).replace(microsecond=0).isoformat())
        _write_json_atomically(json_path, manifest)


# ---------------------------------------------------------------------------
# build, verify, publish


def _run_dbt(command: list[str], build_file: Path, temp_dir: Path, lock_fd: int | None, quiet: bool,
             target_path: Path | None, log_path: Path | None, console_log: Path | None = None,
             on_line: Callable[[str], None] | None = None) -> tuple[int, list[str]]:
    extra_env = {"DBT_PROFILES_DIR": str(REPO_ROOT)}
    if not os.environ.get("DUCKDB_TEMP_DIR"):
        extra_env["DUCKDB_TEMP_DIR"] = str(temp_dir)
    if target_path:
        extra_env["DBT_TARGET_PATH"] = str(target_path)
    if log_path:
        extra_env["DBT_LOG_PATH"] = str(log_path)
    lines: list[str] = []
    process = subprocess.Popen(
        [venv_bin("dbt"), *command],
        cwd=REPO_ROOT,
        env=dbt_env(build_file, extra_env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        pass_fds=(lock_fd,) if lock_fd is not None else (),
        preexec_fn=_set_parent_death_signal,
    )
    assert process.stdout is not None
    log = None
    if console_log is not None:
        console_log.parent.mkdir(parents=True, exist_ok=True)
        log = console_log.open("w", encoding="utf-8")
    try:
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if log is not None:
                log.write(line)
            if not quiet:
                print(line, end="", flush=True)
            if on_line is not None:
                on_line(line)
    finally:
        if log is not None:
            log.close()
    return process.wait(), lines


def _expected_marts(target_path: Path) -> set[str]:
    """Marts the dbt run says it built (from run_results + manifest)."""
    try:
        results = json.loads((target_path / "run_results.json").read_text(encoding="utf-8"))
        manifest = json.loads((target_path / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    expected = set()
    for result in results.get("results", []):
        node = manifest.get("nodes", {}).get(result.get("unique_id", ""), {})
        if node.get("resource_type") == "model" and node.get("schema") == "marts" \
                and node.get("config", {}).get("materialized") != "ephemeral":
            expected.add(f"marts.{node.get('alias') or node.get('name')}")
    return expected


def verify_build(con: duckdb.DuckDBPyConnection, expected_marts: set[str]) -> dict[str, dict[str, Any]]:
    """Checks of the built file before it may be published; returns its
    relations' row counts and checksums."""
    relations = relation_checksums(con)
    marts = {name for name in relations if name.startswith("marts.")}
    if not marts:
        raise PublishError("verification failed: the build produced no table in schema marts", EXIT_VERIFY)
    missing = sorted(expected_marts - marts)
    if missing:
        raise PublishError(f"verification failed: dbt built {', '.join(missing)} but the file lacks it",
                           EXIT_VERIFY)
    views = con.execute("select schema_name, view_name from duckdb_views() where not internal").fetchall()
    for schema, name in views:
        try:
            con.execute(f'select * from "{schema}"."{name}" limit 0')
        except duckdb.Error as error:
            raise PublishError(f"verification failed: view {schema}.{name} does not work: {_first_line(error)}",
                               EXIT_VERIFY) from None
    if "audit.raw_row_reconciliation" in relations:
        broken = con.execute(
            "select source_table, raw_rows, clean_rows, quarantined_rows, duplicates_removed "
            "from audit.raw_row_reconciliation "
            "where raw_rows != clean_rows + quarantined_rows + duplicates_removed"
        ).fetchall()
        if broken:
            table, raw, clean, quarantined, dupes = broken[0]
            raise PublishError(
                f"verification failed: landing rows of {table} do not reconcile: "
                f"{raw} read != {clean} clean + {quarantined} quarantined + {dupes} duplicates", EXIT_VERIFY)
    return relations


def _landing_counts(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    try:
        cursor = con.execute("select * from audit.raw_row_reconciliation order by source_table")
    except duckdb.Error:
        return []
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def build_and_publish(
    warehouse: Path | None = None,
    dbt_vars: dict[str, Any] | None = None,
    *,
    select: list[str] | None = None,
    run_tests: bool = True,
    incremental: bool = False,
    wait: bool = True,
    quiet: bool = False,
    target_path: Path | None = None,
    log_path: Path | None = None,
    console_log: Path | None = None,
    on_dbt_line: Callable[[str], None] | None = None,
) -> PublishResult:
    """Build with dbt into a new file and atomically publish it over
    `warehouse`. Raises PublishError (one line + exit code) on failure; the
    published file is then untouched. `console_log` receives dbt's whole
    console output; `on_dbt_line` is called with each of its lines."""
    watch = Stopwatch()
    warehouse = Path(warehouse or default_warehouse()).absolute()
    dbt_vars = _jsonable(dict(dbt_vars or {}))
    as_of = str(dbt_vars.get("as_of_date") or _utc_now().date().isoformat())
    if not _is_calendar_date(as_of):
        raise PublishError(f"Invalid var as_of_date '{as_of}': expected a calendar date as YYYY-MM-DD.",
                           EXIT_USAGE)
    dbt_vars["as_of_date"] = as_of
    directory = builds_dir(warehouse)
    target = Path(target_path or os.environ.get("DBT_TARGET_PATH") or REPO_ROOT / "target").absolute()
    logs = Path(log_path or os.environ.get("DBT_LOG_PATH") or REPO_ROOT / "logs").absolute()

    with PublishLock(directory, wait, quiet) as lock:
        _crash_point("after_lock")
        removed = remove_leftovers(directory)
        if removed and not quiet:
            print(f"[publish] removed {len(removed)} leftover(s) of an interrupted build: {', '.join(removed)}")
        repair_manifest_json(warehouse)

        version_id = _utc_now().strftime("%Y%m%dT%H%M%SZ") + "-" + os.urandom(3).hex()
        # Same file name as the published file: DuckDB names the catalog
        # after the file and dbt writes it into view definitions, so views
        # keep working after the rename. Always the same path, too: the lock
        # makes it ours, and dbt keeps its partial parse only while the
        # profile (this path) stays the same.
        build_file = directory / warehouse.name
        temp_dir = directory / "duckdb_tmp"
        published = False
        try:
            if incremental and warehouse.exists():
                # Copy from one open handle: a concurrent publish cannot swap
                # the file under us (we hold the lock), readers never write.
                with open(warehouse, "rb") as source, open(build_file, "wb") as copy:
                    shutil.copyfileobj(source, copy, 16 * 1024 * 1024)
            command = ["build", *PRODUCTION_BUILD_EXCLUDES] if run_tests else list(BUILD_WITHOUT_TESTS)
            if select:
                command += ["--select", *select, "--indirect-selection", "cautious"]
            command += ["--vars", json.dumps(dbt_vars), "--target-path", str(target), "--log-path", str(logs)]
            if not quiet:
                print(f"[publish] dbt {command[0]} (as of {as_of}) into {build_file}", flush=True)
            dbt_watch = Stopwatch()
            code, lines = _run_dbt(command, build_file, temp_dir, lock.fd, quiet, target, logs, console_log,
                                   on_dbt_line)
            dbt_seconds = dbt_watch.seconds()
            if code != 0:
                problems = summarize_dbt_failure(lines)
                invalid_var = bool(problems) and problems[0].startswith("Invalid var")
                raise PublishError(one_line(problems), EXIT_USAGE if invalid_var else EXIT_BUILD)
            _crash_point("after_dbt")

            built_at = _utc_now()
            with duckdb.connect(str(build_file)) as con:
                relations = verify_build(con, _expected_marts(target))
                manifest = {
                    "version_id": version_id,
                    "as_of_date": as_of,
                    "built_at": built_at.isoformat(),
                    "build_seconds": round(watch.seconds(), 1),
                    "raw_data_dir": dbt_vars.get("raw_data_dir"),
                    "vars": dbt_vars,
                    "dbt_command": command[0] if run_tests else "build (no tests)",
                    "select": select or [],
                    "git_commit": _git_commit(),
                    "relations": relations,
                    "landing": _landing_counts(con),
                }
                write_manifest_table(con, manifest)
                con.execute("checkpoint")
            _crash_point("after_manifest")
            if wal_path(build_file).exists():
                raise PublishError(f"verification failed: {build_file} kept a write-ahead log after closing",
                                   EXIT_VERIFY)
            with duckdb.connect(str(build_file), read_only=True) as con:
                check = read_manifest(con)
            if not check or check.get("version_id") != version_id:
                raise PublishError("verification failed: the manifest does not read back", EXIT_VERIFY)
            _fsync_file(build_file)

            _crash_point("before_swap")
            stale_wal = wal_path(warehouse)
            if stale_wal.exists():
                # Only a process writing the published file directly (plain
                # `dbt build` with WAREHOUSE_PATH on it) leaves one; it must
                # not be replayed onto the new file.
                stale_wal.unlink()
            os.replace(build_file, warehouse)
            published = True
            _fsync_dir(warehouse.parent)
            _crash_point("after_swap")
            manifest["published_at"] = _utc_now().isoformat()
            _write_json_atomically(manifest_json_path(warehouse), manifest)
        except PublishError:
            raise
        except duckdb.Error as error:
            raise PublishError(f"verification failed: {type(error).__name__}: {_first_line(error)}",
                               EXIT_VERIFY) from error
        finally:
            for leftover in (temp_dir, wal_path(build_file)) + (() if published else (build_file,)):
                _remove(leftover)
    return PublishResult(version_id, warehouse, manifest, watch.seconds(), lines, dbt_seconds)


def _is_calendar_date(text: str) -> bool:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


# ---------------------------------------------------------------------------
# command line


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--raw-data-dir", type=Path,
                        help="landing directory (default: the dbt var's default, data/generated/demo)")
    parser.add_argument("--as-of-date", help="last day the marts describe, YYYY-MM-DD (default: today, UTC)")
    parser.add_argument("--vars", default="", help="extra dbt vars as YAML/JSON, e.g. '{churn_grace_days: 7}'")
    parser.add_argument("--warehouse", type=Path,
                        help="published DuckDB file (default: $WAREHOUSE_PATH or warehouse/subscription_metrics.duckdb)")
    parser.add_argument("--select", nargs="+", metavar="SELECTOR",
                        help="build only these dbt selectors (development: the published file then holds "
                             "only what was built)")
    parser.add_argument("--no-tests", action="store_true", help="dbt run instead of dbt build (skip data tests)")
    parser.add_argument("--incremental", action="store_true",
                        help="start from a copy of the published file so incremental models only add new data "
                             "(default: build from scratch)")
    parser.add_argument("--no-wait", action="store_true",
                        help="fail (exit 4) instead of waiting when another publish is running")
    parser.add_argument("--target-path", type=Path, help="dbt target directory (default: $DBT_TARGET_PATH or target/)")
    parser.add_argument("--log-path", type=Path, help="dbt log directory (default: $DBT_LOG_PATH or logs/)")
    parser.add_argument("--quiet", action="store_true", help="print only the result line")
    return parser.parse_args(argv)


def vars_from_args(raw_data_dir: Path | None, as_of_date: str | None, extra: str) -> dict[str, Any]:
    """The dbt vars of a command line; PublishError(EXIT_USAGE) when --vars is not a mapping."""
    dbt_vars: dict[str, Any] = {}
    if extra:
        import yaml

        try:
            parsed = yaml.safe_load(extra)
        except (yaml.YAMLError, ValueError) as error:
            raise PublishError(f"--vars is not valid YAML: {_first_line(error)}", EXIT_USAGE) from None
        if not isinstance(parsed, dict):
            raise PublishError(f"--vars must be a mapping such as '{{churn_grace_days: 7}}', got: {extra}",
                               EXIT_USAGE)
        dbt_vars.update(_jsonable(parsed))
    if raw_data_dir is not None:
        dbt_vars["raw_data_dir"] = str(raw_data_dir.absolute())
    if as_of_date is not None:
        dbt_vars["as_of_date"] = as_of_date
    return dbt_vars


def main(argv: list[str] | None = None) -> int:
    try:
        args = parse_args(argv)
    except SystemExit as exit_:
        return EXIT_USAGE if exit_.code else EXIT_OK
    try:
        dbt_vars = vars_from_args(args.raw_data_dir, args.as_of_date, args.vars)
        result = build_and_publish(
            args.warehouse, dbt_vars, select=args.select, run_tests=not args.no_tests,
            incremental=args.incremental, wait=not args.no_wait, quiet=args.quiet,
            target_path=args.target_path, log_path=args.log_path,
        )
    except PublishError as error:
        print(f"publish: FAILED: {error}", file=sys.stderr, flush=True)
        return error.code
    except KeyboardInterrupt:
        print("publish: FAILED: interrupted; the published warehouse is unchanged", file=sys.stderr, flush=True)
        return EXIT_OTHER
    except Exception as error:  # noqa: BLE001 - one line instead of a traceback
        print(f"publish: FAILED: {type(error).__name__}: {_first_line(error)}", file=sys.stderr, flush=True)
        return EXIT_OTHER
    marts = sum(1 for name in result.manifest["relations"] if name.startswith("marts."))
    rows = sum(info["rows"] for name, info in result.manifest["relations"].items() if name.startswith("marts."))
    print(f"publish: published {result.version_id} (as of {result.manifest['as_of_date']}) to {result.warehouse}: "
          f"{marts} marts, {rows:,} rows, in {result.seconds:.1f}s", flush=True)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
