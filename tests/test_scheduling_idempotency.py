"""Re-running is safe: every DAG of a full pipeline run twice gives the same warehouse, with no
row loaded twice; the build records the batch of every source; the task logs of both runs hold
no NIK, KK number or name.

The second pass re-runs every task for the same periods (dag.test() clears the run's task
instances first), which is what clearing a task or backfilling a range does in a scheduler.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

from konvergensi.config import settings
from konvergensi.demo import run_date_for
from konvergensi.staging_zone import current_batch
from konvergensi.warehouse.publish import current_snapshot, table_glob
from tests.samples import generate_sample, leaked, personal_data

pytestmark = pytest.mark.airflow
PERIODS = ["2026-09"]


@contextmanager
def _task_output_to(path: Path, request: pytest.FixtureRequest) -> Iterator[None]:
    """Send everything the in-process task runs print (their task logs) to one file."""
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled(), path.open("ab") as sink:
        sys.stdout.flush()
        sys.stderr.flush()
        saved = os.dup(1), os.dup(2)
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def _run_everything(dags: dict, periods: dict[str, list[str]]) -> dict[str, str]:
    states = {}
    for source, source_periods in sorted(periods.items()):
        for period in source_periods:
            run = dags[f"ingest_{source}"].test(logical_date=run_date_for(period))
            states[f"ingest_{source} {period}"] = str(run.state)
    for dag_id in ("resolve_identities", "build_warehouse"):
        states[dag_id] = str(dags[dag_id].test().state)
    return states


def _zone_files(zone: str, pattern: str) -> list[str]:
    root = settings().zone(zone)
    return sorted(str(p.relative_to(root)) for p in root.glob(pattern))


def _state() -> dict:
    """What a pass leaves behind: the published snapshot and the files of every zone."""
    return {
        "snapshot": current_snapshot(settings().zone("warehouse")),
        "batches": _zone_files("staging", "*/period=*/batch=*"),
        "deliveries": _zone_files("raw", "*/deliveries/*/*.json"),
        "raw_objects": _zone_files("raw", "*/objects/*/*"),
        "quarantine": _zone_files("quarantine", "*/period=*/batch=*/*.parquet"),
    }


@pytest.fixture(scope="module")
def passes(
    fail_fast_dags: dict, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[dict]:
    """Generate every source's extract for one month, run the whole pipeline twice."""
    root = tmp_path_factory.mktemp("idempotency")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KONVERGENSI_DATA_ROOT", str(root / "data"))
        summary = generate_sample(None, PERIODS, rows=1500)
        periods = {source: sorted(by_period) for source, by_period in summary.rows.items()}
        log = root / "task-output.log"
        with _task_output_to(log, request):
            first_states = _run_everything(fail_fast_dags, periods)
            first = _state()
            second_states = _run_everything(fail_fast_dags, periods)
            second = _state()
        yield {
            "states": [first_states, second_states],
            "first": first,
            "second": second,
            "periods": periods,
            "log": log.read_text(errors="replace"),
            "truth": root / "data" / "truth",
        }


def _table(snapshot: Path, table: str) -> str:
    return f"read_parquet('{table_glob(snapshot, table)}', hive_partitioning = true)"


def _tables(snapshot: Path) -> list[str]:
    return sorted(p.name for p in snapshot.iterdir() if p.is_dir())


def test_every_run_of_both_passes_succeeded(passes: dict) -> None:
    first, second = passes["states"]
    assert len(first) == sum(len(p) for p in passes["periods"].values()) + 2
    assert set(first.values()) == {"success"}, first
    assert second == first


def test_second_pass_gives_the_same_warehouse(passes: dict) -> None:
    before, after = passes["first"]["snapshot"], passes["second"]["snapshot"]
    assert before != after, "the second pass must publish a new snapshot"
    assert _tables(before) == _tables(after) and "fact_intervention" in _tables(before)
    for table in _tables(before):
        a, b = _table(before, table), _table(after, table)
        counts = duckdb.sql(f"select (select count(*) from {a}), (select count(*) from {b})")
        rows_a, rows_b = counts.fetchall()[0]
        differing = duckdb.sql(
            f"select count(*) from ((from {a} except all from {b}) "
            f"union all (from {b} except all from {a}))"
        ).fetchall()[0][0]
        assert (rows_a, differing) == (rows_b, 0), f"{table}: {rows_a} vs {rows_b} rows"


def test_second_pass_loads_nothing_twice(passes: dict) -> None:
    first, second = passes["first"], passes["second"]
    for zone in ("batches", "deliveries", "raw_objects", "quarantine"):
        assert second[zone] == first[zone], zone
    sources = passes["periods"]
    assert len(first["batches"]) == sum(len(p) for p in sources.values())
    fact = _table(second["snapshot"], "fact_intervention")
    rows, distinct = duckdb.sql(
        f"select count(*), count(distinct (source, period, batch_id, row_number)) from {fact}"
    ).fetchall()[0]
    assert rows > 0 and rows == distinct


def test_the_build_records_the_batch_of_every_source(passes: dict) -> None:
    manifest = json.loads((passes["second"]["snapshot"] / "manifest.json").read_text())
    staging = settings().zone("staging")
    assert set(manifest["batches"]) == set(passes["periods"])
    for source, periods in passes["periods"].items():
        for period in periods:
            used = manifest["batches"][source][period]
            batch = re.fullmatch(r"batch=([0-9a-f]+)", Path(used).parent.name)
            assert batch, used
            assert batch[1] == current_batch(staging, source, period)


def test_task_logs_hold_no_nik_kk_or_name(passes: dict) -> None:
    log = passes["log"]
    ingest_runs = sum(len(p) for p in passes["periods"].values())
    returned = log.count("Done. Returned value was")
    assert returned >= 2 * 3 * ingest_runs, f"task logs not captured ({returned} task results)"
    ids, names = personal_data(passes["truth"])
    assert len(ids) > 100 and len(names) > 100
    found_ids, found_names = leaked(log, ids, names)
    assert not found_ids, f"{len(found_ids)} NIK/KK numbers in the task logs"
    assert not found_names, f"{len(found_names)} names in the task logs"
