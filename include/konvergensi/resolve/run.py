"""Resolve identities over the current batch of every source and write the identity zone."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from konvergensi.contracts import Contract
from konvergensi.resolve.deterministic import resolve_records
from konvergensi.staging_zone import current_batches

MATCH_COLUMNS = [
    "_source",
    "_period",
    "_batch_id",
    "_row_number",
    "nik",
    "nik_status",
    "kk",
    "kk_status",
    "name_key",
    "birth_date",
    "sex",
    "village_code",
    "family_id",
]


def batches_in_use(contracts: list[Contract], staging_root: Path) -> dict[str, dict[str, str]]:
    """Source -> period -> accepted.parquet path of the current (last good) batch."""
    return {
        c.source: {p: str(path) for p, path in current_batches(staging_root, c.source).items()}
        for c in contracts
    }


def resolve_identities(contracts: list[Contract], staging_root: Path, identity_root: Path) -> dict:
    """Link every accepted record to a person and a household; returns a small summary."""
    used = batches_in_use(contracts, staging_root)
    files = [path for periods in used.values() for path in periods.values()]
    if not files:
        raise RuntimeError("no validated batch of any source exists yet: run the ingest DAGs first")
    records = pd.concat(
        [pd.read_parquet(f, columns=MATCH_COLUMNS) for f in sorted(files)], ignore_index=True
    )
    links = resolve_records(records)
    identity_root.mkdir(parents=True, exist_ok=True)
    tmp = identity_root / "links.parquet.tmp"
    links.to_parquet(tmp, index=False, compression="zstd")
    tmp.replace(identity_root / "links.parquet")
    summary = {
        "records": len(links),
        "persons": int(links["person_id"].nunique()),
        "households": int(links["household_id"].nunique()),
        "tiers": links["match_tier"].value_counts().sort_index().to_dict(),
        "periods": {source: sorted(periods) for source, periods in used.items()},
    }
    (identity_root / "manifest.json").write_text(json.dumps({**summary, "batches": used}, indent=2))
    return summary
