#!/usr/bin/env python3
"""A standalone Spark cluster with a Thrift server, on this machine.

Starts, as separate JVM processes:
  - a Spark master (standalone cluster manager),
  - two workers with one core each,
  - a Spark Thrift Server (HiveServer2 protocol, what dbt-spark's `thrift`
    method talks to) submitted to that master as its application, so every
    query it runs is split into tasks that run on the workers' executors.

The Thrift server keeps its tables under <work dir>/warehouse/tables and its
Hive metastore (embedded Derby) under <work dir>/warehouse/metastore: the
same layout as the in-process `spark` target, so the parity test reads a
warehouse built through the cluster exactly as one built in-process.

Every port is bound on 127.0.0.1 only and is configurable (flags or
SPARK_CLUSTER_* environment variables); a port already in use stops the start
with one line naming it. Each process is waited for until it is ready; one
that fails stops the start with one line naming it and its log. On exit --
normal, an error, Ctrl-C or SIGTERM -- every process of the cluster is
stopped (SIGTERM, then SIGKILL after a grace period), and the stop checks
that none is left.

Run alone it starts the cluster and keeps it up until Ctrl-C:
    .venv-spark/bin/python scripts/spark_cluster.py up
Needs Java 17 and PySpark (requirements-spark.txt), which ships the master,
the worker and the Thrift server.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

REPO_ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
#: Spark-side settings the project's SQL needs on any cluster (the same as
#: the in-process `spark` target's): UTC session time, Parquet tables by
#: default, CSV rows checked for their field count whatever columns are read,
#: enough analyzer passes for the sBG fit's ~140 CTEs. The dbt profile's
#: spark_thrift target sends the session-level ones on every connection too.
SQL_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.legacy.createHiveTableByDefault": "false",
    "spark.sql.csv.parser.columnPruning.enabled": "false",
    "spark.sql.analyzer.maxIterations": "1000",
    "spark.sql.shuffle.partitions": "2",
    "spark.sql.codegen.wholeStage": "false",
}


class ClusterError(RuntimeError):
    """A cluster process could not start or stop; the message is one line."""


@dataclass
class ClusterConfig:
    work_dir: Path
    master_port: int = 17077
    master_ui_port: int = 18080
    #: The two workers' web UIs take this port and the next.
    worker_ui_port: int = 18081
    thrift_port: int = 10099
    #: The Thrift server's application UI (and its REST API, which reports
    #: the tasks each executor ran).
    app_ui_port: int = 14049
    workers: int = 2
    worker_cores: int = 1
    worker_memory: str = "1200m"
    executor_memory: str = "1g"
    driver_memory: str = "1536m"
    start_timeout: float = 240.0
    stop_grace: float = 20.0

    @property
    def warehouse_dir(self) -> Path:
        return self.work_dir / "warehouse"

    @property
    def log_dir(self) -> Path:
        return self.work_dir / "logs"

    @property
    def marker(self) -> str:
        """A JVM system property on every process of this cluster (and only
        of this cluster), by which the stop check finds leftovers."""
        return f"-Dsubscription_metrics.cluster={self.work_dir}"

    def ports(self) -> dict[str, int]:
        named = {"master": self.master_port, "master web UI": self.master_ui_port,
                 "Thrift server": self.thrift_port, "application UI": self.app_ui_port}
        for index in range(self.workers):
            named[f"worker-{index + 1} web UI"] = self.worker_ui_port + index
        return named

    @classmethod
    def from_env(cls, work_dir: Path, **overrides: Any) -> "ClusterConfig":
        """Defaults, then SPARK_CLUSTER_<NAME> environment variables, then
        explicit overrides (None means not given)."""
        config = cls(work_dir=work_dir.resolve())
        for name in ("master_port", "master_ui_port", "worker_ui_port", "thrift_port", "app_ui_port"):
            value = os.environ.get(f"SPARK_CLUSTER_{name.upper()}")
            if value:
                if not value.isdigit():
                    raise ClusterError(f"SPARK_CLUSTER_{name.upper()}={value!r} is not a port number")
                setattr(config, name, int(value))
        for name, value in overrides.items():
            if value is not None:
                setattr(config, name, value)
        return config


@dataclass
class ClusterProcess:
    name: str
    process: subprocess.Popen
    log: Path


def spark_home() -> Path:
    try:
        import pyspark
    except ImportError as error:
        raise ClusterError("PySpark is not installed in this Python: pip install -r requirements-spark.txt") from error
    return Path(pyspark.__file__).resolve().parent


def port_in_use(port: int) -> bool:
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        probe.bind((HOST, port))
    except OSError:
        return True
    finally:
        probe.close()
    return False


def http_json(url: str, timeout: float = 5.0) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (localhost only)
        return json.load(response)


#: Ctrl-C and SIGTERM wait while a process is started and registered: one
#: arriving in between would leave a process the stop does not know of.
STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the process that started
    the cluster dies, even by SIGKILL (Linux; elsewhere a no-op)."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)   # blocked in the parent while it spawns
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def cluster_pids(marker: str) -> list[int]:
    """Processes whose command line carries the cluster's marker."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline.split(b"\0"):
            pids.append(int(entry.name))
    return sorted(pids)


