"""The local pseudonymisation key for the embedded single-machine setup.

Production takes the key from the Airflow connection `konvergensi_pseudonym_key` (a secrets
backend or the deployment's environment). On one machine we keep a random key in a file under
AIRFLOW_HOME, created once with owner-only permissions, never in the repository.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

KEY_FILE_NAME = "konvergensi_pseudonym.key"
CONN_ENV = "AIRFLOW_CONN_KONVERGENSI_PSEUDONYM_KEY"


def local_key_file() -> Path:
    """Where the local key lives: $AIRFLOW_HOME/konvergensi_pseudonym.key."""
    home = Path(os.environ.get("AIRFLOW_HOME", Path.home() / "airflow"))
    return home / KEY_FILE_NAME


def ensure_local_key() -> str:
    """Read the local key, creating a random one on first use."""
    path = local_key_file()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def airflow_connection_json(key: str) -> str:
    """The key as an Airflow connection in JSON form, for AIRFLOW_CONN_KONVERGENSI_PSEUDONYM_KEY."""
    return json.dumps({"conn_type": "generic", "password": key})


def export_local_key_connection() -> None:
    """Expose the local key to Airflow through the environment, unless one is configured."""
    if CONN_ENV not in os.environ:
        os.environ[CONN_ENV] = airflow_connection_json(ensure_local_key())
