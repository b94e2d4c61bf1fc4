"""Where things live: one root for every zone, plus the contracts folder.

Everything is configured through environment variables so that the same code serves the
embedded single-machine default and the docker-compose deployment. The working zones are always
local (or a shared volume); the landing zone and a copy of the published warehouse may be on
object storage instead (`konvergensi.storage`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ZONES = ("landing", "raw", "staging", "quarantine", "identity", "warehouse", "reports")
DEFAULT_OBJECT_STORAGE_CONN_ID = "aws_default"


@dataclass(frozen=True)
class Settings:
    """Resolved locations of the data root and the source contracts, and the optional object
    storage URLs of the landing zone and of the published warehouse ("" when not used)."""

    data_root: Path
    contracts_dir: Path
    landing_url: str = ""
    warehouse_url: str = ""
    object_storage_conn_id: str = DEFAULT_OBJECT_STORAGE_CONN_ID

    def zone(self, name: str) -> Path:
        """Path of one zone (landing, raw, staging, ...) under the data root."""
        if name not in ZONES:
            raise ValueError(f"unknown zone {name!r}; zones are {', '.join(ZONES)}")
        return self.data_root / name


def _url(variable: str) -> str:
    """An optional storage URL from the environment, refused when it is not a URL."""
    value = os.environ.get(variable, "").strip().rstrip("/")
    if value and "://" not in value:
        raise ValueError(
            f"{variable}={value!r} is not a URL: use s3://bucket/prefix (or file:///path), or "
            "leave it empty to keep that zone under KONVERGENSI_DATA_ROOT"
        )
    return value


def settings() -> Settings:
    """Settings from the environment: KONVERGENSI_DATA_ROOT, KONVERGENSI_CONTRACTS_DIR,
    KONVERGENSI_LANDING_URL, KONVERGENSI_WAREHOUSE_URL, KONVERGENSI_OBJECT_STORAGE_CONN_ID."""
    raw_root = os.environ.get("KONVERGENSI_DATA_ROOT", str(PROJECT_ROOT / "data"))
    if "://" in raw_root:
        raise ValueError(
            f"KONVERGENSI_DATA_ROOT={raw_root!r}: the working zones need a local or shared "
            "folder; put the landing zone and the published warehouse on object storage with "
            "KONVERGENSI_LANDING_URL and KONVERGENSI_WAREHOUSE_URL (docs/operations.md)"
        )
    contracts = Path(os.environ.get("KONVERGENSI_CONTRACTS_DIR", PROJECT_ROOT / "contracts"))
    conn_id = os.environ.get("KONVERGENSI_OBJECT_STORAGE_CONN_ID", "").strip()
    return Settings(
        data_root=Path(raw_root).resolve(),
        contracts_dir=contracts.resolve(),
        landing_url=_url("KONVERGENSI_LANDING_URL"),
        warehouse_url=_url("KONVERGENSI_WAREHOUSE_URL"),
        object_storage_conn_id=conn_id or DEFAULT_OBJECT_STORAGE_CONN_ID,
    )
