#!/usr/bin/env python3
"""Build the warehouse on a Spark cluster through its Thrift server, and
check it against DuckDB.

Steps, in order (each one's output is shown as it runs):
  1. start a standalone Spark cluster on this machine (scripts/spark_cluster.py:
     a master, two one-core workers, a Spark Thrift Server submitted to the
     master; every port on 127.0.0.1 only);
  2. dbt build --target spark_thrift (dbt-spark's `thrift` method, PyHive) of
     the whole project on the fixture landing data: every model, dbt unit
     test and data test, each query run as tasks on the workers' executors;
  3. the tasks each executor ran, from the application's monitoring API:
     both workers must have run tasks of the build;
  4. stop the cluster, and check that no process of it is left;
  5. pytest tests/python/test_spark_parity.py on the warehouse the cluster
     built: every mart and audit relation equals DuckDB's;
  6. pytest tests/python/test_spark_cluster.py: the cluster's start and stop
     (a taken port, a process failing to start, Ctrl-C) leave no process.

The cluster is stopped whatever happens in step 2 or 3 (failure, Ctrl-C).
`--kill-worker-after N` kills worker 2 (with its executor, as a lost machine)
once N dbt nodes have finished: the build must still pass, its tasks retried
on worker 1, and step 5 shows the marts unchanged.

Needs Java 17 and requirements-spark.txt (CI: `make test-cluster`). Work
files go to output/cluster-test/. Exit code 0 only when every step passed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import FIXTURE_AS_OF, REPO_ROOT, Stopwatch, dbt_env, venv_bin  # noqa: E402
from run_spark_tests import StepResult, banner, landing_dir, print_summary, step_parity  # noqa: E402
from spark_cluster import HOST, ClusterError, SparkCluster, add_port_arguments, config_from_args  # noqa: E402

DEFAULT_WORK_DIR = REPO_ROOT / "output" / "cluster-test"
NODE_DONE = re.compile(r"\d+ of \d+ (OK|PASS|WARN|ERROR|FAIL|SKIP)\b")


def step_thrift_build(cluster: SparkCluster, raw_dir: Path, as_of_date: str, select: list[str] | None,
                      work_dir: Path, kill_worker_after: int | None) -> StepResult:
    banner(f"dbt build --target spark_thrift ({raw_dir}, as of {as_of_date})")
    watch = Stopwatch()
    command = [venv_bin("dbt"), "build",
               *(["--select", *select, "--indirect-selection", "cautious"] if select else []),
               "--target-path", str(work_dir / "target"), "--log-path", str(work_dir / "logs"),
               "--vars", json.dumps({"raw_data_dir": str(raw_dir), "as_of_date": as_of_date})]
    env = dbt_env(work_dir / "unused.duckdb", {
        "DBT_TARGET": "spark_thrift", "DBT_SPARK_HOST": HOST, "DBT_SPARK_PORT": str(cluster.config.thrift_port)})
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    lines, finished, killed = [], 0, False
    try:
        for line in process.stdout:
            print(line, end="", flush=True)
            lines.append(line.rstrip("\n"))
            if NODE_DONE.search(line):
                finished += 1
                if kill_worker_after is not None and finished >= kill_worker_after and not killed:
                    cluster.kill("worker-2")
                    killed = True
                    print(f">>> killed worker-2 and its executor (SIGKILL) after {finished} finished nodes",
                          flush=True)
    finally:
        # Interrupted (Ctrl-C, SIGTERM): dbt goes too, before the cluster.
        if process.poll() is None:
            process.terminate()
    code = process.wait()
    done = next((line for line in reversed(lines) if "Done. PASS=" in line), "")
    counts = {key: int(value) for key, value in re.findall(r"(PASS|WARN|ERROR|SKIP)=(\d+)", done)}
    failed = counts.get("ERROR", 0) + counts.get("SKIP", 0) + (1 if code != 0 and not counts.get("ERROR") else 0)
    if kill_worker_after is not None and not killed:
        print(f"the build finished fewer than {kill_worker_after} nodes: worker-2 was never killed", flush=True)
        failed += 1
    return StepResult("thrift build", counts.get("PASS", 0) + counts.get("WARN", 0), failed, watch.seconds(),
                      done.split("Done. ", 1)[-1].strip() or f"dbt exited with {code}")


def step_tasks_on_workers(cluster: SparkCluster, killed_worker: bool) -> StepResult:
    """Which executor ran how many tasks, and on which worker: both workers
    must have run tasks of the build."""
    banner("tasks per executor (the Thrift server application's monitoring API)")
    watch = Stopwatch()
    status = cluster.master_status()
    for worker in status["workers"]:
        print(f"master: worker {worker['id']} {worker['state']} cores {worker['coresused']}/{worker['cores']}")
    for app in status["activeapps"]:
        print(f"master: application {app['id']} {app['name']!r} {app['state']} cores {app['cores']}")
    # Executor id -> worker, from each worker's own status (a killed one no
    # longer answers).
    where: dict[str, str] = {}
    for index in range(cluster.config.workers):
        name = f"worker-{index + 1}"
        try:
            worker = cluster.worker_status(index)
        except OSError:
            continue
        for executor in worker.get("executors", []) + worker.get("finishedexecutors", []):
            where[str(executor["id"])] = name
    ran: dict[str, int] = {}
    for executor in cluster.application_executors():
        if executor["id"] == "driver":
            continue
        worker = where.get(executor["id"], "worker-2 (killed)" if killed_worker else "unknown worker")
        ran[worker] = ran.get(worker, 0) + executor["completedTasks"]
        print(f"executor {executor['id']} on {worker}: {executor['completedTasks']} tasks completed, "
              f"{executor['failedTasks']} failed, active {executor['isActive']}")
    idle = [f"worker-{i + 1}" for i in range(cluster.config.workers)
            if not any(name.startswith(f"worker-{i + 1}") and count > 0 for name, count in ran.items())]
    detail = ", ".join(f"{name} {count} tasks" for name, count in sorted(ran.items()))
    if idle:
        print(f"no task of the build ran on {', '.join(idle)}", flush=True)
    return StepResult("tasks", len(ran), len(idle), watch.seconds(), detail)


def step_cluster_pytest(extra: list[str]) -> StepResult:
    banner("pytest tests/python/test_spark_cluster.py (start and stop leave no process)")
    watch = Stopwatch()
    result = subprocess.run([sys.executable, "-m", "pytest", "tests/python/test_spark_cluster.py", "-q", "-rfEs",
                             "-p", "no:cacheprovider", *extra], cwd=REPO_ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    print(result.stdout, end="", flush=True)
    last = next((line for line in reversed(result.stdout.splitlines()) if line.strip()), "")
    passed = sum(int(n) for n in re.findall(r"(\d+) passed", last))
    failed = sum(int(n) for n in re.findall(r"(\d+) (?:failed|errors?|skipped)", last))
    if result.returncode != 0 and failed == 0:
        failed = 1
    return StepResult("cluster pytest", passed, failed, watch.seconds(), last.strip("= "))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--raw-data-dir", type=Path, default=None,
                        help="landing directory (default: tests/fixtures/landing, or generated stand-in data)")
    parser.add_argument("--as-of-date", default=FIXTURE_AS_OF, help=f"as_of_date (default {FIXTURE_AS_OF})")
    parser.add_argument("--select", nargs="+", default=None,
                        help="dbt selection, for local iteration; pair it with --skip parity (default: everything)")
    parser.add_argument("--work-dir", type=Path, default=DEFAULT_WORK_DIR,
                        help="cluster logs, worker dirs, warehouse, dbt target and logs (default output/cluster-test)")
    parser.add_argument("--skip", action="append", default=[], choices=["parity", "cluster-pytest"],
                        help="skip a step (for local iteration only; CI runs every step)")
    parser.add_argument("--kill-worker-after", type=int, default=None, metavar="N",
                        help="failure test: SIGKILL worker 2 and its executor once N dbt nodes have finished")
    add_port_arguments(parser)
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments for the parity test (after --)")
    args = parser.parse_args(argv)

    work_dir = args.work_dir.resolve()
    cluster_dir = work_dir / "cluster"
    if cluster_dir.exists():
        shutil.rmtree(cluster_dir)
    cluster_dir.mkdir(parents=True)
    watch = Stopwatch()
    raw_dir = landing_dir(args.raw_data_dir, args.as_of_date, work_dir)
    results: list[StepResult] = []
    banner("start the Spark cluster")
    try:
        config = config_from_args(args, cluster_dir)
        start = Stopwatch()
        with SparkCluster(config) as cluster:
            results.append(StepResult("cluster up", 1, 0, start.seconds(),
                                      f"master + {config.workers} workers + Thrift server on {HOST}"))
            results.append(step_thrift_build(cluster, raw_dir, args.as_of_date, args.select, work_dir,
                                             args.kill_worker_after))
            try:
                results.append(step_tasks_on_workers(cluster, args.kill_worker_after is not None))
            except (OSError, ValueError, KeyError, IndexError) as error:
                results.append(StepResult("tasks", 0, 1, 0.0, f"could not read the task counts: {error}"))
            banner("stop the Spark cluster")
            stop = Stopwatch()
        results.append(StepResult("cluster down", 1, 0, stop.seconds(), "no process of the cluster left"))
    except ClusterError as error:
        print(f"spark cluster: {error}", file=sys.stderr, flush=True)
        results.append(StepResult("cluster", 0, 1, watch.seconds(), str(error)))
    except KeyboardInterrupt:
        print("interrupted: the cluster was stopped", file=sys.stderr, flush=True)
        return 130
    if "parity" not in args.skip and all(result.failed == 0 for result in results):
        results.append(step_parity(raw_dir, args.as_of_date, args.select, config.warehouse_dir, args.pytest_args))
    if "cluster-pytest" not in args.skip:
        results.append(step_cluster_pytest([]))

    return print_summary(results, watch.seconds(), width=14)


if __name__ == "__main__":
    sys.exit(main())
