"""A Spark standalone cluster on 127.0.0.1: one master and its workers, each in its own JVM.

Started from the installed pyspark's own launcher (``bin/spark-class`` with the master and
worker classes), on free ports, with small heaps: a driver pointed at :attr:`master_url`
runs its tasks in executor JVMs the workers start, with Python workers of their own, as on a
real cluster. Every process gets its own process group, so :meth:`stop` ends the JVMs and
whatever they started (executors, Python workers) and nothing else. Used by the tests' cluster
fixture and by the benchmark that compares the cluster with local mode.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"
# The daemons only route messages and start executors: a small heap and the JIT's fast tier
# are enough, and leave the memory and the cores to the executors.
DAEMON_JAVA_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class StandaloneCluster:
    """A running master and workers; :meth:`stop` ends them."""

    master_url: str
    web_url: str
    log_folder: Path
    processes: list[subprocess.Popen] = field(default_factory=list)

    def state(self) -> dict:
        """The master's view of the cluster (its web UI's JSON): workers, cores, applications."""
        with urllib.request.urlopen(f"{self.web_url}/json/", timeout=5) as response:
            return json.load(response)

    def logs(self) -> str:
        """The daemons' logs, for a failure message."""
        return "\n".join(f"--- {path.name}\n{path.read_text(errors='replace')[-4000:]}"
                         for path in sorted(self.log_folder.glob("*.log")))

    def stop(self, grace_s: float = 10.0) -> None:
        """SIGTERM to each daemon's process group, then SIGKILL to what is left after ``grace_s``."""
        for process in reversed(self.processes):
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        for process in self.processes:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            _signal_group(process, signal.SIGKILL)  # executors a worker started may outlive it
            process.wait()
        self.processes.clear()


def _signal_group(process: subprocess.Popen, number: int) -> None:
    try:
        os.killpg(process.pid, number)
    except ProcessLookupError:
        pass


def start_cluster(log_folder: Path, *, workers: int = 1, cores: int = 2, memory: str = "1g",
                  timeout_s: float = 120.0) -> StandaloneCluster:
    """Start a master and ``workers`` workers (``cores`` and ``memory`` each); wait until all registered."""
    log_folder.mkdir(parents=True, exist_ok=True)
    home = spark_home()
    env = {**os.environ, "SPARK_HOME": str(home), "SPARK_LOCAL_IP": "127.0.0.1", "SPARK_NO_DAEMONIZE": "1",
           "SPARK_DAEMON_MEMORY": "256m", "SPARK_DAEMON_JAVA_OPTS": DAEMON_JAVA_OPTIONS,
           "SPARK_WORKER_DIR": str(log_folder / "work"), "SPARK_LOG_DIR": str(log_folder)}
    port, web_port = free_port(), free_port()
    cluster = StandaloneCluster(f"spark://127.0.0.1:{port}", f"http://127.0.0.1:{web_port}", log_folder)
    launcher = str(home / "bin" / "spark-class")
    try:
        cluster.processes.append(_daemon(
            [launcher, MASTER_CLASS, "--host", "127.0.0.1", "--port", str(port), "--webui-port", str(web_port)],
            env, log_folder / "master.log"))
        _wait(cluster, lambda state: True, timeout_s)
        for number in range(workers):
            cluster.processes.append(_daemon(
                [launcher, WORKER_CLASS, "--host", "127.0.0.1", "--webui-port", str(free_port()),
                 "--cores", str(cores), "--memory", memory, cluster.master_url],
                env, log_folder / f"worker-{number}.log"))
        _wait(cluster, lambda state: len([w for w in state.get("workers", []) if w.get("state") == "ALIVE"])
              == workers, timeout_s)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def _daemon(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "wb") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)


def _wait(cluster: StandaloneCluster, ready, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for process in cluster.processes:
            if process.poll() is not None:
                raise RuntimeError(f"a Spark daemon exited with {process.returncode}:\n{cluster.logs()}")
        try:
            if ready(cluster.state()):
                return
        except OSError:  # the master's web UI is not up yet
            pass
        time.sleep(0.5)
    raise TimeoutError(f"the standalone cluster was not ready after {timeout_s:.0f} s:\n{cluster.logs()}")
