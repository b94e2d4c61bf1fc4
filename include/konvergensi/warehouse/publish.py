"""Publish a snapshot: switch the CURRENT pointer atomically and refresh the DuckDB views.

Readers resolve CURRENT (or open warehouse.duckdb, whose views point into one snapshot), so a
reader never sees half a build; a crash before the switch leaves the previous snapshot current.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import duckdb

DUCKDB_FILE = "warehouse.duckdb"


def snapshots_dir(warehouse_root: Path) -> Path:
    """Folder holding one sub-folder per build."""
    return warehouse_root / "snapshots"


def current_snapshot(warehouse_root: Path) -> Path | None:
    """Folder of the published snapshot, or None before the first publication."""
    pointer = warehouse_root / "CURRENT"
    if not pointer.exists():
        return None
    return snapshots_dir(warehouse_root) / pointer.read_text().strip()


def list_snapshots(warehouse_root: Path) -> list[str]:
    """Build ids of complete snapshots, oldest first."""
    folder = snapshots_dir(warehouse_root)
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if (p / "manifest.json").exists())


def table_glob(snapshot: Path, table: str) -> str:
    """Parquet glob for one table of a snapshot."""
    return str(snapshot / table / "**" / "*.parquet")


def _write_duckdb(warehouse_root: Path, snapshot: Path) -> None:
    manifest = json.loads((snapshot / "manifest.json").read_text())
    target = warehouse_root / DUCKDB_FILE
    tmp = target.with_name(f".{DUCKDB_FILE}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        for table in manifest["tables"]:
            source = table_glob(snapshot, table)
            con.execute(
                f"create view {table} as select * from "
                f"read_parquet('{source}', hive_partitioning = true)"
            )
        con.execute(
            "create table warehouse_build as select ? as build_id, ? as built_at, "
            "? as region_reference",
            [manifest["build_id"], manifest["built_at"], manifest["region_reference"]],
        )
    finally:
        con.close()
    tmp.replace(target)


def publish(warehouse_root: Path, build_id: str, keep: int = 5) -> Path:
    """Make a snapshot current, refresh warehouse.duckdb, prune old and crashed builds."""
    snapshot = snapshots_dir(warehouse_root) / build_id
    if not (snapshot / "manifest.json").exists():
        raise FileNotFoundError(f"snapshot {build_id} is incomplete or missing: not published")
    pointer = warehouse_root / "CURRENT"
    tmp = pointer.with_name(f"CURRENT.{os.getpid()}.tmp")
    tmp.write_text(build_id + "\n")
    tmp.replace(pointer)
    _write_duckdb(warehouse_root, snapshot)
    for old in list_snapshots(warehouse_root)[:-keep]:
        if old != build_id:
            shutil.rmtree(snapshots_dir(warehouse_root) / old, ignore_errors=True)
    for crashed in snapshots_dir(warehouse_root).glob("*.building"):
        shutil.rmtree(crashed, ignore_errors=True)
    return snapshot
