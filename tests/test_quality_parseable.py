"""The `parseable` rule: a value that was sent but could not be read (a date, a number, a decile,
a yes/no flag) quarantines or flags its row with the column and the value as sent, through the
real archive -> stage -> validate path. Generated people only."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from konvergensi import pipeline
from konvergensi.contracts import load_contract
from konvergensi.quality.rules import row_checks

HEADER = ["id", "nik", "nama", "jk", "tgl_lahir", "kode_desa", "tgl", "nilai", "jumlah", "desil"]


def _row(i: int, **changes: str) -> dict[str, str]:
    row = {
        "id": f"R{i}",
        "nik": f"530124520380{i:04d}",
        "nama": f"Maria Uji{chr(64 + i)}",
        "jk": "P",
        "tgl_lahir": "12/03/1980",
        "kode_desa": "5301242002",
        "tgl": "05/09/2026",
        "nilai": "300000",
        "jumlah": "10",
        "desil": "2",
    }
    return {**row, **changes}


def _contract(folder: Path, rows: list[dict]) -> None:
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
            "full_name": "nama",
            "sex": "jk",
            "birth_date": "tgl_lahir",
            "village_code": "kode_desa",
            "intervention_date": "tgl",
            "amount": "nilai",
            "quantity": "jumlah",
            "welfare_decile": "desil",
        },
        "quality": {"rows": rows, "batch": []},
    }
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "uji_sumber.yaml").write_text(yaml.safe_dump(contract))


@pytest.fixture
def contracts_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "contracts"
    monkeypatch.setenv("KONVERGENSI_CONTRACTS_DIR", str(folder))
    return folder


def test_values_sent_but_not_read_are_quarantined_or_flagged_with_their_column(
    data_root: Path, contracts_dir: Path
) -> None:
    # Only the birth date is listed (as a warning): every other parsed field the contract maps
    # is checked at severity error without being listed.
    _contract(contracts_dir, [{"rule": "parseable", "severity": "warn", "columns": ["birth_date"]}])
    rows = [
        _row(1, jumlah="12,5"),  # a decimal comma: read, accepted
        _row(2, nilai="300,000"),  # 300 or 300000: never guessed
        _row(3, desil="Desil 3"),
        _row(4, tgl="5 Sept 2026"),
        _row(5, tgl_lahir="31/02/1980"),
        _row(6, desil=""),  # empty is missing, not unparseable
    ]
    landing = data_root / "landing" / "uji_sumber"
    landing.mkdir(parents=True)
    pd.DataFrame(rows, columns=HEADER).to_csv(landing / "uji_2026-09.csv", sep=";", index=False)
    staged = pipeline.stage("uji_sumber", pipeline.archive_period("uji_sumber", "2026-09"))

    summary = pipeline.validate("uji_sumber", "2026-09", staged["batch_id"])

    batch = data_root / "staging/uji_sumber/period=2026-09" / f"batch={summary['batch_id']}"
    accepted = pd.read_parquet(batch / "accepted.parquet").set_index("_row_number")
    quarantine = data_root / "quarantine/uji_sumber/period=2026-09" / batch.name
    quarantined = pd.read_parquet(quarantine / "records.parquet")
    violations = pd.read_parquet(quarantine / "violations.parquet")
    assert (summary["rows_accepted"], summary["rows_quarantined"]) == (3, 3)
    assert summary["rows_flagged"] == 1
    assert violations[["_row_number", "severity", "column", "value"]].values.tolist() == [
        [5, "warn", "birth_date_raw", "31/02/1980"],
        [4, "error", "intervention_date_raw", "5 Sept 2026"],
        [2, "error", "amount_raw", "300,000"],
        [3, "error", "welfare_decile_raw", "Desil 3"],
    ]
    assert set(violations["rule"]) == {"parseable"}
    assert violations["reason"].tolist()[2] == (
        "`nilai` (amount) was sent but could not be read as a number"
    )
    assert quarantined["_row_number"].tolist() == [2, 3, 4]
    assert quarantined["_reasons"].tolist() == ["parseable"] * 3
    assert accepted["quantity"][1] == 12.5
    assert accepted["_warnings"].fillna("").to_dict() == {1: "", 5: "parseable", 6: ""}


def test_parseable_refuses_a_field_it_does_not_check(contracts_dir: Path) -> None:
    _contract(contracts_dir, [{"rule": "parseable", "columns": ["full_name"]}])
    contract = load_contract(contracts_dir / "uji_sumber.yaml")
    with pytest.raises(ValueError, match=r"rule parseable names \['full_name'\]; it checks"):
        row_checks(contract)
