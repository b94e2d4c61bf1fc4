"""The end-to-end DAG test again, with PostgreSQL as Airflow's metadata DB (as in production).

A throwaway cluster is created with initdb/pg_ctl in a temporary folder on a free port (as the
`postgres` user when the tests run as root), used by a child pytest running
tests/test_pipeline_e2e.py, then stopped and deleted. Without initdb the test skips, unless
KONVERGENSI_REQUIRE_SERVICES=1 (CI), where it fails.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.settings import REQUIRE_SERVICES, ROOT

pytestmark = [pytest.mark.postgres, pytest.mark.airflow]


def _missing(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (KONVERGENSI_REQUIRE_SERVICES=1: services are required)")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_postgres_user(folder: Path) -> list[str]:
    """Command prefix: initdb refuses to run as root, so root runs it as `postgres`."""
    if os.geteuid() != 0:
        return []
    try:
        user = pwd.getpwnam("postgres")
    except KeyError:
        _missing("running as root and there is no `postgres` user to run initdb as")
    runuser = shutil.which("runuser")
    if runuser is None:
        _missing("running as root and `runuser` is missing")
    shutil.chown(folder, user.pw_uid, user.pw_gid)
    return [runuser, "-u", "postgres", "--"]


@pytest.fixture(scope="module")
def throwaway_postgres() -> Iterator[str]:
    """A fresh PostgreSQL cluster; yields the SQLAlchemy URL of its `postgres` database."""
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if not (initdb and pg_ctl):
        _missing("initdb/pg_ctl not found: install PostgreSQL to run the Postgres e2e test")
    # Not under pytest's tmp folder: that is private to the test user, and initdb may run as
    # `postgres`.
    folder = Path(tempfile.mkdtemp(prefix="konvergensi-pg-"))
    prefix = _as_postgres_user(folder)
    data, port = folder / "data", _free_port()
    run = {"check": True, "capture_output": True, "text": True}
    subprocess.run([*prefix, initdb, "-D", data, "-U", "postgres", "-A", "trust", "-N"], **run)
    options = f"-F -p {port} -k {folder} -c listen_addresses=127.0.0.1"
    subprocess.run(
        [*prefix, pg_ctl, "-D", data, "-o", options, "-l", folder / "server.log", "-w", "start"],
        **run,
    )
    try:
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*prefix, pg_ctl, "-D", data, "-m", "immediate", "stop"], **run)
        shutil.rmtree(folder, ignore_errors=True)


def test_end_to_end_dag_test_passes_on_postgres(throwaway_postgres: str) -> None:
    import sqlalchemy

    env = {**os.environ, "KONVERGENSI_TEST_SQL_ALCHEMY_CONN": throwaway_postgres}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/test_pipeline_e2e.py",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    summary = result.stdout.strip().splitlines()[-1:] or ["(no output)"]
    assert result.returncode == 0, f"{summary[0]}\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}"
    assert " passed" in summary[0] and "skipped" not in summary[0], summary[0]
    engine = sqlalchemy.create_engine(throwaway_postgres)
    with engine.connect() as con:
        query = "select count(*) from dag_run where dag_id = :dag and state = 'success'"
        runs = con.execute(sqlalchemy.text(query), {"dag": "build_warehouse"}).scalar_one()
    engine.dispose()
    assert runs >= 2, "the e2e runs did not record their warehouse builds in Postgres"
