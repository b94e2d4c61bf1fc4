"""Build a warehouse snapshot: run the models in DuckDB and write the analytics tables as Parquet.

Inputs are the current (last good) batch of every source and the identity zone. Only the marts
layer is written out; staging and intermediate tables (which still hold person ids) stay in the
build's memory. Rows are written in a fixed order so the same inputs give the same files.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from konvergensi.contracts import Contract
from konvergensi.privacy.pseudonym import check_key, pseudonymise
from konvergensi.resolve.run import batches_in_use
from konvergensi.standardise import REFERENCE_VERSION
from konvergensi.warehouse.models import PARTITIONED, load_models
from konvergensi.warehouse.references import programmes_frame, villages_frame

RECORD_COLUMNS = [
    "_source",
    "_period",
    "_batch_id",
    "_row_number",
    "_file_name",
    "source_record_id",
    "village_code",
    "kecamatan_code",
    "sex",
    "birth_date",
    "intervention_date",
    "amount",
    "quantity",
    "family_id",
    "welfare_decile",
    "extreme_poor",
    "nik_status",
    "_warnings",
]


def _register_inputs(
    con: duckdb.DuckDBPyConnection, files: list[str], identity_root: Path, key: bytes
) -> None:
    columns = ", ".join(RECORD_COLUMNS)
    file_list = ", ".join(f"'{f}'" for f in files)
    con.execute(
        f"create view src_records as select {columns} "
        f"from read_parquet([{file_list}], union_by_name = true)"
    )
    links = pd.read_parquet(identity_root / "links.parquet")
    con.register("src_links", links)
    persons = pd.DataFrame({"person_id": links["person_id"].unique()})
    persons["beneficiary_key"] = pseudonymise(persons["person_id"], key, "B")
    households = pd.DataFrame({"household_id": links["household_id"].unique()})
    households["household_key"] = pseudonymise(households["household_id"], key, "H")
    con.register("src_person_keys", persons)
    con.register("src_household_keys", households)


def _order_by(con: duckdb.DuckDBPyConnection, table: str) -> str:
    columns = [row[0] for row in con.execute(f"describe {table}").fetchall()]
    return ", ".join(f'"{c}"' for c in columns)


def _write_table(con: duckdb.DuckDBPyConnection, table: str, target: Path) -> None:
    order = _order_by(con, table)
    if table in PARTITIONED:
        target.mkdir(parents=True)
        con.execute(
            f"copy (select * from {table} order by {order}) to '{target}' "
            "(format parquet, partition_by (quarter), compression zstd, "
            "filename_pattern 'part_{i}', row_group_size 122880)"
        )
    else:
        target.mkdir(parents=True)
        con.execute(
            f"copy (select * from {table} order by {order}) to '{target / 'part_0.parquet'}' "
            "(format parquet, compression zstd)"
        )


def build_snapshot(
    contracts: list[Contract],
    staging_root: Path,
    identity_root: Path,
    warehouse_root: Path,
    key: bytes,
    build_id: str | None = None,
) -> dict:
    """Build every model into a new snapshot folder (not yet published); return its manifest."""
    key = check_key(key)
    used = batches_in_use(contracts, staging_root)
    files = sorted(path for periods in used.values() for path in periods.values())
    if not files:
        raise RuntimeError("no validated batch of any source exists yet: run the ingest DAGs first")
    build_id = build_id or datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    snapshot = warehouse_root / "snapshots" / build_id
    tmp = snapshot.with_name(snapshot.name + ".building")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    con = duckdb.connect()
    try:
        _register_inputs(con, files, identity_root, key)
        con.register("ref_programmes", programmes_frame(contracts))
        regencies = [
            r[0]
            for r in con.execute(
                "select distinct substr(village_code, 1, 5) from src_records "
                "where village_code is not null"
            ).fetchall()
        ]
        con.register("ref_villages", villages_frame(regencies))
        tables = {}
        for model in load_models():
            con.execute(f"create table {model.name} as {model.sql}")
            if model.layer == "marts":
                _write_table(con, model.name, tmp / model.name)
                count = con.execute(f"select count(*) from {model.name}").fetchone()[0]
                tables[model.name] = {"rows": count, "grain": model.grain}
    finally:
        con.close()
    manifest = {
        "build_id": build_id,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "region_reference": REFERENCE_VERSION,
        "batches": used,
        "tables": tables,
    }
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2))
    tmp.rename(snapshot)
    return manifest
