"""Delivery semantics through the pipeline steps the DAG calls: the same bytes are archived and
staged once whatever their name, a corrected re-delivery replaces the period's batch while the
history of both is kept, and last period's bytes sent again as this period's are refused."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from konvergensi import pipeline
from konvergensi.ingest.archive import deliveries, delivery_log
from konvergensi.ingest.errors import IngestError
from tests.corpus.build import csv_text, make_contract, people


@pytest.fixture
def contracts_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "contracts"
    monkeypatch.setenv("KONVERGENSI_CONTRACTS_DIR", str(folder))
    make_contract(folder, {"type": "csv", "delimiter": ";"})
    return folder


def _land(data_root: Path, name: str, text: str, mtime: int) -> Path:
    path = data_root / "landing" / "uji_ingest" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.utime(path, (mtime, mtime))
    return path


def test_same_bytes_under_another_name_are_archived_and_staged_once(data_root, contracts_dir):
    text = csv_text(people(4), ";")
    _land(data_root, "uji_2026-09.csv", text, 1_790_000_000)
    first = pipeline.archive_period("uji_ingest", "2026-09")
    staged_first = pipeline.stage("uji_ingest", first)

    _land(data_root, "uji_2026-09_kirim_ulang.csv", text, 1_790_000_600)
    again = pipeline.archive_period("uji_ingest", "2026-09")
    staged_again = pipeline.stage("uji_ingest", again)

    assert (first["already_archived"], again["already_archived"]) == (False, True)
    assert again["landed_name"] == "uji_2026-09_kirim_ulang.csv"
    assert again["batch_id"] == first["batch_id"]
    assert (staged_first["reused"], staged_again["reused"]) == (False, True)
    assert staged_again["rows"] == 4
    objects = list((data_root / "raw" / "uji_ingest" / "objects").rglob("*.csv"))
    assert len(objects) == 1
    assert [d.original_name for d in deliveries(data_root / "raw", "uji_ingest", "2026-09")] == [
        "uji_2026-09.csv"
    ]
    log = delivery_log(data_root / "raw", "uji_ingest", "2026-09")
    assert [e["name"] for e in log] == ["uji_2026-09.csv", "uji_2026-09_kirim_ulang.csv"]
    assert len({e["sha256"] for e in log}) == 1


def test_a_changed_contract_restages_the_same_bytes(data_root, contracts_dir):
    _land(data_root, "uji_2026-09.csv", csv_text(people(2), ";"), 1_790_000_000)
    delivery = pipeline.archive_period("uji_ingest", "2026-09")
    pipeline.stage("uji_ingest", delivery)
    make_contract(contracts_dir, {"type": "csv", "delimiter": "auto"})
    assert pipeline.stage("uji_ingest", delivery)["reused"] is False


def test_corrected_redelivery_replaces_the_period_and_keeps_the_history(data_root, contracts_dir):
    rows = people(4)
    _land(data_root, "uji_2026-09.csv", csv_text(rows, ";"), 1_790_000_000)
    original = pipeline.stage("uji_ingest", pipeline.archive_period("uji_ingest", "2026-09"))
    rows[2][3] = "Siti Aminah Nenobais"
    _land(data_root, "uji_2026-09_perbaikan.csv", csv_text(rows, ";"), 1_790_086_400)
    corrected = pipeline.stage("uji_ingest", pipeline.archive_period("uji_ingest", "2026-09"))

    assert corrected["file_name"] == "uji_2026-09_perbaikan.csv"
    assert corrected["batch_id"] != original["batch_id"]
    history = deliveries(data_root / "raw", "uji_ingest", "2026-09")
    assert [d.original_name for d in history] == ["uji_2026-09.csv", "uji_2026-09_perbaikan.csv"]
    assert Path(original["staged_path"]).exists() and Path(corrected["staged_path"]).exists()
    summary = pipeline.validate("uji_ingest", "2026-09", corrected["batch_id"])
    current = data_root / "staging" / "uji_ingest" / "period=2026-09" / "CURRENT"
    assert current.read_text().strip() == corrected["batch_id"] == summary["batch_id"]


def test_last_periods_bytes_sent_as_this_periods_file_are_refused(data_root, contracts_dir):
    text = csv_text(people(3), ";")
    _land(data_root, "uji_2026-08.csv", text, 1_787_000_000)
    pipeline.archive_period("uji_ingest", "2026-08")
    _land(data_root, "uji_2026-09.csv", text, 1_790_000_000)
    with pytest.raises(IngestError) as failure:
        pipeline.archive_period("uji_ingest", "2026-09")
    assert str(failure.value) == (
        "uji_2026-09.csv for 2026-09 has exactly the bytes already delivered for 2026-08; the "
        "ministry probably sent the wrong period's file: ask for the 2026-09 extract and drop "
        "it in landing/uji_ingest/"
    )


def test_an_unreadable_file_fails_its_source_alone(data_root, contracts_dir):
    make_contract(contracts_dir, {"type": "csv"}, source="uji_lain", prefix="lain")
    _land(data_root, "uji_2026-09.csv", "%PDF-1.7\n", 1_790_000_000)
    good = data_root / "landing" / "uji_lain" / "lain_2026-09.csv"
    good.parent.mkdir(parents=True)
    good.write_text(csv_text(people(2), ","))

    with pytest.raises(IngestError, match=r"^uji_2026-09\.csv: this is a PDF document"):
        pipeline.stage("uji_ingest", pipeline.archive_period("uji_ingest", "2026-09"))
    staged = pipeline.stage("uji_lain", pipeline.archive_period("uji_lain", "2026-09"))

    assert staged["rows"] == 2
    meta = json.loads((Path(staged["staged_path"]).parent / "staged.json").read_text())
    assert meta["rows_read"] == 2 and meta["file_name"] == "lain_2026-09.csv"


def test_a_damaged_log_line_is_skipped_and_the_next_event_starts_a_new_line(
    data_root, contracts_dir, caplog
):
    """A worker killed mid-append leaves a partial line without its newline: validation still
    runs (with a warning naming the line), and the next delivery is logged on its own line."""
    _land(data_root, "uji_2026-09.csv", csv_text(people(3), ";"), 1_790_000_000)
    staged = pipeline.stage("uji_ingest", pipeline.archive_period("uji_ingest", "2026-09"))
    log = data_root / "raw" / "uji_ingest" / "deliveries" / "2026-09" / "log.jsonl"
    with log.open("a") as handle:
        handle.write('{"at": "2026-09-30T0')

    assert pipeline.validate("uji_ingest", "2026-09", staged["batch_id"])["published"] is True
    assert f"{log} line 2 is not a readable delivery event" in caplog.text

    _land(data_root, "uji_2026-09_perbaikan.csv", csv_text(people(4), ";"), 1_790_086_400)
    corrected = pipeline.archive_period("uji_ingest", "2026-09")

    lines = log.read_text().splitlines()
    assert lines[1] == '{"at": "2026-09-30T0'  # the damaged line is kept, never altered
    assert json.loads(lines[2])["name"] == "uji_2026-09_perbaikan.csv"
    events = delivery_log(data_root / "raw", "uji_ingest", "2026-09")
    assert [e["name"] for e in events] == ["uji_2026-09.csv", "uji_2026-09_perbaikan.csv"]
    assert corrected["landed_name"] == "uji_2026-09_perbaikan.csv"
