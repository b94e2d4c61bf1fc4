"""File landing: the ingest run waits in the triggerer, a late source is skipped without blocking
anyone, and the catch-up DAG starts one labelled ingest run per file that was never loaded.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from konvergensi.airflow_support import period_from_context
from konvergensi.catchup import pending_deliveries, period_of_file
from konvergensi.config import settings
from konvergensi.contracts import load_contracts
from konvergensi.demo import run_date_for
from konvergensi.landing_wait import LandingTrigger
from konvergensi.pipeline import archive_period, contract_for
from konvergensi.staging_zone import current_batch
from tests.samples import generate_sample, landed_file, once_deferred


@pytest.mark.parametrize(
    ("logical_date", "cadence", "period"),
    [
        ("2026-10-31T23:00:00+00:00", "monthly", "2026-10"),  # 1 Nov 06:00 WIB
        ("2026-09-30T23:00:00+00:00", "quarterly", "2026-Q3"),  # 1 Oct 06:00 WIB
        ("2026-10-01T00:00:00+00:00", "monthly", "2026-09"),
    ],
)
def test_a_run_ingests_the_period_before_its_date_in_wib(
    logical_date: str, cadence: str, period: str
) -> None:
    context = {"logical_date": datetime.fromisoformat(logical_date), "params": {}}
    assert period_from_context(context, cadence) == period
    assert period_from_context({**context, "params": {"period": "2026-07"}}, "monthly") == "2026-07"


def _first_event(trigger: LandingTrigger) -> dict:
    async def first() -> dict:
        async for event in trigger.run():
            return event.payload
        raise AssertionError("the trigger ended without an event")

    return asyncio.run(first())


def _deadline(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


def test_trigger_fires_when_the_file_lands(tmp_path: Path) -> None:
    pattern = r"^kemnaker_pelatihan_2026\-09([_\- ][^/]*)?\.xlsx(\.gz|\.zip)?$"
    (tmp_path / "kemnaker_pelatihan_2026-08.xlsx").write_bytes(b"last month")
    threading.Timer(0.5, (tmp_path / "kemnaker_pelatihan_2026-09.xlsx").write_bytes, [b"x"]).start()
    event = _first_event(LandingTrigger(str(tmp_path), pattern, _deadline(30), 0.1))
    assert event == {"status": "landed", "files": ["kemnaker_pelatihan_2026-09.xlsx"]}


def test_trigger_gives_up_at_the_deadline(tmp_path: Path) -> None:
    trigger = LandingTrigger(str(tmp_path / "not-yet-created"), r"^x\.csv$", _deadline(0.3), 0.1)
    assert _first_event(trigger) == {"status": "timeout", "files": []}
    classpath, kwargs = trigger.serialize()
    assert classpath == "konvergensi.landing_wait.LandingTrigger"
    assert LandingTrigger(**kwargs).serialize() == (classpath, kwargs)


def _task_states(run) -> dict[str, str]:
    return {ti.task_id: str(ti.state) for ti in run.get_task_instances()}


@pytest.mark.airflow
def test_a_file_that_lands_while_the_run_waits_is_loaded(
    data_root: Path, fail_fast_dags: dict, tmp_path: Path
) -> None:
    summary = generate_sample(["kemenkop_ukm"], ["2026-09"])
    file = landed_file(summary, "kemenkop_ukm", "2026-09")
    held_back = shutil.move(file, tmp_path / file.name)
    land = threading.Thread(target=once_deferred, args=(lambda: shutil.move(held_back, file),))
    land.daemon = True
    land.start()
    run = fail_fast_dags["ingest_kemenkop_ukm"].test(logical_date=run_date_for("2026-09"))
    assert str(run.state) == "success", _task_states(run)
    wait = run.get_task_instance("wait_for_delivery")
    result = wait.xcom_pull(task_ids="wait_for_delivery")
    assert result == {"period": "2026-09", "files": [file.name], "waited": True}
    assert current_batch(settings().zone("staging"), "kemenkop_ukm", "2026-09")


@pytest.mark.airflow
def test_a_source_that_never_delivers_is_skipped_without_failing(
    data_root: Path, fail_fast_dags: dict, capfd: pytest.CaptureFixture
) -> None:
    run = fail_fast_dags["ingest_kemenkop_ukm"].test(
        logical_date=run_date_for("2026-09"), run_conf={"wait_hours": 0.0005}
    )
    assert str(run.state) == "success"
    assert set(_task_states(run).values()) == {"skipped"}, _task_states(run)
    assert "no file for kemenkop_ukm 2026-09 landed in" in capfd.readouterr().out


def test_pending_files_are_the_newest_unarchived_one_per_period(data_root: Path) -> None:
    summary = generate_sample(["kemenkop_ukm", "p3ke"], ["2026-08", "2026-09"])
    landing = settings().zone("landing")
    archive_period("kemenkop_ukm", "2026-08")
    corrected = landing / "kemenkop_ukm" / "kemenkop_ukm_2026-09_perbaikan.csv"
    shutil.copyfile(landed_file(summary, "kemenkop_ukm", "2026-09"), corrected)
    os.utime(corrected, (corrected.stat().st_atime, corrected.stat().st_mtime + 60))
    (landing / "kemenkop_ukm" / "notes.txt").write_text("not an extract")
    found = pending_deliveries(
        load_contracts(settings().contracts_dir), landing, settings().zone("raw")
    )
    assert [(p["source"], p["period"], p["file"]) for p in found] == [
        ("kemenkop_ukm", "2026-09", corrected.name),
        ("p3ke", "2026-Q3", landed_file(summary, "p3ke", "2026-Q3").name),
    ]
    assert period_of_file(contract_for("kemenkop_ukm"), "kemenkop_ukm_2026-Q3.csv") is None


@pytest.mark.airflow
def test_catchup_starts_one_labelled_ingest_run_per_pending_file(
    data_root: Path, fail_fast_dags: dict
) -> None:
    from airflow.models.dagrun import DagRun

    generate_sample(["kemenkop_ukm", "p3ke"], ["2026-09"])
    archive_period("p3ke", "2026-Q3")
    first = fail_fast_dags["ingest_catchup"].test()
    assert str(first.state) == "success", _task_states(first)
    (mapped,) = [ti for ti in first.get_task_instances() if ti.task_id == "trigger_ingest"]
    assert mapped.rendered_map_index == ("Kementerian Koperasi dan UKM: kemenkop_ukm_2026-09.csv")
    started = [
        r for r in DagRun.find(dag_id="ingest_kemenkop_ukm") if r.run_id.startswith("catchup__")
    ]
    assert [r.run_id.split("__")[1] for r in started] == ["2026-09"]
    assert started[0].conf["period"] == "2026-09"
    assert not [r for r in DagRun.find(dag_id="ingest_p3ke") if r.run_id.startswith("catchup__")]
    second = fail_fast_dags["ingest_catchup"].test()
    assert [str(ti.state) for ti in second.get_task_instances() if ti.map_index >= 0] == ["skipped"]
    again = [
        r for r in DagRun.find(dag_id="ingest_kemenkop_ukm") if r.run_id.startswith("catchup__")
    ]
    assert len(again) == 1
