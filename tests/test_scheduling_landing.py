"""File landing: the ingest run waits in the triggerer, a late source is skipped without blocking
anyone, and the catch-up DAG starts one labelled ingest run per file that was never loaded.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from konvergensi.airflow_support import period_from_context
from konvergensi.catchup import pending_deliveries, period_of_file
from konvergensi.config import settings
from konvergensi.contracts import load_contracts
from konvergensi.demo import run_date_for
from konvergensi.ingest.archive import landing_regex
from konvergensi.landing_wait import LandingTrigger, file_states, settled_at_first_look
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
    event = _first_event(LandingTrigger(str(tmp_path), pattern, _deadline(30), 0.1, 0.3))
    assert event == {"status": "landed", "files": ["kemnaker_pelatihan_2026-09.xlsx"]}


def test_trigger_waits_until_a_landing_file_stops_changing(tmp_path: Path) -> None:
    file = tmp_path / "uji_2026-09.csv"
    file.write_bytes(b"id;nama\n")  # the upload has started

    def upload() -> None:
        for part in (b"R1;Maria\n", b"R2;Yohanes\n"):
            time.sleep(0.3)
            with file.open("ab") as handle:
                handle.write(part)

    threading.Thread(target=upload, daemon=True).start()
    started = time.monotonic()
    event = _first_event(
        LandingTrigger(str(tmp_path), r"^uji_2026-09\.csv$", _deadline(30), 0.1, 0.5)
    )
    assert event == {"status": "landed", "files": [file.name]}
    assert file.read_bytes() == b"id;nama\nR1;Maria\nR2;Yohanes\n"  # complete when it fired
    assert time.monotonic() - started >= 0.6 + 0.5


def test_trigger_never_reports_an_empty_file_as_landed(tmp_path: Path) -> None:
    (tmp_path / "uji_2026-09.csv").write_bytes(b"")
    trigger = LandingTrigger(str(tmp_path), r"^uji_2026-09\.csv$", _deadline(0.8), 0.1, 0.1)
    assert _first_event(trigger) == {"status": "timeout", "files": ["uji_2026-09.csv"]}


def test_the_first_look_decides_on_the_newest_non_empty_file(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    old, fresh, empty = (tmp_path / f"uji_2026-09{s}.csv" for s in ("", "_a", "_b"))
    old.write_bytes(b"id\nR1\n")
    os.utime(old, (now.timestamp() - 120, now.timestamp() - 120))
    assert settled_at_first_look(file_states(str(tmp_path), "^uji"), 30, now)
    fresh.write_bytes(b"id\nR1\n")  # a newer file still being written is the one to load
    assert not settled_at_first_look(file_states(str(tmp_path), "^uji"), 30, now)
    fresh.unlink()
    empty.write_bytes(b"")  # a failed upload, newer than the good file: ignored
    os.utime(empty, (now.timestamp() - 60, now.timestamp() - 60))
    assert settled_at_first_look(file_states(str(tmp_path), "^uji"), 30, now)
    old.unlink()
    assert not settled_at_first_look(file_states(str(tmp_path), "^uji"), 30, now)
    assert not settled_at_first_look({}, 30, now)


def test_an_empty_upload_never_blocks_the_settled_file_archive_loads(data_root: Path) -> None:
    summary = generate_sample(["kemenkop_ukm"], ["2026-09"])
    good = landed_file(summary, "kemenkop_ukm", "2026-09")
    os.utime(good, (good.stat().st_mtime - 3600, good.stat().st_mtime - 3600))
    failed = good.parent / "kemenkop_ukm_2026-09_perbaikan.csv"
    failed.write_bytes(b"")  # the correction's upload failed: newest, but stayed empty
    os.utime(failed, (time.time() - 60, time.time() - 60))
    pattern = landing_regex(contract_for("kemenkop_ukm"), "2026-09").pattern
    folder = str(good.parent)
    assert settled_at_first_look(file_states(folder, pattern), 30, datetime.now(UTC))
    event = _first_event(LandingTrigger(folder, pattern, _deadline(3), 0.1, 0.2))
    assert event == {"status": "landed", "files": sorted([good.name, failed.name])}
    delivery = archive_period("kemenkop_ukm", "2026-09")
    assert (delivery["landed_name"], delivery["size"]) == (good.name, good.stat().st_size)


def test_a_fresh_empty_file_blocks_the_wait_until_it_fills_and_settles(tmp_path: Path) -> None:
    """A newer file still at 0 bytes may be an upload just opened: the wait must not fire on the
    older file, or `archive_period` would load the newer one half uploaded moments later."""
    old, correction = tmp_path / "uji_2026-09.csv", tmp_path / "uji_2026-09_perbaikan.csv"
    old.write_bytes(b"id\nR1\n")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    correction.write_bytes(b"")  # the upload has just opened the file
    assert not settled_at_first_look(file_states(str(tmp_path), "^uji"), 30, datetime.now(UTC))

    def upload() -> None:
        for part in (b"id\n", b"R1\n", b"R2\n"):
            time.sleep(0.3)
            with correction.open("ab") as handle:
                handle.write(part)

    threading.Thread(target=upload, daemon=True).start()
    started = time.monotonic()
    event = _first_event(LandingTrigger(str(tmp_path), "^uji", _deadline(30), 0.1, 0.5))
    assert event == {"status": "landed", "files": [old.name, correction.name]}
    assert correction.read_bytes() == b"id\nR1\nR2\n"  # complete when it fired
    assert time.monotonic() - started >= 0.9 + 0.5


def test_an_empty_file_is_ignored_once_it_stayed_empty_for_the_settle_interval(
    tmp_path: Path,
) -> None:
    old, failed = tmp_path / "uji_2026-09.csv", tmp_path / "uji_2026-09_perbaikan.csv"
    old.write_bytes(b"id\nR1\n")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    failed.write_bytes(b"")
    started = time.monotonic()
    event = _first_event(LandingTrigger(str(tmp_path), "^uji", _deadline(30), 0.1, 0.4))
    assert event == {"status": "landed", "files": [old.name, failed.name]}
    assert time.monotonic() - started >= 0.4  # not before the empty file had time to fill


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


def test_an_identical_resend_is_pending_until_archived_then_seen(data_root: Path) -> None:
    summary = generate_sample(["kemenkop_ukm"], ["2026-09"])
    original = landed_file(summary, "kemenkop_ukm", "2026-09")
    contracts, raw = load_contracts(settings().contracts_dir), settings().zone("raw")
    landing = settings().zone("landing")
    archive_period("kemenkop_ukm", "2026-09")
    assert pending_deliveries(contracts, landing, raw) == []
    # The ministry sends the same bytes again: once under the same name, once renamed.
    content, later = original.read_bytes(), original.stat().st_mtime
    for name in (original.name, "kemenkop_ukm_2026-09_kirim_ulang.csv"):
        resent = original.parent / name
        resent.write_bytes(content)
        later += 120
        os.utime(resent, (later, later))
        assert [p["file"] for p in pending_deliveries(contracts, landing, raw)] == [name]
        delivery = archive_period("kemenkop_ukm", "2026-09")
        assert delivery["already_archived"] and delivery["landed_name"] == name
        assert pending_deliveries(contracts, landing, raw) == []


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
