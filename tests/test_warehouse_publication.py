"""Publication: snapshots switch atomically, a killed build leaves the previous one current and
intact, old snapshots are kept and found by name or date, the DuckDB file follows, the Parquet
reads the same in DuckDB, pandas and pyarrow, and a rebuild gives the same rows."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from konvergensi.warehouse import open_warehouse
from konvergensi.warehouse.publish import (
    DUCKDB_FILE,
    current_build,
    current_snapshot,
    keep_from_env,
    publish,
    table_glob,
)
from konvergensi.warehouse.snapshots import find_snapshot, list_snapshots, read_manifest
from tests.warehouse_sample import Sample, staged_sample

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    return staged_sample(tmp_path_factory.getbasetemp())


def _duckdb_rows(warehouse: Path, sql: str) -> list[tuple]:
    con = open_warehouse(warehouse)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _all_rows(snapshot: Path, table: str) -> list[tuple]:
    return duckdb.sql(
        f"select * from read_parquet('{table_glob(snapshot, table)}', hive_partitioning = true) "
        "order by all"
    ).fetchall()


def test_snapshots_are_kept_found_and_queried_by_name(sample: Sample, tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    built = []
    for _ in range(3):
        manifest = sample.build(warehouse, min_cell_size=1)
        built.append(manifest["build_id"])
        publish(warehouse, manifest["build_id"], keep=2)
    assert list_snapshots(warehouse) == built[1:]
    assert current_build(warehouse) == built[2]
    assert find_snapshot(warehouse, built[1]) == built[1]
    built_at = read_manifest(warehouse, built[2])["built_at"]
    assert find_snapshot(warehouse, built_at) == built[2]
    assert find_snapshot(warehouse, built_at[:10]) == built[2]  # a date: its last build
    with pytest.raises(LookupError, match="on or before"):
        find_snapshot(warehouse, "2001-01-01")
    with pytest.raises(LookupError, match="on or before"):
        find_snapshot(warehouse, built[0])  # pruned: nothing kept is as old
    with pytest.raises(LookupError, match="neither a kept snapshot"):
        find_snapshot(warehouse, "last week")
    listed = _duckdb_rows(
        warehouse, "select build_id, is_current, schema_name from warehouse_snapshots order by 1"
    )
    assert [(b, c) for b, c, _ in listed] == [(built[1], False), (built[2], True)]
    older = _duckdb_rows(
        warehouse, f'select count(*) from "{listed[0][2]}".mart_convergence_village'
    )
    current = _duckdb_rows(warehouse, "select count(*) from mart_convergence_village")
    assert older == current and current[0][0] > 0


def test_a_moved_or_copied_warehouse_reads_its_own_files(
    sample: Sample, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = tmp_path / "built" / "warehouse"
    build_id = sample.build(built, min_cell_size=1)["build_id"]
    sql = "select count(*), sum(register_people) from mart_convergence_village"
    expected = _duckdb_rows(built, sql)
    copy = tmp_path / "copy" / "warehouse"
    shutil.copytree(built, copy)
    moved = tmp_path / "elsewhere" / "wh"
    shutil.move(built, moved)  # e.g. built in docker compose at /opt/airflow/..., read here
    monkeypatch.chdir(tmp_path)  # a working directory unrelated to either
    for root in (moved, copy):
        assert _duckdb_rows(root, sql) == expected
        earlier = f'select count(*) from "snapshot_{build_id}".dim_period'
        assert _duckdb_rows(root / DUCKDB_FILE, earlier) == [(2,)]
    shutil.rmtree(copy / "snapshots" / build_id / "mart_convergence_village")
    with pytest.raises(duckdb.IOException, match="mart_convergence_village"):
        _duckdb_rows(copy, sql)  # the copy reads its own files, not another warehouse's
    assert _duckdb_rows(moved, sql) == expected
    monkeypatch.chdir(moved)  # the DuckDB CLI started in the warehouse folder needs no setting
    con = duckdb.connect(DUCKDB_FILE, read_only=True)
    try:
        assert con.execute(sql).fetchall() == expected
    finally:
        con.close()


def test_publishing_an_older_snapshot_rolls_back(sample: Sample, tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    first = sample.build(warehouse, min_cell_size=1)["build_id"]
    second = sample.build(warehouse, min_cell_size=5)["build_id"]
    assert _duckdb_rows(warehouse, "select build_id, min_cell_size from warehouse_build") == [
        (second, 5)
    ]
    publish(warehouse, first)
    assert current_build(warehouse) == first
    assert _duckdb_rows(warehouse, "select build_id, min_cell_size from warehouse_build") == [
        (first, 1)
    ]
    assert list_snapshots(warehouse) == [first, second]


def test_how_many_snapshots_to_keep_is_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KONVERGENSI_KEEP_SNAPSHOTS", raising=False)
    assert keep_from_env() == 5
    monkeypatch.setenv("KONVERGENSI_KEEP_SNAPSHOTS", "12")
    assert keep_from_env() == 12
    for bad in ("0", "all"):
        monkeypatch.setenv("KONVERGENSI_KEEP_SNAPSHOTS", bad)
        with pytest.raises(ValueError, match="KONVERGENSI_KEEP_SNAPSHOTS"):
            keep_from_env()


def test_an_incomplete_snapshot_is_never_published(tmp_path: Path) -> None:
    (tmp_path / "snapshots" / "x.building").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match="no complete snapshot"):
        publish(tmp_path, "x.building")
    with pytest.raises(FileNotFoundError, match="no complete snapshot"):
        publish(tmp_path, "x")
    assert current_build(tmp_path) is None


def test_a_failing_build_leaves_no_trace(sample: Sample, tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    first = sample.build(warehouse, min_cell_size=1)["build_id"]
    stale = tmp_path / "stale"  # identity links that miss some staged records
    (stale / "identity").mkdir(parents=True)
    (stale / "staging").symlink_to(sample.root / "staging")
    links = pd.read_parquet(sample.root / "identity" / "links.parquet")
    links.iloc[10:].to_parquet(stale / "identity" / "links.parquet")
    with pytest.raises(RuntimeError, match=r"without an identity link.*re-run resolve_identities"):
        Sample(stale, sample.contracts).build(warehouse, min_cell_size=1)
    with pytest.raises(FileNotFoundError, match="run the ingest DAGs, then resolve_identities"):
        Sample(tmp_path / "nothing", sample.contracts).build(warehouse, min_cell_size=1)
    assert current_build(warehouse) == first
    assert sorted(p.name for p in (warehouse / "snapshots").iterdir()) == [first]


KILLED_BUILD = """
import sys, time
from pathlib import Path
sys.path[:0] = [{include!r}, {root!r}]
from konvergensi.contracts import load_contracts
import konvergensi.warehouse.build as build
from tests.warehouse_sample import Sample

