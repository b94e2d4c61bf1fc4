"""Build a warehouse snapshot: run the models in DuckDB, protect the aggregates, write Parquet.

Inputs are the identity zone's links and the staged batches they cover (the current batches
when resolve_identities last ran). Only the marts are written out; staging and intermediate
tables (which hold identity zone ids) stay in the build's memory. The snapshot is published
separately (publish.py), so a failed or killed build never touches what readers see.
"""

from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from konvergensi.contracts import Contract
from konvergensi.privacy.pseudonym import check_key, key_id
from konvergensi.privacy.suppression import Rules, suppress
from konvergensi.quality.status import held_back_deliveries
from konvergensi.staging_zone import batch_dir
from konvergensi.standardise import REFERENCE_VERSION
from konvergensi.warehouse.inputs import register_inputs
from konvergensi.warehouse.models import load_models, published_models
from konvergensi.warehouse.snapshots import MANIFEST, building, new_build_id
from konvergensi.warehouse.writer import write_table


def run_models(con: duckdb.DuckDBPyConnection, min_cell_size: int) -> None:
    """Create every model's table, then apply disclosure control to the aggregate marts."""
    for model in load_models():
        con.execute(f"create table {model.name} as {model.sql}")
    rules = {m.name: Rules.from_spec(m.suppression) for m in published_models() if m.suppression}
    tables = {name: con.sql(f"select * from {name}").to_arrow_table() for name in rules}
    for name, table in suppress(tables, rules, min_cell_size).items():
        con.register("_protected", table)
        con.execute(f"create or replace table {name} as select * from _protected")
        con.unregister("_protected")


def linked_batches(
    contracts: list[Contract], staging_root: Path, links: Path
) -> dict[str, dict[str, str]]:
    """Source -> period -> accepted.parquet of every batch the identity links cover.

    The warehouse is built from exactly the batches identities were resolved over, so a batch
    staged after the last resolution waits for the next one instead of entering unlinked.
    """
    rows = duckdb.execute(
        "select distinct _source, _period, _batch_id from read_parquet(?) order by all",
        [str(links)],
    ).fetchall()
    used: dict[str, dict[str, str]] = {c.source: {} for c in contracts}
    for source, period, batch in rows:
        path = batch_dir(staging_root, source, period, batch) / "accepted.parquet"
        if source not in used:
            raise RuntimeError(f"identity links name source {source!r}, which has no contract")
        if not path.exists():
            raise FileNotFoundError(
                f"identity links name batch {batch} of {source} {period}, but {path} is "
                "missing: re-run resolve_identities"
            )
        used[source][period] = str(path)
    return used


def _check_linked(con: duckdb.DuckDBPyConnection) -> None:
    """Every accepted record of the linked batches has its link (else numbers would be short)."""
    missing = con.execute(
        "select r._source, r._period, count(*) from src_records r anti join src_links l "
        "on l._source = r._source and l._period = r._period and l._batch_id = r._batch_id "
        "and l._row_number = r._row_number group by all order by all"
    ).fetchall()
    if missing:
        where = ", ".join(f"{s} {p} ({n} rows)" for s, p, n in missing)
        raise RuntimeError(f"records without an identity link: {where}; re-run resolve_identities")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _files(folder: Path) -> tuple[int, int]:
    files = list(folder.rglob("*.parquet"))
    return len(files), sum(f.stat().st_size for f in files)


def build_snapshot(
    contracts: list[Contract],
    staging_root: Path,
    identity_root: Path,
    warehouse_root: Path,
    key: bytes,
    min_cell_size: int,
    build_id: str | None = None,
) -> dict:
    """Build every model into a new complete snapshot folder (not yet published); its manifest."""
    key = check_key(key)
    started = time.perf_counter()
    links = identity_root / "links.parquet"
    if not links.exists():
        raise FileNotFoundError(
            f"no identity links at {links}: run the ingest DAGs, then resolve_identities"
        )
    used = linked_batches(contracts, staging_root, links)
    files = sorted(path for periods in used.values() for path in periods.values())
    if not files:
        raise RuntimeError("the identity links cover no batch: run the ingest DAGs first")
    build_id = build_id or new_build_id()
    with building(warehouse_root, build_id) as folder:
        con = duckdb.connect()
        try:
            register_inputs(con, contracts, files, links, key)
            _check_linked(con)
            run_models(con, min_cell_size)
            tables = {}
            for model in published_models():
                columns = write_table(con, model, folder / model.name)
                rows = con.execute(f"select count(*) from {model.name}").fetchone()[0]
                count, size = _files(folder / model.name)
                tables[model.name] = {
                    "rows": rows,
                    "grain": model.grain,
                    "partition_by": model.partition_by,
                    "columns": columns,
                    "files": count,
                    "bytes": size,
                }
        finally:
            con.close()
        manifest = {
            "build_id": build_id,
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "seconds": round(time.perf_counter() - started, 1),
            "region_reference": REFERENCE_VERSION,
            "min_cell_size": min_cell_size,
            "pseudonym_key_id": key_id(key),
            "identity": {"links": str(links), "sha256": _sha256(links)},
            "batches": used,
            "held_back_deliveries": held_back_deliveries(staging_root, contracts),
            "tables": tables,
        }
        (folder / MANIFEST).write_text(json.dumps(manifest, indent=2))
    return manifest
