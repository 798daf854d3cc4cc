"""The local Spark cluster (scripts/spark_cluster.py) starts cleanly or fails
with one line, and never leaves a process behind.

Each test uses its own ports (far from the defaults, so a cluster of
`make test-cluster` or of another checkout can run at the same time) and its
own work dir; leftovers are found by the marker every process of a cluster
carries on its command line. Runs in the Spark environment (PySpark + Java
17), normally inside `make test-cluster`; skipped elsewhere.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.spark

REASON = "the Spark cluster tests need the Spark environment: pip install -r requirements-spark.txt (and Java 17)"
pytest.importorskip("pyspark", reason=REASON)
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("the Spark cluster tests need Java (17) on PATH or JAVA_HOME", allow_module_level=True)

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "scripts"))
from spark_cluster import ClusterConfig, ClusterError, SparkCluster, cluster_pids  # noqa: E402

# Ports of these tests: 27xxx, apart from the defaults (1xxxx).
PORTS = {"master_port": 27077, "master_ui_port": 27080, "worker_ui_port": 27081, "thrift_port": 27099,
         "app_ui_port": 27049}


def config(tmp_path: Path, **overrides) -> ClusterConfig:
    return ClusterConfig(work_dir=tmp_path.resolve(), start_timeout=120, **{**PORTS, **overrides})


def test_taken_port_stops_the_start_with_one_line(tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", PORTS["thrift_port"]))
        holder.listen()
        cluster = SparkCluster(config(tmp_path), echo=lambda line: None)
        with pytest.raises(ClusterError) as raised:
            with cluster:
                pass
    message = str(raised.value)
    assert "Thrift server port 27099 already in use" in message and "\n" not in message
    assert cluster_pids(cluster.config.marker) == []


def test_a_process_failing_to_start_is_named_and_the_rest_stopped(tmp_path):
    # Too little memory for the Thrift server's driver: it exits at start,
    # after the master and both workers are up.
    cluster = SparkCluster(config(tmp_path, driver_memory="200m"), echo=lambda line: None)
    with pytest.raises(ClusterError) as raised:
        with cluster:
            pass
    message = str(raised.value)
    assert message.startswith("thrift-server exited with code"), message
    assert str(tmp_path / "logs" / "thrift-server.log") in message
    assert "\n" not in message
    assert cluster_pids(cluster.config.marker) == []


def test_ctrl_c_during_the_start_stops_every_process(tmp_path):
    """`spark_cluster.py up` interrupted (SIGINT, as Ctrl-C) once the
    workers run: exit code 130, no process of the cluster left."""
    env = dict(os.environ, **{f"SPARK_CLUSTER_{name.upper()}": str(port) for name, port in PORTS.items()})
    process = subprocess.Popen(
        [sys.executable, str(REPO_ROOT / "scripts" / "spark_cluster.py"), "up", "--work-dir", str(tmp_path)],
        cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    marker = ClusterConfig(work_dir=tmp_path.resolve()).marker
    lines = []
    for line in process.stdout:
        lines.append(line)
        if line.startswith("worker-2"):
            break
    else:
        pytest.fail("the cluster never got its workers:\n" + "".join(lines))
    running = cluster_pids(marker)
    assert len(running) >= 3, f"master and two workers expected running, found {running}"
    process.send_signal(signal.SIGINT)
    rest, _ = process.communicate(timeout=120)
    assert process.returncode == 130, "".join(lines) + rest
    assert "cluster stopped: no process of it left" in rest
    time.sleep(1)
    assert cluster_pids(marker) == []
