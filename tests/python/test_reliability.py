"""Publishing: crash safety, idempotency, readers during builds.

scripts/publish.py builds into warehouse/builds/<name>.duckdb and renames
it over the published file. These tests check what that promises:

* crash safety: a publish killed with SIGKILL at random moments and at
  each named step of the publish leaves the published warehouse readable
  and exactly the version its manifest describes; the next publish then
  succeeds without manual cleanup;
* idempotency: that rebuild gives every mart and audit table with the same
  row count and checksum as the first build of the same inputs (and in
  the concurrency test, two subset builds of the same inputs agree);
* concurrency: reader processes query the marts in a loop while publishes
  run; no reader ever gets an error (no lock error), and every read sees
  one whole published version (its contents match its manifest, and its
  data matches its as_of_date).

Everything runs on private paths (tmp dirs); the repo's warehouse/ is never
touched. Builds of the crash and concurrency loops select only `+fct_mrr`
and `+mrr_movements` to keep the suite fast.
"""

from __future__ import annotations

import fcntl
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "scripts"))

duckdb = pytest.importorskip("duckdb")

pytestmark = [pytest.mark.dbt, pytest.mark.slow]

AS_OF = "2026-10-31"
OTHER_AS_OF = "2026-09-30"
SUBSET = ["+fct_mrr", "+mrr_movements"]


def _require_dbt() -> None:
    if not (Path(sys.executable).parent / "dbt").exists():
        pytest.skip("dbt is not installed next to this Python")


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _require_dbt()
    root = tmp_path_factory.mktemp("reliability")
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "generate_data.py"), "--customers", "30", "--months", "6",
         "--seed", "11", "--end-date", AS_OF, "--out", str(root / "landing"), "--quiet"],
        cwd=REPO_ROOT, capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return root


def publish_command(work: Path, warehouse: Path, as_of: str = AS_OF, select: list[str] | None = None,
                    tests: bool = True) -> list[str]:
    command = [sys.executable, str(REPO_ROOT / "scripts" / "publish.py"), "--raw-data-dir", str(work / "landing"),
               "--as-of-date", as_of, "--warehouse", str(warehouse), "--quiet",
               "--target-path", str(warehouse.parent / "target"), "--log-path", str(warehouse.parent / "logs")]
    if select:
        command += ["--select", *select]
    if not tests:
        command.append("--no-tests")
    return command


def publish_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", **extra}
    env.pop("DUCKDB_TEMP_DIR", None)          # publish keeps its spill files in builds/
    env.pop("WAREHOUSE_PATH", None)
    return env


def publish(work: Path, warehouse: Path, check: bool = True, **options: Any) -> dict[str, Any]:
    """Publish; return the published manifest, checked against the file
    (`check`), else as the JSON beside it says (in a process that keeps a
    connection to the old version open, DuckDB would hand the old version
    to any new connection of the same process)."""
    done = subprocess.run(publish_command(work, warehouse, **options), cwd=REPO_ROOT, capture_output=True,
                          text=True, env=publish_env())
    assert done.returncode == 0, f"publish failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr}"
    if not check:
        return json.loads(warehouse.with_name(warehouse.stem + ".publish.json").read_text())
    return published_state(warehouse)


def published_state(warehouse: Path) -> dict[str, Any]:
    """Open the published file read-only; it must be exactly the version its
    manifest describes. Returns the manifest."""
    from read_marts import connect, published_version, verify_published

    with connect(warehouse) as con:
        manifest = published_version(con)
        problems = verify_published(con)
    assert not problems, f"published warehouse does not match its manifest: {problems}"
    return manifest


def marts_of(manifest: dict[str, Any]) -> dict[str, Any]:
    return {name: info for name, info in manifest["relations"].items() if name.startswith("marts.")}


def lock_is_free(warehouse: Path, within: float = 10.0) -> bool:
    """True once no process (publisher or its dbt child) holds the lock."""
    path = warehouse.parent / "builds" / ".lock"
    deadline = time.monotonic() + within
    with open(path, "a+") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() > deadline:
                    return False
                time.sleep(0.2)
                continue
            fcntl.flock(handle, fcntl.LOCK_UN)
            return True


@pytest.fixture(scope="module")
def full_warehouse(work: Path) -> tuple[Path, dict[str, Any]]:
    """A warehouse with every model published (dbt run, no tests: fast)."""
    warehouse = work / "full" / "warehouse.duckdb"
    warehouse.parent.mkdir()
    return warehouse, publish(work, warehouse, tests=False)


# ---------------------------------------------------------------------------


