"""Adding a ministry is adding a contract file: no code change, a new DAG that ingests it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from konvergensi.config import PROJECT_ROOT, settings
from konvergensi.contracts import load_contracts
from konvergensi.demo import load_dags, run_dag, run_date_for
from konvergensi.staging_zone import current_batches
from konvergensi.synthetic import generate

pytestmark = pytest.mark.airflow

NEW_CONTRACT = """
# KKP: fishing gear for small-scale fishers (a ministry added by configuration only).
source: kkp_nelayan
ministry: Kementerian Kelautan dan Perikanan
programme: Bantuan Alat Tangkap Nelayan Kecil
intervention_type: farm_inputs
cadence: quarterly
owner: tim-data-kkp
landing:
  pattern: "KKP_NELAYAN_{period}.csv"
format:
  type: csv
  delimiter: "|"
parsing:
  date_formats: ["%d.%m.%Y"]
columns:
  source_record_id: NO_BANTUAN
  nik: NIK_NELAYAN
  full_name: NAMA_NELAYAN
  sex: JENIS_KELAMIN
  birth_date: TANGGAL_LAHIR
  village_code: DESA
  intervention_date: TANGGAL_SERAH
  quantity: JUMLAH_UNIT
quality:
  rows:
    - {rule: required, severity: error, columns: [source_record_id, full_name]}
    - {rule: village_known, severity: error}
    - {rule: nik_valid, severity: warn}
  batch:
    - {rule: nik_unusable_share, max: 0.3}
synthetic:
  weight: 0.5
  unit: household_head
  quantity: [1, 3]
"""


def test_a_new_contract_file_gives_a_working_ingest_dag(
    airflow_db: Path, data_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KONVERGENSI_TASK_RETRIES", "0")
    contracts_dir = tmp_path / "contracts"
    shutil.copytree(PROJECT_ROOT / "contracts", contracts_dir)
    (contracts_dir / "kkp_nelayan.yaml").write_text(NEW_CONTRACT)
    monkeypatch.setenv("KONVERGENSI_CONTRACTS_DIR", str(contracts_dir))

    s = settings()
    contracts = load_contracts(s.contracts_dir)
    assert "kkp_nelayan" in {c.source for c in contracts}
    summary = generate(s.zone("landing"), data_root / "truth", contracts, rows=1500)
    landed = s.zone("landing") / "kkp_nelayan" / "KKP_NELAYAN_2026-Q3.csv"
    assert landed.exists() and landed.read_text().splitlines()[0].count("|") == 7

    dags = load_dags(PROJECT_ROOT / "dags")
    assert "ingest_kkp_nelayan" in dags
    resolve_inputs = {a.name for a in dags["resolve_identities"].timetable.asset_condition.objects}
    assert "konvergensi_staged_kkp_nelayan" in resolve_inputs
    assert run_dag(dags["ingest_kkp_nelayan"], run_date_for("2026-Q3")) == "success"

    accepted = pd.read_parquet(current_batches(s.zone("staging"), "kkp_nelayan")["2026-Q3"])
    assert len(accepted) > 0
    assert len(accepted) <= summary.rows["kkp_nelayan"]["2026-Q3"]
    assert accepted["intervention_date"].notna().all()
    assert (accepted["nik_status"] == "valid").mean() > 0.8
