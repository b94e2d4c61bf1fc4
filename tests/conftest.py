"""Test set-up: an isolated AIRFLOW_HOME with a SQLite metadata DB, set before Airflow loads.

Airflow reads its configuration when first imported, so the environment is set here at import
time; the metadata tables are created once per session with `airflow db migrate`.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.settings import ROOT

_HOME = Path(tempfile.mkdtemp(prefix="konvergensi-airflow-"))
_OWNER_PID = os.getpid()


def _remove_home() -> None:
    """Delete the temporary home at exit, only in the process that made it: a forked child
    (executor worker, task runner) that exits normally must not delete the parent's DB."""
    if os.getpid() == _OWNER_PID:
        shutil.rmtree(_HOME, ignore_errors=True)


atexit.register(_remove_home)
os.environ.update(
    {
        "AIRFLOW_HOME": str(_HOME),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__UNIT_TEST_MODE": "True",
        "KONVERGENSI_CONTRACTS_DIR": str(ROOT / "contracts"),
        "KONVERGENSI_DATA_ROOT": str(_HOME / "data"),
        "AIRFLOW_CONN_KONVERGENSI_PSEUDONYM_KEY": '{"conn_type": "generic", "password": '
        '"test-key-0123456789abcdef0123456789"}',
        # A file that lands while an ingest run waits is seen within a second, not a minute.
        "KONVERGENSI_LANDING_POKE_SECONDS": "1",
        # Test files are written whole before a run looks: no need to wait for them to settle
        # (tests/test_scheduling_landing.py tests the settle interval on its own).
        "KONVERGENSI_LANDING_SETTLE_SECONDS": "0",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "include"), os.environ.get("PYTHONPATH", "")]),
    }
)
# The metadata DB of the tests: SQLite in the temporary home unless a test run names another
# (KONVERGENSI_TEST_SQL_ALCHEMY_CONN, e.g. the throwaway Postgres that CI starts).
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = os.environ.get(
    "KONVERGENSI_TEST_SQL_ALCHEMY_CONN", f"sqlite:///{_HOME / 'airflow.db'}"
)


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """Create the Airflow metadata tables once per test session."""
    result = subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"airflow db migrate failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return _HOME


@pytest.fixture(scope="session")
def fail_fast_dags(airflow_db: Path) -> dict:
    """The dags folder parsed once with no retries (dag.test() waits out retry delays)."""
    from konvergensi.demo import load_dags

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KONVERGENSI_TASK_RETRIES", "0")
        return load_dags(ROOT / "dags")


@pytest.fixture
def data_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh data root (all zones) for one test."""
    root = tmp_path / "data"
    monkeypatch.setenv("KONVERGENSI_DATA_ROOT", str(root))
    return root


@pytest.fixture
def zones(tmp_path: Path) -> tuple[Path, Path]:
    """Staging and identity zones for the resolver's tests, the hand-set model installed."""
    from tests.resolve_cases import install_model

    identity = tmp_path / "identity"
    install_model(identity)
    return tmp_path / "staging", identity
