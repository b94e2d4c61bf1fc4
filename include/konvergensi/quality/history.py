"""What happened to a source's deliveries for one period: every batch, its verdict, and which
rows rejected in an earlier delivery were accepted after a corrected re-delivery."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from konvergensi.ingest.archive import latest_deliveries
from konvergensi.staging_zone import current_batch, period_dir


def _landed_at(staged: Path) -> str:
    """When the batch's file landed (the `_ingested_at` lineage value of its rows)."""
    column = pq.read_table(staged, columns=["_ingested_at"]).column(0)
    return str(column[0]) if len(column) else ""


def _raw_root(staging_root: Path) -> Path:
    """The raw zone next to a staging zone: every zone is a folder of the data root."""
    return staging_root.with_name("raw")


def batch_history(staging_root: Path, source: str, period: str) -> list[dict]:
    """Every validated batch of a source's period, marking the current one.

    Ordered as the gate orders them, by the latest delivery of each batch's bytes (from the
    delivery log), so an original sent again after a withdrawn correction comes last, as the
    current batch; a batch the raw zone does not know falls back to its own landing time.
    """
    current = current_batch(staging_root, source, period)
    latest = latest_deliveries(_raw_root(staging_root), source, period)
    batches = []
    for folder in period_dir(staging_root, source, period).glob("batch=*"):
        verdict = folder / "validation.json"
        if not verdict.exists():
            continue
        summary = json.loads(verdict.read_text())
        batches.append(
            {
                "batch_id": summary["batch_id"],
                "file_name": summary["file_name"],
                "landed_at": _landed_at(folder / "staged.parquet"),
                "status": summary["status"],
                "rows_read": summary["rows_read"],
                "rows_accepted": summary["rows_accepted"],
                "rows_quarantined": summary["rows_quarantined"],
                "current": summary["batch_id"] == current,
            }
        )
    return sorted(
        batches,
        key=lambda b: (latest.get(b["batch_id"], (str(b["landed_at"]), -1)), b["batch_id"]),
    )


def _accepted_ids(staging_root: Path, source: str, period: str, batch_id: str) -> set[str]:
    path = period_dir(staging_root, source, period) / f"batch={batch_id}" / "accepted.parquet"
    return set(pd.read_parquet(path, columns=["source_record_id"])["source_record_id"].dropna())


def resubmitted_records(
    staging_root: Path, quarantine_root: Path, source: str, period: str
) -> pd.DataFrame:
    """Records quarantined in a batch, with the first later batch that accepted them (if any).

    Records are matched by the source's own record id across deliveries of the same period.
    Only a later batch that passed its gate counts: a failed one accepted nothing.
    """
    history = batch_history(staging_root, source, period)
    parts = []
    for position, batch in enumerate(history):
        qfile = (
            quarantine_root / source / f"period={period}" / f"batch={batch['batch_id']}"
        ) / "records.parquet"
        rejected = pd.read_parquet(qfile, columns=["source_record_id", "_row_number", "_reasons"])
        rejected["rejected_in_batch"] = batch["batch_id"]
        rejected["accepted_in_batch"] = pd.Series(pd.NA, index=rejected.index, dtype="string")
        for later in (b for b in history[position + 1 :] if b["status"] == "passed"):
            ids = _accepted_ids(staging_root, source, period, later["batch_id"])
            newly = rejected["accepted_in_batch"].isna() & rejected["source_record_id"].isin(ids)
            rejected.loc[newly, "accepted_in_batch"] = later["batch_id"]
        parts.append(rejected)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
