"""The pipeline's steps as plain functions: what each Airflow task calls (one line per task).

Each step reads the previous zone and writes its own, passes back a small JSON-able summary
(paths and counts, never data), and is idempotent for its period.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from konvergensi.config import settings
from konvergensi.contracts import Contract, load_contract, load_contracts
from konvergensi.ingest.archive import Delivery, archive_file, find_landed


def contract_for(source: str) -> Contract:
    """The contract of one source, from the configured contracts folder."""
    return load_contract(settings().contracts_dir / f"{source}.yaml")


def archive_period(source: str, period: str) -> dict | None:
    """Archive every landed file of a period; the newest delivery is the one to load.

    Returns None when the source has not delivered for this period.
    """
    s = settings()
    contract = contract_for(source)
    landed = find_landed(contract, period, s.zone("landing"))
    if not landed:
        return None
    archived = [archive_file(contract, period, path, s.zone("raw")) for path in landed]
    newest = archived[-1]
    return {**asdict(newest), "batch_id": newest.batch_id, "deliveries": len(archived)}


def stage(source: str, delivery: dict) -> dict:
    """Stage one archived delivery into typed Parquet (re-staging rewrites the same batch)."""
    from konvergensi.ingest.stage import stage_delivery

    s = settings()
    fields = {k: delivery[k] for k in Delivery.__dataclass_fields__}
    result = stage_delivery(contract_for(source), Delivery(**fields), s.zone("staging"))
    return asdict(result)


def validate(source: str, period: str, batch_id: str) -> dict:
    """Run the quality gate on a staged batch; raises QualityGateError when the file fails."""
    from konvergensi.quality.gate import validate_batch

    s = settings()
    summary = validate_batch(
        contract_for(source),
        period,
        batch_id,
        s.zone("staging"),
        s.zone("quarantine"),
        s.zone("reports"),
    )
    return {k: v for k, v in asdict(summary).items() if k != "checks"}


def resolve() -> dict:
    """Resolve identities across the current batches of every source."""
    from konvergensi.resolve.run import resolve_identities

    s = settings()
    return resolve_identities(
        load_contracts(s.contracts_dir), s.zone("staging"), s.zone("identity")
    )


def build_warehouse(key: bytes, keep_snapshots: int = 5) -> dict:
    """Build a new warehouse snapshot and publish it."""
    from konvergensi.warehouse.build import build_snapshot
    from konvergensi.warehouse.publish import publish

    s = settings()
    manifest = build_snapshot(
        load_contracts(s.contracts_dir),
        s.zone("staging"),
        s.zone("identity"),
        s.zone("warehouse"),
        key,
    )
    snapshot = publish(s.zone("warehouse"), manifest["build_id"], keep=keep_snapshots)
    return {
        "build_id": manifest["build_id"],
        "snapshot": str(snapshot),
        "tables": {t: v["rows"] for t, v in manifest["tables"].items()},
        "sources": {src: sorted(periods) for src, periods in manifest["batches"].items()},
    }


def data_root() -> Path:
    """The configured data root (for messages and docs)."""
    return settings().data_root
