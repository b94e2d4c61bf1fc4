"""A two-quarter sample shared by the warehouse tests: generated, ingested and resolved once per
test session (through the same pipeline functions the Airflow tasks call), then built into as
many warehouses as the tests need. Clean (no noise), so the ground truth applies exactly."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from konvergensi.config import PROJECT_ROOT
from konvergensi.contracts import Contract, load_contracts
from konvergensi.warehouse.build import build_snapshot
from konvergensi.warehouse.publish import publish

ROWS = 6000
PERIODS = ["2026-Q2", "2026-Q3"]
KEY = b"warehouse-test-key-0123456789abcdef"


@dataclass(frozen=True)
class Sample:
    """Where the staged sample lives."""

    root: Path
    contracts: list[Contract]

    @property
    def truth(self) -> Path:
        """The generator's ground truth."""
        return self.root / "truth"

    def build(self, warehouse: Path, min_cell_size: int, build_id: str | None = None) -> dict:
        """Build a snapshot of the sample into `warehouse` and publish it; its manifest."""
        manifest = build_snapshot(
            self.contracts,
            self.root / "staging",
            self.root / "identity",
            warehouse,
            KEY,
            min_cell_size=min_cell_size,
            build_id=build_id,
        )
        publish(warehouse, manifest["build_id"])
        return manifest


@contextmanager
def _data_root(root: Path) -> Iterator[None]:
    before = os.environ.get("KONVERGENSI_DATA_ROOT")
    os.environ["KONVERGENSI_DATA_ROOT"] = str(root)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("KONVERGENSI_DATA_ROOT")
        else:
            os.environ["KONVERGENSI_DATA_ROOT"] = before


def staged_sample(base: Path) -> Sample:
    """The sample under `base` (a session's temporary root), created on first use."""
    from konvergensi import pipeline
    from konvergensi.synthetic import generate

    root = base / "warehouse-sample"
    contracts = load_contracts(PROJECT_ROOT / "contracts")
    if (root / "READY").exists():
        return Sample(root, contracts)
    shutil.rmtree(root, ignore_errors=True)
    with _data_root(root):
        summary = generate(
            root / "landing", root / "truth", contracts, rows=ROWS, periods=PERIODS, noise_scale=0
        )
        for source, periods in sorted(summary.rows.items()):
            for period in sorted(periods):
                delivery = pipeline.archive_period(source, period)
                staged = pipeline.stage(source, delivery)
                pipeline.validate(source, period, staged["batch_id"])
        pipeline.resolve()
    (root / "READY").touch()
    return Sample(root, contracts)
