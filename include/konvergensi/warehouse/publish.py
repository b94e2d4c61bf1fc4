"""Publish a snapshot: refresh warehouse.duckdb, switch the CURRENT pointer, prune old builds.

Both switches are one atomic rename each, so a reader sees the old snapshot or the new one,
never half of one; a failure before them leaves the previous snapshot current. One publisher
at a time (an exclusive lock), so CURRENT and warehouse.duckdb always name the same build.
The views name the Parquet by paths relative to the warehouse folder (`snapshots/<id>/...`):
a copied or moved warehouse reads its own files, opened with `open_warehouse` (reader.py).
"""

from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path

import duckdb

from konvergensi.warehouse.reader import DUCKDB_FILE, search_path
from konvergensi.warehouse.snapshots import (
    SNAPSHOTS,
    list_snapshots,
    read_manifest,
    remove_abandoned,
    snapshots_dir,
)

CURRENT = "CURRENT"
KEEP_ENV = "KONVERGENSI_KEEP_SNAPSHOTS"
DEFAULT_KEEP = 5


def keep_from_env() -> int:
    """How many snapshots to keep (KONVERGENSI_KEEP_SNAPSHOTS, default 5, at least 1)."""
    raw = os.environ.get(KEEP_ENV, str(DEFAULT_KEEP)).strip()
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{KEEP_ENV}={raw!r}: set it to how many snapshots to keep (1 or more)")
    return int(raw)


def current_build(warehouse_root: Path) -> str | None:
    """Id of the published snapshot, or None before the first publication."""
    pointer = warehouse_root / CURRENT
    return pointer.read_text().strip() if pointer.exists() else None


def current_snapshot(warehouse_root: Path) -> Path | None:
    """Folder of the published snapshot, or None before the first publication."""
    build_id = current_build(warehouse_root)
    return snapshots_dir(warehouse_root) / build_id if build_id else None


def table_glob(snapshot: Path, table: str) -> str:
    """Parquet glob for one table of a snapshot."""
    return str(snapshot / table / "**" / "*.parquet")


def schema_of(build_id: str) -> str:
    """DuckDB schema holding the views of one kept snapshot."""
    return f"snapshot_{build_id}"


def _view_sql(snapshot: Path, table: str, spec: dict) -> str:
    columns = ", ".join(f'"{c}"' for c in spec["columns"])
    source = table_glob(snapshot, table).replace("'", "''")
    # An empty partitioned table is written as one file without partition folders (a first
    # build can run before the register has delivered), so it is read without hive options.
    if spec["partition_by"] and spec["rows"]:
        types = ", ".join(f"'{c}': 'VARCHAR'" for c in spec["partition_by"])
        options = f"hive_partitioning = true, hive_types = {{{types}}}"
    else:
        options = "hive_partitioning = false"
    return f"select {columns} from read_parquet('{source}', {options})"


def _create_views(con: duckdb.DuckDBPyConnection, schema: str, snapshot: Path, manifest: dict):
    for table, spec in manifest["tables"].items():
        con.execute(f'create view "{schema}"."{table}" as {_view_sql(snapshot, table, spec)}')


def write_duckdb(warehouse_root: Path, current: str, kept: list[str]) -> Path:
    """warehouse.duckdb: views over the current snapshot in `main`, over every kept snapshot in
    `snapshot_<build_id>` (paths relative to the warehouse folder), and the tables
    warehouse_build and warehouse_snapshots."""
    target = warehouse_root / DUCKDB_FILE
    tmp = target.with_name(f".{DUCKDB_FILE}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    manifests = {b: read_manifest(warehouse_root, b) for b in kept}
    # DuckDB binds a view's files when it creates it: search the folder the paths are relative to
    con = duckdb.connect(str(tmp), config={"file_search_path": search_path(warehouse_root)})
    try:
        # relative to the warehouse folder, which open_warehouse makes DuckDB search
        _create_views(con, "main", Path(SNAPSHOTS) / current, manifests[current])
        for build_id, manifest in manifests.items():
            con.execute(f'create schema "{schema_of(build_id)}"')
            _create_views(con, schema_of(build_id), Path(SNAPSHOTS) / build_id, manifest)
        m = manifests[current]
        con.execute(
            "create table warehouse_build as select ? as build_id, cast(? as timestamptz) as "
            "built_at, ? as region_reference, ? as min_cell_size, ? as pseudonym_key_id",
            [
                m["build_id"],
                m["built_at"],
                m["region_reference"],
                m["min_cell_size"],
                m["pseudonym_key_id"],
            ],
        )
        con.execute(
            "create table warehouse_snapshots (build_id varchar, built_at timestamptz, "
            "is_current boolean, schema_name varchar)"
        )
        for build_id, manifest in manifests.items():
            con.execute(
                "insert into warehouse_snapshots values (?, cast(? as timestamptz), ?, ?)",
                [build_id, manifest["built_at"], build_id == current, schema_of(build_id)],
            )
    finally:
        con.close()
    tmp.replace(target)
    return target


def _switch_pointer(warehouse_root: Path, build_id: str) -> None:
    pointer = warehouse_root / CURRENT
    tmp = pointer.with_name(f"{CURRENT}.{os.getpid()}.tmp")
    tmp.write_text(build_id + "\n")
    tmp.replace(pointer)


def publish(warehouse_root: Path, build_id: str, keep: int = DEFAULT_KEEP) -> Path:
    """Make a complete snapshot current and prune: keep the newest `keep` snapshots and always
    the current one (publishing an older id rolls back to it)."""
    read_manifest(warehouse_root, build_id)  # refuses an incomplete or missing snapshot
    warehouse_root.mkdir(parents=True, exist_ok=True)
    with open(warehouse_root / ".publish.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        complete = list_snapshots(warehouse_root)
        kept = sorted(set(complete[-keep:]) | {build_id})
        write_duckdb(warehouse_root, build_id, kept)
        _switch_pointer(warehouse_root, build_id)
        for old in sorted(set(complete) - set(kept)):
            shutil.rmtree(snapshots_dir(warehouse_root) / old, ignore_errors=True)
        remove_abandoned(warehouse_root)
    return snapshots_dir(warehouse_root) / build_id
