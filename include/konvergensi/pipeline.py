"""The pipeline's steps as plain functions: what each Airflow task calls (one line per task).

Each step reads the previous zone and writes its own, passes back a small JSON-able summary
(paths and counts, never data), and is idempotent for its period.
"""

from __future__ import annotations

from dataclasses import asdict

from konvergensi.config import settings
from konvergensi.contracts import Contract, load_contract
from konvergensi.ingest.archive import Delivery, archive_file, find_landed
from konvergensi.ingest.errors import IngestError
from konvergensi.storage import landing_root, warehouse_copy_root
from konvergensi.valid_contracts import every_contract


def contract_for(source: str) -> Contract:
    """The contract of one source, from the configured contracts folder."""
    return load_contract(settings().contracts_dir / f"{source}.yaml")


def archive_period(source: str, period: str) -> dict | None:
    """Archive every landed file of a period; the newest non-empty one is the one to load (an
    empty file, such as a failed upload, never hides a good one). The landing wait decides on
    the same file: it holds the run while a newer empty file is fresh (an upload just opened),
    so this runs only once such a file has filled and settled or stayed empty.

    Returns None when the source has not delivered for this period. `already_archived` says
    the loaded file's bytes were archived for this period before (a repeated send or a re-run).
    Raises IngestError when those bytes were already delivered for another period.
    """
    s = settings()
    contract = contract_for(source)
    landed = find_landed(contract, period, landing_root())
    if not landed:
        return None
    archived = [archive_file(contract, period, path, s.zone("raw")) for path in landed]
    non_empty = [i for i, a in enumerate(archived) if a.delivery.size > 0]
    chosen = non_empty[-1] if non_empty else len(archived) - 1
    loaded = archived[chosen]
    if loaded.same_bytes_periods and loaded.delivery.size > 0:  # empty: `stage` says so
        raise IngestError(
            f"{landed[chosen].name} for {period} has exactly the bytes already delivered for "
            f"{', '.join(loaded.same_bytes_periods)}; the ministry probably sent the wrong "
            f"period's file: ask for the {period} extract and drop it in landing/{source}/"
        )
    delivery = loaded.delivery
    return {
        **asdict(delivery),
        "batch_id": delivery.batch_id,
        "deliveries": len(archived),
        "landed_name": landed[chosen].name,
        "already_archived": loaded.already_archived,
    }


def stage(source: str, delivery: dict) -> dict:
    """Stage one archived delivery into typed Parquet, unless these bytes are already staged
    under the same contract (then the existing batch is returned with `reused: true`)."""
    from konvergensi.ingest.stage import reusable_stage, stage_delivery

    s = settings()
    contract = contract_for(source)
    fields = {k: delivery[k] for k in Delivery.__dataclass_fields__}
    archived = Delivery(**fields)
    result = reusable_stage(contract, archived, s.zone("staging")) or stage_delivery(
        contract, archived, s.zone("staging")
    )
    return asdict(result)


def validate(source: str, period: str, batch_id: str) -> dict:
    """Run the quality gate on a staged batch; raises QualityGateError when the file fails and
    RuleNotRunError when a contract rule cannot be checked. `published` is false when the batch
    passed but a file of the period that landed later is current."""
    from konvergensi.quality.gate import validate_batch

    s = settings()
    summary = validate_batch(
        contract_for(source),
        period,
        batch_id,
        s.zone("staging"),
        s.zone("quarantine"),
        s.zone("reports"),
        s.zone("raw"),
    )
    return {k: v for k, v in asdict(summary).items() if k != "checks"}


def resolve(full: bool = False) -> dict:
    """Resolve identities across the current batches of every source (incremental unless full).

    Raises ContractError naming any contract file that does not load: resolving without that
    source would drop its records from the links.
    """
    from konvergensi.resolve.run import resolve_identities

    s = settings()
    return resolve_identities(
        every_contract(s.contracts_dir, "identity resolution"),
        s.zone("staging"),
        s.zone("identity"),
        full=full,
    )


def build_warehouse(key: bytes, keep_snapshots: int | None = None) -> dict:
    """Build a new warehouse snapshot and publish it.

    The minimum cell size of the aggregate marts comes from KONVERGENSI_MIN_CELL_SIZE (default
    5); how many snapshots to keep from `keep_snapshots` or KONVERGENSI_KEEP_SNAPSHOTS (5).
    Raises ContractError naming any contract file that does not load (its source would be
    missing from the snapshot).
    """
    from konvergensi.privacy.suppression import min_cell_size_from_env
    from konvergensi.warehouse.build import build_snapshot
    from konvergensi.warehouse.publish import keep_from_env, publish

    s = settings()
    manifest = build_snapshot(
        every_contract(s.contracts_dir, "the warehouse build"),
        s.zone("staging"),
        s.zone("identity"),
        s.zone("warehouse"),
        key,
        min_cell_size=min_cell_size_from_env(),
    )
    keep = keep_snapshots if keep_snapshots is not None else keep_from_env()
    snapshot = publish(s.zone("warehouse"), manifest["build_id"], keep=keep)
    return {
        "build_id": manifest["build_id"],
        "snapshot": str(snapshot),
        "min_cell_size": manifest["min_cell_size"],
        "tables": {t: v["rows"] for t, v in manifest["tables"].items()},
        "sources": {src: sorted(periods) for src, periods in manifest["batches"].items()},
        # Failed deliveries the build did not use: those sources' figures come from an older
        # batch (or are missing for that period). Operators see this in the task's return value.
        "held_back_deliveries": manifest["held_back_deliveries"],
    }


def copy_warehouse() -> dict | None:
    """Copy the published snapshot to KONVERGENSI_WAREHOUSE_URL (CURRENT last); None when the
    warehouse is only published locally."""
    from konvergensi.warehouse.remote import copy_current

    target = warehouse_copy_root()
    return copy_current(settings().zone("warehouse"), target) if target is not None else None
