"""The quality gate inside Airflow: one source's bad file fails its own DAG run while every other
source loads and the warehouse still builds; a corrected re-delivery is accepted later and the
history shows what was rejected and what was accepted after."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from konvergensi.cli import main
from konvergensi.config import PROJECT_ROOT, settings
from konvergensi.contracts import load_contracts
from konvergensi.demo import load_dags, run_dag, run_date_for, run_pipeline
from konvergensi.quality.history import batch_history, resubmitted_records
from konvergensi.quality.status import held_back_deliveries
from konvergensi.synthetic import generate
from konvergensi.warehouse.publish import current_snapshot

pytestmark = pytest.mark.airflow


@pytest.fixture(autouse=True)
def _fail_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    """dag.test() waits out retry delays in-process: no retries in these tests."""
    monkeypatch.setenv("KONVERGENSI_TASK_RETRIES", "0")


def _placeholder_niks(path: Path) -> None:
    """Every NIK in an NDJSON extract replaced by a placeholder."""
    frame = pd.read_json(path, lines=True, dtype=False)
    frame["nik_debitur"] = "1111111111111111"
    frame.to_json(path, orient="records", lines=True, force_ascii=False)


def _unknown_villages(path: Path, rows: int) -> None:
    """The first rows of a `;` CSV extract given a village code that does not exist."""
    frame = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False)
    frame.loc[frame.index[:rows], "kode_wilayah"] = "9999999999"
    frame.to_csv(path, sep=";", index=False)


def test_bad_file_fails_alone_and_a_correction_is_accepted_later(
    airflow_db: Path, data_root: Path, capsys: pytest.CaptureFixture
) -> None:
    s = settings()
    contracts = load_contracts(s.contracts_dir)
    summary = generate(s.zone("landing"), data_root / "truth", contracts, rows=2500)
    periods = {source: sorted(p) for source, p in summary.rows.items()}
    landing = s.zone("landing")
    umi = landing / "kemenkeu_umi" / "umi_debitur_2026-09.ndjson"
    ukm = landing / "kemenkop_ukm" / "kemenkop_ukm_2026-09.csv"
    ukm_original = ukm.read_bytes()
    # Kemenkeu's September file: NIKs exported as placeholders -> the whole file is refused.
    _placeholder_niks(umi)
    # Kemenkop's September file: three rows with a village code that does not exist.
    _unknown_villages(ukm, rows=3)

    states = run_pipeline(periods, PROJECT_ROOT / "dags")
    failed = {name for name, state in states.items() if state != "success"}
    assert failed == {"ingest_kemenkeu_umi 2026-09"}
    assert states["build_warehouse"] == "success"

    manifest = json.loads((current_snapshot(s.zone("warehouse")) / "manifest.json").read_text())
    assert sorted(manifest["batches"]["kemenkeu_umi"]) == ["2026-07", "2026-08"]
    held = [(h["source"], h["period"], h["batch_in_use"]) for h in manifest["held_back_deliveries"]]
    assert held == [("kemenkeu_umi", "2026-09", None)]
    assert held_back_deliveries(s.zone("staging"), contracts) == manifest["held_back_deliveries"]
    first = batch_history(s.zone("staging"), "kemenkop_ukm", "2026-09")
    assert [(b["status"], b["rows_quarantined"]) for b in first] == [("passed", 3)]

    # The ministry corrects its file and sends it again under a new name.
    (ukm.parent / "kemenkop_ukm_2026-09_perbaikan.csv").write_bytes(ukm_original)
    dags = load_dags(PROJECT_ROOT / "dags")
    assert run_dag(dags["ingest_kemenkop_ukm"], run_date_for("2026-09")) == "success"
    history = batch_history(s.zone("staging"), "kemenkop_ukm", "2026-09")
    assert [(b["status"], b["rows_quarantined"], b["current"]) for b in history] == [
        ("passed", 3, False),
        ("passed", 0, True),
    ]
    resubmitted = resubmitted_records(
        s.zone("staging"), s.zone("quarantine"), "kemenkop_ukm", "2026-09"
    )
    assert len(resubmitted) == 3
    assert (resubmitted["accepted_in_batch"] == history[1]["batch_id"]).all()
    assert set(resubmitted["_reasons"]) == {"village_known"}

    capsys.readouterr()  # drop what the DAG runs printed
    main(["history", "kemenkop_ukm", "2026-09"])
    shown = capsys.readouterr().out.splitlines()
    assert shown[0] == "kemenkop_ukm 2026-09: 2 deliveries, oldest first"
    assert history[1]["batch_id"] in shown[3] and shown[3].endswith("<- current")
    assert "kemenkop_ukm_2026-09_perbaikan.csv" in shown[3]
    assert shown[4].startswith("rows held back: 3; accepted by a later delivery: 3; still held: 0")
    with pytest.raises(SystemExit, match="no validated delivery of kemenkop_ukm for 2026-10"):
        main(["history", "kemenkop_ukm", "2026-10"])
    shutil.rmtree(data_root)