def test_killed_publishes_leave_the_published_warehouse_intact(
        work: Path, full_warehouse: tuple[Path, dict[str, Any]]) -> None:
    warehouse, first = full_warehouse
    current = published_state(warehouse)
    builds = warehouse.parent / "builds"
    rng = random.Random(20261031)
    outcomes = []

    # random moments, spread over a subset build (~5-10 s): parse, models, tests, verify, swap
    for attempt, (low, high) in enumerate([(0.2, 1.5), (1.5, 3.5), (3.5, 6.0), (6.0, 10.0)]):
        delay = rng.uniform(low, high)
        process = subprocess.Popen(publish_command(work, warehouse, select=SUBSET), cwd=REPO_ROOT,
                                   env=publish_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   start_new_session=True)
        time.sleep(delay)
        if attempt % 2 == 0:
            os.killpg(process.pid, signal.SIGKILL)   # the publisher and its dbt child
        else:
            process.send_signal(signal.SIGKILL)      # the publisher only: its dbt child must die with it
        process.wait()
        assert lock_is_free(warehouse), "a killed publish left a process holding the lock"
        state = published_state(warehouse)
        finished = state["version_id"] != current["version_id"]
        outcomes.append(f"kill after {delay:.1f}s: {'published just before' if finished else 'old version kept'}")
        current = state

    # each step of the publish itself
    # (after_dbt lies in the same window as before_swap: built, not yet moved)
    for point in ("after_lock", "before_swap", "after_swap"):
        done = subprocess.run(publish_command(work, warehouse, select=SUBSET, tests=False), cwd=REPO_ROOT,
                              env=publish_env(SM_PUBLISH_TEST_CRASH_AT=point), capture_output=True, text=True)
        assert done.returncode == -signal.SIGKILL, f"{point}: {done.returncode} {done.stderr}"
        state = published_state(warehouse)
        if point == "after_swap":
            assert state["version_id"] != current["version_id"], "the swap happened before the crash"
            stale = json.loads((warehouse.parent / "warehouse.publish.json").read_text())
            assert stale["version_id"] == current["version_id"]   # the JSON is repaired by the next run
        else:
            assert state["version_id"] == current["version_id"], f"{point}: published version changed"
        outcomes.append(f"crash at {point}: ok")
        current = state

    # the next publish needs no cleanup ...
    final = publish(work, warehouse, tests=False)
    assert sorted(path.name for path in builds.iterdir()) == [".lock"], list(builds.iterdir())
    assert not (warehouse.parent / "warehouse.duckdb.wal").exists()
    json_manifest = json.loads((warehouse.parent / "warehouse.publish.json").read_text())
    assert json_manifest["version_id"] == final["version_id"]
    assert json_manifest["relations"] == final["relations"]
    # ... and is idempotent: the same inputs give the same marts as the first build
    assert final["version_id"] != first["version_id"]
    assert len(marts_of(first)) >= 5, sorted(first["relations"])
    differing = {name: (info, final["relations"].get(name)) for name, info in first["relations"].items()
                 if final["relations"].get(name) != info}
    assert not differing, f"a rebuild of the same inputs changed: {differing}"
    assert set(final["relations"]) == set(first["relations"])
    print("\n" + "\n".join(outcomes) + f"\nrebuild: {len(first['relations'])} relations identical")


READER = textwrap.dedent("""
    import json, sys, time
    sys.path.insert(0, {scripts!r})
    import duckdb
    from read_marts import connect, published_version, verify_published

    warehouse, stop, out = sys.argv[1], sys.argv[2], sys.argv[3]
    reads, errors, versions = 0, [], {{}}
    import os
    while not os.path.exists(stop):
        try:
            with connect(warehouse) as con:
                manifest = published_version(con)
                problems = verify_published(con)
                last_month = con.execute("select max(month) from marts.fct_mrr").fetchone()[0]
                totals = con.execute("select count(*), sum(ending_mrr) from marts.mrr_movements").fetchone()
            if problems:
                errors.append(f"{{manifest['version_id']}}: {{problems}}")
            if str(last_month)[:7] != manifest["as_of_date"][:7]:
                errors.append(f"{{manifest['version_id']}}: fct_mrr ends {{last_month}}, "
                              f"as_of_date is {{manifest['as_of_date']}}")
            versions.setdefault(manifest["version_id"], [manifest["as_of_date"], list(map(str, totals))])
            reads += 1
            time.sleep(0.2)            # a busy dashboard, not a denial of service
        except Exception as error:  # any error at all is a failure of the publishing design
            errors.append(f"{{type(error).__name__}}: {{error}}")
    json.dump({{"reads": reads, "errors": errors, "versions": versions}}, open(out, "w"))
""")


def test_readers_never_fail_and_see_whole_versions_while_publishing(work: Path) -> None:
    warehouse = work / "concurrent" / "warehouse.duckdb"
    warehouse.parent.mkdir()
    first = publish(work, warehouse, select=SUBSET, tests=False)
    published, relations = [first["version_id"]], [first["relations"]]

    reader_script = work / "reader.py"
    reader_script.write_text(READER.format(scripts=str(REPO_ROOT / "scripts")))
    stop = work / "stop-readers"
    readers = [
        subprocess.Popen([sys.executable, str(reader_script), str(warehouse), str(stop), str(work / f"reader{i}.json")],
                         cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for i in range(3)
    ]
    # a BI session that stays connected across publishes keeps reading its version
    from read_marts import connect, published_version, verify_published

    long_session = connect(warehouse)
    try:
        time.sleep(1.0)
        for as_of in (OTHER_AS_OF, AS_OF):
            manifest = publish(work, warehouse, check=False, as_of=as_of, select=SUBSET, tests=False)
            published.append(manifest["version_id"])
            relations.append(manifest["relations"])
            time.sleep(0.5)
        assert published_version(long_session)["version_id"] == published[0]
        assert verify_published(long_session) == []
    finally:
        long_session.close()
        stop.touch()
    results = []
    for index, reader in enumerate(readers):
        output, _ = reader.communicate(timeout=120)
        assert reader.returncode == 0, output
        results.append(json.loads((work / f"reader{index}.json").read_text()))

    errors = [error for result in results for error in result["errors"]]
    assert not errors, f"readers saw {len(errors)} errors, first: {errors[:3]}"
    seen = {version for result in results for version in result["versions"]}
    assert seen <= set(published), f"readers saw versions never published: {seen - set(published)}"
    assert len(seen) >= 2, f"readers saw only {seen}: no publish happened while they read"
    assert all(result["reads"] > 0 for result in results)
    # idempotent: versions 0 and 2 were built from the same inputs
    assert relations[0] == relations[2], "two builds of the same inputs differ"
    assert relations[0] != relations[1], "builds as of different dates should differ"
    reads = sum(result["reads"] for result in results)
    print(f"\n{len(readers)} readers, {reads} reads, 0 errors, {len(seen)} of {len(published)} versions seen")