real = build.write_table
def slow(con, model, target):
    columns = real(con, model, target)
    Path({ready!r}).write_text(model.name)
    time.sleep(600)
    return columns
build.write_table = slow
Sample(Path({sample!r}), load_contracts(Path({contracts!r}))).build(Path({warehouse!r}), 1)
"""


def test_a_killed_build_leaves_the_previous_snapshot_current_and_intact(
    sample: Sample, tmp_path: Path
) -> None:
    warehouse = tmp_path / "warehouse"
    first = sample.build(warehouse, min_cell_size=1)["build_id"]
    before = _all_rows(current_snapshot(warehouse), "mart_convergence_village")
    ready = tmp_path / "ready"
    code = KILLED_BUILD.format(
        include=str(ROOT / "include"),
        root=str(ROOT),
        ready=str(ready),
        sample=str(sample.root),
        contracts=str(ROOT / "contracts"),
        warehouse=str(warehouse),
    )
    child = subprocess.Popen([sys.executable, "-c", code])
    deadline = time.monotonic() + 180
    while not ready.exists() and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ready.exists(), "the build did not reach its first table"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()

    half = [p for p in (warehouse / "snapshots").iterdir() if p.name.endswith(".building")]
    assert len(half) == 1 and (half[0] / ready.read_text()).is_dir()  # killed mid-build
    assert current_build(warehouse) == first
    assert list_snapshots(warehouse) == [first]
    assert _all_rows(current_snapshot(warehouse), "mart_convergence_village") == before
    assert _duckdb_rows(warehouse, "select build_id from warehouse_build") == [(first,)]
    assert len(_duckdb_rows(warehouse, "select * from mart_convergence_village")) == len(before)

    second = sample.build(warehouse, min_cell_size=1)["build_id"]
    assert current_build(warehouse) == second
    assert not any(p.name.endswith(".building") for p in (warehouse / "snapshots").iterdir())
    assert not list((warehouse / "snapshots").glob(".*.lock"))


def test_rebuilding_the_same_inputs_gives_the_same_rows(sample: Sample, tmp_path: Path) -> None:
    one = sample.build(tmp_path / "one", min_cell_size=5)
    two = sample.build(tmp_path / "two", min_cell_size=5)
    assert one["tables"].keys() == two["tables"].keys()
    for table in one["tables"]:
        rows = _all_rows(current_snapshot(tmp_path / "one"), table)
        assert rows == _all_rows(current_snapshot(tmp_path / "two"), table), table
        assert rows or table.startswith("fact_"), f"{table} is empty"


def test_parquet_reads_the_same_in_duckdb_pandas_and_pyarrow(sample: Sample, tmp_path: Path):
    warehouse = tmp_path / "warehouse"
    sample.build(warehouse, min_cell_size=5)
    folder = current_snapshot(warehouse) / "mart_convergence_village"
    assert sorted(p.name for p in folder.iterdir()) == ["quarter=2026-Q2", "quarter=2026-Q3"]
    key = ["quarter", "village_code"]
    con = open_warehouse(warehouse / DUCKDB_FILE)
    via_duckdb = con.execute("select * from mart_convergence_village").df()
    con.close()
    via_pandas = pd.read_parquet(folder)
    via_arrow = ds.dataset(folder, format="parquet", partitioning="hive").to_table().to_pandas()
    for frame in (via_pandas, via_arrow):
        frame["quarter"] = frame["quarter"].astype(str)
        assert sorted(frame.columns) == sorted(via_duckdb.columns)
        left = via_duckdb.sort_values(key).reset_index(drop=True)
        right = frame[via_duckdb.columns].sort_values(key).reset_index(drop=True)
        pd.testing.assert_frame_equal(left, right, check_dtype=False, check_categorical=False)
    assert via_duckdb["register_people"].isna().any()  # suppressed cells read back as nulls


def test_facts_are_sorted_by_region_within_each_partition(sample: Sample, tmp_path: Path):
    warehouse = tmp_path / "warehouse"
    sample.build(warehouse, min_cell_size=5)
    files = sorted((current_snapshot(warehouse) / "fact_intervention").rglob("*.parquet"))
    assert [f.parent.name for f in files] == ["quarter=2026-Q2", "quarter=2026-Q3"]
    for file in files:
        villages = pq.read_table(file, columns=["village_code"]).column(0).to_pylist()
        assert villages == sorted(villages)
        parquet = pq.ParquetFile(file)
        column = parquet.schema_arrow.get_field_index("village_code")
        stats = parquet.metadata.row_group(0).column(column).statistics
        assert stats.has_min_max and stats.min == villages[0]
