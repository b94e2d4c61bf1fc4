"""Where things live: one root for every zone, plus the contracts folder.

Everything is configured through environment variables so that the same code serves the
embedded single-machine default and the docker-compose deployment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ZONES = ("landing", "raw", "staging", "quarantine", "identity", "warehouse", "reports")


@dataclass(frozen=True)
class Settings:
    """Resolved locations of the data root and the source contracts."""

    data_root: Path
    contracts_dir: Path

    def zone(self, name: str) -> Path:
        """Path of one zone (landing, raw, staging, ...) under the data root."""
        if name not in ZONES:
            raise ValueError(f"unknown zone {name!r}; zones are {', '.join(ZONES)}")
        return self.data_root / name


def settings() -> Settings:
    """Settings from the environment (KONVERGENSI_DATA_ROOT, KONVERGENSI_CONTRACTS_DIR)."""
    data_root = Path(os.environ.get("KONVERGENSI_DATA_ROOT", PROJECT_ROOT / "data"))
    contracts = Path(os.environ.get("KONVERGENSI_CONTRACTS_DIR", PROJECT_ROOT / "contracts"))
    return Settings(data_root=data_root.resolve(), contracts_dir=contracts.resolve())