def log_tail(path: Path, lines: int = 3) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    interesting = [line for line in text if "ERROR" in line or "Exception" in line or "Error" in line]
    return " | ".join((interesting or text)[-lines:])


class SparkCluster:
    """Context manager: `with SparkCluster(config) as cluster:` starts the
    cluster and stops every process of it on the way out."""

    def __init__(self, config: ClusterConfig, echo: Callable[[str], None] = print) -> None:
        self.config = config
        self.echo = echo
        self.processes: list[ClusterProcess] = []
        self.home = spark_home()
        self._previous_sigterm: Any = None

    # ---------------------------------------------------------------- urls
    @property
    def master_url(self) -> str:
        return f"spark://{HOST}:{self.config.master_port}"

    def master_status(self) -> dict:
        return http_json(f"http://{HOST}:{self.config.master_ui_port}/json/")

    def worker_status(self, index: int) -> dict:
        return http_json(f"http://{HOST}:{self.config.worker_ui_port + index}/json/")

    def application_executors(self) -> list[dict]:
        """The Thrift server application's executors with their task counts
        (Spark's monitoring REST API)."""
        base = f"http://{HOST}:{self.config.app_ui_port}/api/v1/applications"
        app_id = http_json(base)[0]["id"]
        return http_json(f"{base}/{app_id}/allexecutors")

    def process(self, name: str) -> ClusterProcess:
        return next(p for p in self.processes if p.name == name)

    # ------------------------------------------------------------- start
    def __enter__(self) -> "SparkCluster":
        self._previous_sigterm = signal.signal(signal.SIGTERM, _sigterm_as_interrupt)
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            self.stop()
        finally:
            signal.signal(signal.SIGTERM, self._previous_sigterm or signal.SIG_DFL)

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update({
            "SPARK_HOME": str(self.home),
            # Every listening socket of every JVM (RPC, block manager, web
            # UIs) binds to this address.
            "SPARK_LOCAL_IP": HOST,
            "SPARK_LOCAL_HOSTNAME": HOST,
            "SPARK_LOG_DIR": str(self.config.log_dir),
            "SPARK_DAEMON_MEMORY": "256m",
            # A taken port fails the start instead of drifting to the next one.
            "SPARK_DAEMON_JAVA_OPTS": f"{self.config.marker} -Dspark.port.maxRetries=0",
            "PYSPARK_PYTHON": sys.executable,
        })
        return env

    def _spawn(self, name: str, argv: list[str], extra_env: dict[str, str] | None = None) -> ClusterProcess:
        log = self.config.log_dir / f"{name}.log"
        env = self._env()
        env.update(extra_env or {})
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            with log.open("wb") as handle:
                process = subprocess.Popen(
                    argv, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                    cwd=self.config.work_dir, start_new_session=True, preexec_fn=_die_with_parent,
                )
            started = ClusterProcess(name, process, log)
            self.processes.append(started)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)   # a pending Ctrl-C is raised here
        return started

    def _wait(self, started: list[ClusterProcess], what: str, ready: Callable[[], bool]) -> None:
        deadline = time.monotonic() + self.config.start_timeout
        while True:
            for item in started:
                code = item.process.poll()
                if code is not None:
                    tail = log_tail(item.log)
                    raise ClusterError(f"{item.name} exited with code {code} before {what}; see {item.log}"
                                       + (f" ({tail})" if tail else ""))
            try:
                if ready():
                    return
            except (OSError, urllib.error.URLError, ValueError, KeyError, IndexError):
                pass
            if time.monotonic() > deadline:
                names = ", ".join(f"{item.name} ({item.log})" for item in started)
                raise ClusterError(f"timed out after {self.config.start_timeout:.0f}s waiting for {what}; "
                                   f"see the log of {names}")
            time.sleep(1.0)

    def start(self) -> None:
        config = self.config
        taken = [f"{name} port {port}" for name, port in config.ports().items() if port_in_use(port)]
        if taken:
            raise ClusterError(f"{HOST}: {', '.join(taken)} already in use; choose free ports "
                               "(--master-port etc. or SPARK_CLUSTER_MASTER_PORT etc.)")
        if len(set(config.ports().values())) != len(config.ports()):
            raise ClusterError(f"the cluster's ports must differ: {config.ports()}")
        config.log_dir.mkdir(parents=True, exist_ok=True)
        config.warehouse_dir.mkdir(parents=True, exist_ok=True)
        spark_class = str(self.home / "bin" / "spark-class")
        watch = time.monotonic()

        master = self._spawn("master", [
            spark_class, "org.apache.spark.deploy.master.Master",
            "--host", HOST, "--port", str(config.master_port), "--webui-port", str(config.master_ui_port)])
        self._wait([master], f"the master answered on {HOST}:{config.master_ui_port}",
                   lambda: self.master_status().get("status") == "ALIVE")
        self.echo(f"master   {self.master_url} ready (web UI http://{HOST}:{config.master_ui_port}, "
                  f"pid {master.process.pid})")

        workers = []
        for index in range(config.workers):
            work = config.work_dir / f"worker-{index + 1}"
            work.mkdir(parents=True, exist_ok=True)
            workers.append(self._spawn(f"worker-{index + 1}", [
                spark_class, "org.apache.spark.deploy.worker.Worker",
                "--host", HOST, "--port", "0", "--webui-port", str(config.worker_ui_port + index),
                "--cores", str(config.worker_cores), "--memory", config.worker_memory,
                "--work-dir", str(work), self.master_url]))
        self._wait([master, *workers], f"{config.workers} workers registered with the master",
                   lambda: self.master_status().get("aliveworkers") == config.workers)
        for index, worker in enumerate(workers):
            self.echo(f"worker-{index + 1} {config.worker_cores} core, {config.worker_memory} ready "
                      f"(web UI http://{HOST}:{config.worker_ui_port + index}, pid {worker.process.pid})")

        warehouse = config.warehouse_dir
        driver_java = f"-Dderby.system.home={warehouse / 'metastore'} -Xss16m {config.marker}"
        conf = {
            "spark.driver.host": HOST,
            "spark.driver.bindAddress": HOST,
            "spark.executor.cores": str(config.worker_cores),
            "spark.executor.memory": config.executor_memory,
            "spark.cores.max": str(config.workers * config.worker_cores),
            # The sBG fit's tasks need more than the default 1 MB thread stack.
            "spark.executor.extraJavaOptions": f"-Xss16m {config.marker}",
            "spark.sql.warehouse.dir": f"file:{warehouse / 'tables'}",
            "spark.sql.catalogImplementation": "hive",
            "spark.ui.port": str(config.app_ui_port),
            "spark.ui.showConsoleProgress": "false",
            "spark.port.maxRetries": "0",
            **SQL_CONF,
        }
        thrift = self._spawn("thrift-server", [
            str(self.home / "bin" / "spark-submit"),
            "--class", "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2",
            "--name", "subscription_metrics Thrift server", "--master", self.master_url,
            "--driver-memory", config.driver_memory, "--driver-java-options", driver_java,
            *[arg for key, value in conf.items() for arg in ("--conf", f"{key}={value}")],
            "spark-internal",
            "--hiveconf", f"hive.server2.thrift.port={config.thrift_port}",
            "--hiveconf", f"hive.server2.thrift.bind.host={HOST}",
        ], {"HIVE_SERVER2_THRIFT_PORT": str(config.thrift_port), "HIVE_SERVER2_THRIFT_BIND_HOST": HOST,
            # spark-submit sizes the Thrift server's driver by the daemon
            # memory setting when it is set.
            "SPARK_DAEMON_MEMORY": config.driver_memory})
        everything = [master, *workers, thrift]

        def thrift_ready() -> bool:
            with socket.create_connection((HOST, config.thrift_port), timeout=2):
                pass
            executors = [e for e in self.application_executors() if e["id"] != "driver" and e["isActive"]]
            return len(executors) == config.workers

        self._wait(everything, f"the Thrift server listened on {HOST}:{config.thrift_port} with "
                   f"{config.workers} executors", thrift_ready)
        self.echo(f"thrift   {HOST}:{config.thrift_port} ready, {config.workers} executors "
                  f"(pid {thrift.process.pid}; cluster up in {time.monotonic() - watch:.0f}s)")

    # -------------------------------------------------------------- stop
    def kill(self, name: str) -> None:
        """Kill one process of the cluster and its children at once
        (SIGKILL), as a lost machine would: for failure tests."""
        item = self.process(name)
        try:
            os.killpg(item.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        item.process.wait()

    def stop(self) -> None:
        """Stop every process (the Thrift server first, the master last),
        then check that none of the cluster is left; idempotent."""
        for item in reversed(self.processes):
            if item.process.poll() is None:
                try:
                    os.killpg(item.process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
                try:
                    item.process.wait(timeout=self.config.stop_grace)
                except subprocess.TimeoutExpired:
                    self.echo(f"{item.name} did not stop within {self.config.stop_grace:.0f}s: killing it")
                    os.killpg(item.process.pid, signal.SIGKILL)
                    item.process.wait()
            # Its executors (children in its process group) go with it.
            try:
                os.killpg(item.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if not self.processes:
            return
        self.processes = []
        deadline = time.monotonic() + 10
        left = cluster_pids(self.config.marker)
        while left and time.monotonic() < deadline:
            time.sleep(0.5)
            left = cluster_pids(self.config.marker)
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if left:
            raise ClusterError(f"cluster processes were still running after the stop and were killed: {left}")
        self.echo("cluster stopped: no process of it left")


def _sigterm_as_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def add_port_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = ClusterConfig(work_dir=Path("."))
    for name, help_text in (("master_port", "the master's RPC port"),
                            ("master_ui_port", "the master's web UI (JSON status at /json)"),
                            ("worker_ui_port", "the first worker's web UI; the second takes the next port"),
                            ("thrift_port", "the Thrift server's port (dbt connects here)"),
                            ("app_ui_port", "the Thrift server application's UI / REST API")):
        flag = "--" + name.replace("_", "-")
        parser.add_argument(flag, type=int, default=None,
                            help=f"{help_text} (default {getattr(defaults, name)}, "
                                 f"or SPARK_CLUSTER_{name.upper()}); bound on {HOST} only")


def config_from_args(args: argparse.Namespace, work_dir: Path) -> ClusterConfig:
    return ClusterConfig.from_env(work_dir, **{name: getattr(args, name) for name in
                                               ("master_port", "master_ui_port", "worker_ui_port",
                                                "thrift_port", "app_ui_port")})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["up"], help="up: start the cluster and keep it up until Ctrl-C")
    parser.add_argument("--work-dir", type=Path, default=REPO_ROOT / "output" / "spark-cluster",
                        help="logs, worker dirs and the warehouse (default output/spark-cluster)")
    add_port_arguments(parser)
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args, args.work_dir)
        with SparkCluster(config) as cluster:
            print(f"dbt: DBT_TARGET=spark_thrift DBT_SPARK_HOST={HOST} DBT_SPARK_PORT={config.thrift_port}; "
                  f"Ctrl-C stops the cluster", flush=True)
            while all(item.process.poll() is None for item in cluster.processes):
                time.sleep(1)
            gone = [item for item in cluster.processes if item.process.poll() is not None]
            raise ClusterError(f"{gone[0].name} exited with code {gone[0].process.returncode}; see {gone[0].log}")
    except ClusterError as error:
        print(f"spark cluster: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
