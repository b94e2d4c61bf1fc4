"""A real Airflow for tests: `airflow standalone` in its own home, driven through REST API v2.

Scheduler, DAG processor, triggerer and API server run as in production (LocalExecutor,
task logs written to files). Started in its own process group and stopped with SIGINT (a
SIGTERM leaves the scheduler and API server running); only that group is ever signalled.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.settings import ROOT

BIN = Path(sys.executable).parent


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LiveAirflow:
    """One `airflow standalone` with the project's DAGs, a data root and a metadata DB."""

    def __init__(self, home: Path, data_root: Path, sql_alchemy_conn: str | None = None) -> None:
        self.home = home
        self.port = free_port()
        self.url = f"http://localhost:{self.port}"
        drop = ("AIRFLOW__CORE__UNIT_TEST_MODE",)
        self.env = {k: v for k, v in os.environ.items() if k not in drop} | {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__API__PORT": str(self.port),
            "AIRFLOW__API__BASE_URL": self.url,
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.url}/execution/",
            # a CLI command (backfill create) writes while the scheduler does: SQLite waits up
            # to 60 s for the lock instead of failing with "database is locked" after 5 s
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": sql_alchemy_conn
            or f"sqlite:///{home / 'airflow.db'}?timeout=60",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL": "5",
            "KONVERGENSI_DATA_ROOT": str(data_root),
            "KONVERGENSI_TASK_RETRIES": "0",
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        self.process: subprocess.Popen | None = None

    def airflow(self, *args: str, attempts: int = 5) -> str:
        """Run an `airflow` CLI command against this instance; returns its output.

        On SQLite, a command whose transaction reads and then writes while the scheduler
        writes gets "database is locked" at once (SQLite refuses the lock upgrade rather than
        wait for it, whatever the timeout). Airflow rolls such a command back (a backfill
        removes its partial runs "so the user can retry"), so it is run again, a few times.
        """
        for attempt in range(1, attempts + 1):
            result = subprocess.run(
                [str(BIN / "airflow"), *args],
                env=self.env,
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode == 0:
                return result.stdout
            if "database is locked" not in result.stderr or attempt == attempts:
                break
            time.sleep(2 * attempt)
        raise RuntimeError(f"airflow {' '.join(args)} failed:\n{result.stderr[-3000:]}")

    def start(self, timeout: float = 180) -> None:
        """Migrate the DB, start standalone, wait until the API answers healthy."""
        self.home.mkdir(parents=True, exist_ok=True)
        self.airflow("db", "migrate")
        log = (self.home / "standalone.log").open("wb")
        self.process = subprocess.Popen(
            [str(BIN / "airflow"), "standalone"],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"airflow standalone exited; see {self.home / 'standalone.log'}")
            try:
                health = self.api("GET", "/api/v2/monitor/health")
                if health["metadatabase"]["status"] == "healthy":
                    return
            except (OSError, urllib.error.URLError, KeyError, ValueError):
                pass
            time.sleep(2)
        raise TimeoutError(f"Airflow did not become healthy in {timeout} s")

    def stop(self) -> None:
        """SIGINT standalone (it stops its components), then clear what is left of its group."""
        if self.process is None:
            return
        group = self.process.pid  # its own session: the group id is its pid
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(60)
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(group, sig)
            except ProcessLookupError:
                return
            time.sleep(5)
        self.process.wait(10)

    def api(self, method: str, path: str, body: Any = None) -> Any:
        """Call REST API v2; returns the decoded JSON answer (None when empty)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def wait_for(self, what: str, check, timeout: float, every: float = 3) -> Any:
        """Poll `check()` until it returns something truthy; fail with `what` after timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if found := check():
                return found
            time.sleep(every)
        raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
