"""Which sources the warehouse serves from an older batch because their newest delivery failed."""

from __future__ import annotations

from pathlib import Path

from konvergensi.contracts import Contract
from konvergensi.quality.history import batch_history


def held_back_deliveries(staging_root: Path, contracts: list[Contract]) -> list[dict]:
    """Failed deliveries newer than the batch in use, per source and period (newer by latest
    delivery, as the gate decides which batch is current: see `batch_history`).

    The warehouse build reports these so readers know a source's figures come from its last
    good batch (or from nothing, when no batch of that period ever passed).
    """
    held = []
    for contract in contracts:
        root = staging_root / contract.source
        for folder in sorted(root.glob("period=*")):
            period = folder.name.removeprefix("period=")
            history = batch_history(staging_root, contract.source, period)
            current = next((b for b in history if b["current"]), None)
            newer = history[history.index(current) + 1 :] if current else history
            for batch in newer:
                if batch["status"] == "failed":
                    held.append(
                        {
                            "source": contract.source,
                            "period": period,
                            "failed_batch": batch["batch_id"],
                            "failed_file": batch["file_name"],
                            "batch_in_use": current["batch_id"] if current else None,
                        }
                    )
    return held
