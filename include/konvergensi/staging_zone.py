"""Layout of the staging zone and its per-period pointer to the last good batch.

staging/<source>/period=<p>/batch=<id>/  staged.parquet (everything read), accepted.parquet
                                          (rows that passed the gate), staged.json
staging/<source>/period=<p>/CURRENT       id of the batch the warehouse uses for that period
A batch becomes current only after it passed validation, so a failed delivery never replaces
the last good one.
"""

from __future__ import annotations

import os
from pathlib import Path

from konvergensi.periods import period_bounds, period_of


def period_dir(staging_root: Path, source: str, period: str) -> Path:
    """Folder of one source's period in the staging zone."""
    return staging_root / source / f"period={period}"


def batch_dir(staging_root: Path, source: str, period: str, batch_id: str) -> Path:
    """Folder of one staged batch."""
    return period_dir(staging_root, source, period) / f"batch={batch_id}"


def current_batch(staging_root: Path, source: str, period: str) -> str | None:
    """Id of the batch currently published for a source's period, if any."""
    pointer = period_dir(staging_root, source, period) / "CURRENT"
    return pointer.read_text().strip() if pointer.exists() else None


def publish_batch(staging_root: Path, source: str, period: str, batch_id: str) -> None:
    """Make a validated batch the current one for its period (atomic rename)."""
    pointer = period_dir(staging_root, source, period) / "CURRENT"
    tmp = pointer.with_name(f"CURRENT.{os.getpid()}.tmp")
    tmp.write_text(batch_id + "\n")
    tmp.replace(pointer)


def current_batches(staging_root: Path, source: str) -> dict[str, Path]:
    """Period -> accepted.parquet of the current batch, for every period of a source."""
    found = {}
    for folder in sorted((staging_root / source).glob("period=*")):
        period = folder.name.removeprefix("period=")
        batch = current_batch(staging_root, source, period)
        if batch is not None:
            found[period] = batch_dir(staging_root, source, period, batch) / "accepted.parquet"
    return found


def previous_period_of(period: str, cadence: str) -> str:
    """The period just before a given one, for the same cadence."""
    start, _ = period_bounds(period)
    return period_of(start.fromordinal(start.toordinal() - 1), cadence)
