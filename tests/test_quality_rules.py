"""Every quality rule: a bad sample it catches and a good sample that passes.

Each case writes a small extract (generated people only), runs it through the real archive ->
stage -> validate path with a one-rule contract, and checks what was quarantined, flagged or
refused, and that read = accepted + quarantined.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pandas as pd
import pytest
import yaml

from konvergensi import pipeline
from konvergensi.contracts import load_contract
from konvergensi.quality.gate import QualityGateError
from konvergensi.quality.gx_runner import CheckNotRunError, run_checks
from konvergensi.quality.history import batch_history, resubmitted_records
from konvergensi.quality.rules import Check
from konvergensi.quality.status import held_back_deliveries
from konvergensi.quality.unrunnable import RuleNotRunError

COLUMNS = ["id", "nik", "kk", "nama", "jk", "tgl_lahir", "kode_desa", "tgl", "nilai", "jumlah"]
COLUMNS += ["desil"]


def _row(i: int, **changes: str) -> dict[str, str]:
    row = {
        "id": f"R{i}",
        "nik": f"530124520380{i:04d}",
        "kk": f"530124120310{i:04d}",
        "nama": f"Maria Uji{chr(64 + i)}",
        "jk": "P",
        "tgl_lahir": "12/03/1980",
        "kode_desa": "5301242002",
        "tgl": "05/09/2026",
        "nilai": "300000",
        "jumlah": "10",
        "desil": "2",
    }
    row.update(changes)
    return row


def _contract(folder: Path, rows: list[dict], batch: list[dict]) -> None:
    contract = {
        "source": "uji_sumber",
        "ministry": "Kementerian Uji",
        "programme": "Program Uji",
        "intervention_type": "social_assistance",
        "cadence": "monthly",
        "landing": {"pattern": "uji_{period}.csv"},
        "format": {"type": "csv", "delimiter": ";"},
        "parsing": {"date_formats": ["%d/%m/%Y"]},
        "columns": {
            "source_record_id": "id",
            "nik": "nik",
            "kk": "kk",
            "full_name": "nama",
            "sex": "jk",
            "birth_date": "tgl_lahir",
            "village_code": "kode_desa",
            "intervention_date": "tgl",
            "amount": "nilai",
            "quantity": "jumlah",
            "welfare_decile": "desil",
        },
        "quality": {"rows": rows, "batch": batch},
    }
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "uji_sumber.yaml").write_text(yaml.safe_dump(contract))


def _deliver(data_root: Path, period: str, rows: list[dict]) -> dict:
    landing = data_root / "landing" / "uji_sumber"
    landing.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows, columns=COLUMNS).to_csv(landing / f"uji_{period}.csv", sep=";", index=False)
    delivery = pipeline.archive_period("uji_sumber", period)
    staged = pipeline.stage("uji_sumber", delivery)
    return pipeline.validate("uji_sumber", period, staged["batch_id"])


def _outputs(data_root: Path, summary: dict) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    batch = f"batch={summary['batch_id']}"
    period = f"period={summary['period']}"
    accepted = pd.read_parquet(
        data_root / "staging/uji_sumber" / period / batch / "accepted.parquet"
    )
    quarantine = data_root / "quarantine/uji_sumber" / period / batch
    return (
        accepted,
        pd.read_parquet(quarantine / "records.parquet"),
        pd.read_parquet(quarantine / "violations.parquet"),
    )


@pytest.fixture
def contracts_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "contracts"
    monkeypatch.setenv("KONVERGENSI_CONTRACTS_DIR", str(folder))
    return folder


ROW_CASES = [
    # rule, severity, params, bad row changes, column the operator is shown
    ("required", "error", {"columns": ["full_name"]}, {"nama": ""}, "full_name"),
    ("village_known", "error", {}, {"kode_desa": "5301249999"}, "village_code_raw"),
    ("nik_valid", "warn", {}, {"nik": "1111111111111111"}, "nik_raw"),
    ("kk_valid", "warn", {}, {"kk": "5301249999990001"}, "kk_raw"),
    ("sex_known", "warn", {}, {"jk": "X"}, "sex_raw"),
    (
        "birth_date_plausible",
        "error",
        {"min_age": 15, "max_age": 100},
        {"tgl_lahir": "01/01/2030"},
        "birth_date_raw",
    ),
    ("amount_in_range", "error", {"min": 1, "max": 1_000_000}, {"nilai": "5000000"}, "amount"),
    ("quantity_in_range", "error", {"min": 0, "max": 1000}, {"jumlah": "99999"}, "quantity"),
    ("decile_in_range", "error", {"min": 1, "max": 4}, {"desil": "7"}, "welfare_decile"),
    ("intervention_date_in_period", "error", {}, {"tgl": "05/01/2026"}, "intervention_date"),
]


@pytest.mark.parametrize(("rule", "severity", "params", "bad", "shown"), ROW_CASES)
def test_row_rule_passes_good_rows_and_catches_the_bad_one(
    data_root: Path, contracts_dir: Path, rule, severity, params, bad, shown
) -> None:
    _contract(contracts_dir, [{"rule": rule, "severity": severity, **params}], [])
    good = _deliver(data_root, "2026-08", [_row(i, tgl="05/08/2026") for i in range(1, 5)])
    assert (good["rows_accepted"], good["rows_quarantined"], good["rows_flagged"]) == (4, 0, 0)

    rows = [_row(1), _row(2, **bad), _row(3)]
    summary = _deliver(data_root, "2026-09", rows)
    accepted, quarantined, violations = _outputs(data_root, summary)
    assert summary["rows_read"] == len(accepted) + len(quarantined) == 3
    assert violations[["_row_number", "rule", "severity", "column"]].values.tolist() == [
        [2, rule, severity, shown]
    ]
    if severity == "error":
        assert quarantined["_row_number"].tolist() == [2]
        assert quarantined["_reasons"].tolist() == [rule]
    else:
        assert quarantined.empty
        warnings = accepted.set_index("_row_number")["_warnings"].fillna("").to_dict()
        assert warnings == {1: "", 2: rule, 3: ""}


def test_record_id_unique_rejects_repeats_after_the_first(
    data_root: Path, contracts_dir: Path
) -> None:
    _contract(contracts_dir, [{"rule": "record_id_unique", "severity": "error"}], [])
    summary = _deliver(data_root, "2026-09", [_row(1), _row(2, id="R1"), _row(3)])
    accepted, quarantined, violations = _outputs(data_root, summary)
    assert accepted["_row_number"].tolist() == [1, 3]
    assert quarantined["_row_number"].tolist() == [2]
    assert violations["value"].tolist() == ["R1"]


BATCH_CASES = [
    ("nik_unusable_share", {"max": 0.25}, lambda i: {"nik": ""} if i <= 2 else {}),
    ("nik_trailing_zero_share", {"max": 0.2}, lambda i: {"nik": f"53012452038000{i}0"}),
]


@pytest.mark.parametrize(("rule", "params", "spoil"), BATCH_CASES)
def test_batch_rule_fails_the_file_and_keeps_the_last_good_batch(
    data_root: Path, contracts_dir: Path, rule, params, spoil
) -> None:
    _contract(contracts_dir, [], [{"rule": rule, **params}])
    good = _deliver(data_root, "2026-09", [_row(i) for i in range(1, 5)])
    assert good["status"] == "passed"

    landing = data_root / "landing" / "uji_sumber"
    bad_rows = [_row(i, **spoil(i)) for i in range(1, 5)]
    pd.DataFrame(bad_rows, columns=COLUMNS).to_csv(
        landing / "uji_2026-09_perbaikan.csv", sep=";", index=False
    )
    delivery = pipeline.archive_period("uji_sumber", "2026-09")
    staged = pipeline.stage("uji_sumber", delivery)
    with pytest.raises(QualityGateError) as failure:
        pipeline.validate("uji_sumber", "2026-09", staged["batch_id"])
    message = str(failure.value)
    assert "Kementerian Uji (uji_sumber) file uji_2026-09_perbaikan.csv for 2026-09" in message
    assert rule in message and "of 4 failed" in message and ".html" in message
    current = (data_root / "staging/uji_sumber/period=2026-09/CURRENT").read_text().strip()
    assert current == good["batch_id"] != staged["batch_id"]
    report = json.loads(
        Path(message.rsplit("Report: ", 1)[1].replace(".html", ".json")).read_text()
    )
    assert report["status"] == "failed" and report["failed_batch_rules"] == [rule]


def test_row_count_change_compares_with_the_previous_period(
    data_root: Path, contracts_dir: Path
) -> None:
    _contract(contracts_dir, [], [{"rule": "row_count_change", "min_ratio": 0.5, "max_ratio": 2}])
    first = _deliver(data_root, "2026-07", [_row(i, tgl="05/07/2026") for i in range(1, 9)])
    steady = _deliver(data_root, "2026-08", [_row(i, tgl="05/08/2026") for i in range(1, 8)])
    assert first["status"] == steady["status"] == "passed"
    with pytest.raises(QualityGateError) as failure:
        _deliver(data_root, "2026-09", [_row(1), _row(2)])
    message = str(failure.value)
    assert "row_count_change: row count must be within 4-14" in message
    assert "(file has 2 rows)" in message and "failed)" not in message
    report = Path(message.rsplit("Report: ", 1)[1]).read_text()
    row = report[report.index("<td>row_count_change</td>") :].split("</tr>", 1)[0]
    assert "<td>file has 2 rows</td>" in row


def test_the_gate_reports_records_the_reader_could_not_parse(
    data_root: Path, contracts_dir: Path
) -> None:
    _contract(contracts_dir, [{"rule": "village_known", "severity": "error"}], [])
    landing = data_root / "landing" / "uji_sumber"
    landing.mkdir(parents=True)
    csv = landing / "uji_2026-09.csv"
    pd.DataFrame([_row(1), _row(2)], columns=COLUMNS).to_csv(csv, sep=";", index=False)
    with csv.open("a") as handle:
        handle.write("R3;" + ";".join(["x"] * 15) + "\n")
    staged = pipeline.stage("uji_sumber", pipeline.archive_period("uji_sumber", "2026-09"))
    summary = pipeline.validate("uji_sumber", "2026-09", staged["batch_id"])
    assert (summary["rows_read"], summary["rows_accepted"]) == (2, 2)
    assert summary["rows_rejected_at_staging"] == 1
    assert "1 records could not be parsed" in Path(summary["report_html"]).read_text()


def test_a_rule_on_a_column_the_batch_lacks_fails_validation_and_keeps_the_last_good_batch(
    data_root: Path, contracts_dir: Path
) -> None:
    _contract(contracts_dir, [{"rule": "required", "columns": ["full_name"]}], [])
    good = _deliver(data_root, "2026-09", [_row(1), _row(2)])
    # A typo in the contract: GX would skip the rule and let every file pass it.
    _contract(
        contracts_dir, [{"rule": "required", "columns": ["source_record_id", "full_nmae"]}], []
    )
    landing = data_root / "landing" / "uji_sumber"
    pd.DataFrame([_row(1, nama="")], columns=COLUMNS).to_csv(
        landing / "uji_2026-09_perbaikan.csv", sep=";", index=False
    )
    staged = pipeline.stage("uji_sumber", pipeline.archive_period("uji_sumber", "2026-09"))
    with pytest.raises(RuleNotRunError) as failure:
        pipeline.validate("uji_sumber", "2026-09", staged["batch_id"])
    message = str(failure.value)
    assert "Kementerian Uji (uji_sumber) file uji_2026-09_perbaikan.csv for 2026-09" in message
    assert "rule required on column `full_nmae`" in message and "full_name?" in message
    assert "contracts/uji_sumber.yaml" in message and "clear the validate task" in message
    current = (data_root / "staging/uji_sumber/period=2026-09/CURRENT").read_text().strip()
    assert current == good["batch_id"] != staged["batch_id"]


def test_a_batch_staged_by_an_older_version_is_sent_back_to_stage_not_to_the_contract(
    data_root: Path, contracts_dir: Path
) -> None:
    _contract(contracts_dir, [{"rule": "parseable", "severity": "error"}], [])
    landing = data_root / "landing" / "uji_sumber"
    landing.mkdir(parents=True)
    pd.DataFrame([_row(1), _row(2)], columns=COLUMNS).to_csv(
        landing / "uji_2026-09.csv", sep=";", index=False
    )
    delivery = pipeline.archive_period("uji_sumber", "2026-09")
    staged = pipeline.stage("uji_sumber", delivery)
    # What a batch staged before the upgrade looks like: no `*_flag` columns, an older key and
    # no recorded stage format.
    batch = data_root / "staging/uji_sumber/period=2026-09" / f"batch={staged['batch_id']}"
    frame = pd.read_parquet(batch / "staged.parquet")
    frame.drop(columns=[c for c in frame if c.endswith("_flag")]).to_parquet(
        batch / "staged.parquet", index=False
    )
    meta = json.loads((batch / "staged.json").read_text())
    del meta["stage_format"]
    (batch / "staged.json").write_text(json.dumps({**meta, "stage_key": "0" * 16}))

    with pytest.raises(RuleNotRunError) as failure:
        pipeline.validate("uji_sumber", "2026-09", staged["batch_id"])
    message = str(failure.value)
    assert "file uji_2026-09.csv for 2026-09 was not validated" in message
    assert "stage format 3 or older" in message and "Clear the `stage` task" in message
    assert "contracts/" not in message
    assert not (data_root / "staging/uji_sumber/period=2026-09/CURRENT").exists()

    # Clearing `stage` stages the file again from the raw zone; it then validates.
    restaged = pipeline.stage("uji_sumber", delivery)
    assert restaged["reused"] is False and restaged["batch_id"] == staged["batch_id"]
    assert pipeline.validate("uji_sumber", "2026-09", staged["batch_id"])["published"] is True


def test_a_check_great_expectations_cannot_run_is_an_error_not_a_pass() -> None:
    frame = pd.DataFrame({"_row_number": [1, 2], "full_name": ["Maria Uji", None]})
    check = Check(
        "required", "row", "error", "full_nmae", "must not be empty", "fill it",
        "ExpectColumnValuesToNotBeNull", {"column": "full_nmae"},
    )  # fmt: skip
    with pytest.raises(CheckNotRunError, match="full_nmae") as failure:
        run_checks(frame, [check], suite_name="uji")
    assert failure.value.check is check


def _land(data_root: Path, name: str, rows: list[dict], minutes: int) -> None:
    """Write an extract into the landing zone with a modification time `minutes` from now."""
    path = data_root / "landing" / "uji_sumber" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows, columns=COLUMNS).to_csv(path, sep=";", index=False)
    stamp = path.stat().st_mtime + 60 * minutes
    os.utime(path, (stamp, stamp))


def _ingest_newest(period: str) -> dict:
    staged = pipeline.stage("uji_sumber", pipeline.archive_period("uji_sumber", period))
    return pipeline.validate("uji_sumber", period, staged["batch_id"])


def test_revalidating_an_older_batch_never_moves_current_back(
    data_root: Path, contracts_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _contract(contracts_dir, [{"rule": "village_known", "severity": "error"}], [])
    _land(data_root, "uji_2026-09.csv", [_row(1), _row(2, kode_desa="5301249999")], 0)
    original = _ingest_newest("2026-09")
    _land(data_root, "uji_2026-09_perbaikan.csv", [_row(1), _row(2)], 5)
    correction = _ingest_newest("2026-09")
    pointer = data_root / "staging/uji_sumber/period=2026-09/CURRENT"
    assert pointer.read_text().strip() == correction["batch_id"] != original["batch_id"]

    # An operator clears the old run's `validate`: it passes again but stays unpublished.
    with caplog.at_level(logging.WARNING, logger="konvergensi.quality.gate"):
        again = pipeline.validate("uji_sumber", "2026-09", original["batch_id"])
    assert pointer.read_text().strip() == correction["batch_id"]
    assert again["status"] == "passed" and again["published"] is False
    assert f"batch {correction['batch_id']}, from a file that landed later, is current" in (
        caplog.text
    )
    assert "not published" in Path(again["report_html"]).read_text()


def test_the_original_sent_again_after_a_wrong_correction_is_published(
    data_root: Path, contracts_dir: Path
) -> None:
    _contract(contracts_dir, [{"rule": "village_known", "severity": "error"}], [])
    _land(data_root, "uji_2026-09.csv", [_row(1), _row(2)], 0)
    original = _ingest_newest("2026-09")
    _land(data_root, "uji_2026-09_perbaikan.csv", [_row(1)], 5)  # a wrong "correction"
    correction = _ingest_newest("2026-09")
    pointer = data_root / "staging/uji_sumber/period=2026-09/CURRENT"
    assert pointer.read_text().strip() == correction["batch_id"]

    # The ministry withdraws it and sends the original bytes again: now the newest delivery.
    (data_root / "landing/uji_sumber/uji_2026-09_perbaikan.csv").unlink()
    _land(data_root, "uji_2026-09_perbaikan2.csv", [_row(1), _row(2)], 10)
    again = _ingest_newest("2026-09")
    assert again["batch_id"] == original["batch_id"] and again["published"] is True
    assert pointer.read_text().strip() == original["batch_id"]

    # Clearing the wrong correction's old `validate` never moves CURRENT back to it.
    assert pipeline.validate("uji_sumber", "2026-09", correction["batch_id"])["published"] is False
    assert pointer.read_text().strip() == original["batch_id"]


def test_a_withdrawn_failed_correction_is_not_held_back_once_the_original_is_resent(
    data_root: Path, contracts_dir: Path
) -> None:
    """History and the held-back report order batches by latest delivery, as the gate does:
    the re-sent original is the newest and current, so the failed correction is history."""
    _contract(contracts_dir, [], [{"rule": "nik_unusable_share", "max": 0.25}])
    good = [_row(i) for i in range(1, 5)]
    _land(data_root, "uji_2026-09.csv", good, 0)
    original = _ingest_newest("2026-09")
    _land(data_root, "uji_2026-09_perbaikan.csv", [_row(i, nik="x") for i in range(1, 5)], 5)
    with pytest.raises(QualityGateError):
        _ingest_newest("2026-09")
    staging = data_root / "staging"
    contract = load_contract(contracts_dir / "uji_sumber.yaml")
    assert [h["batch_in_use"] for h in held_back_deliveries(staging, [contract])] == [
        original["batch_id"]
    ]

    (data_root / "landing/uji_sumber/uji_2026-09_perbaikan.csv").unlink()
    _land(data_root, "uji_2026-09_kirim_ulang.csv", good, 10)  # the original bytes, newest
    again = _ingest_newest("2026-09")

    assert again["batch_id"] == original["batch_id"] and again["published"] is True
    history = batch_history(staging, "uji_sumber", "2026-09")
    assert [(b["status"], b["current"]) for b in history] == [("failed", False), ("passed", True)]
    assert held_back_deliveries(staging, [contract]) == []


def test_only_a_passed_later_delivery_counts_as_accepting_held_rows(
    data_root: Path, contracts_dir: Path
) -> None:
    _contract(
        contracts_dir,
        [{"rule": "village_known", "severity": "error"}],
        [{"rule": "nik_unusable_share", "max": 0.25}],
    )
    rows = [_row(i) for i in range(1, 5)]
    _land(data_root, "uji_2026-09.csv", [*rows[:1], _row(2, kode_desa="5301249999"), *rows[2:]], 0)
    first = _ingest_newest("2026-09")
    # The second delivery fixes the village but loses half the NIKs: it fails its gate.
    _land(data_root, "uji_2026-09_perbaikan.csv", [_row(i, nik="") for i in (1, 2)] + rows[2:], 5)
    with pytest.raises(QualityGateError):
        _ingest_newest("2026-09")
    staging, quarantine = data_root / "staging", data_root / "quarantine"
    held = resubmitted_records(staging, quarantine, "uji_sumber", "2026-09")
    assert held["source_record_id"].tolist() == ["R2"]
    assert held["accepted_in_batch"].isna().all()

    _land(data_root, "uji_2026-09_perbaikan2.csv", rows, 10)
    third = _ingest_newest("2026-09")
    held = resubmitted_records(staging, quarantine, "uji_sumber", "2026-09")
    assert held.set_index("rejected_in_batch")["accepted_in_batch"].to_dict() == {
        first["batch_id"]: third["batch_id"]
    }
    assert [b["status"] for b in batch_history(staging, "uji_sumber", "2026-09")] == [
        "passed",
        "failed",
        "passed",
    ]
