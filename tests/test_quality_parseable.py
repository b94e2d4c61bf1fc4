"""The `parseable` rule: a value that was sent but could not be read (a date, a number, a decile,
a yes/no flag) quarantines or flags its row with the column and the value as sent, through the
real archive -> stage -> validate path. Generated people only."""

from __future__ import annotations

from pathlib import Path

import pytest

from konvergensi.contracts import load_contract
from konvergensi.quality.rules import row_checks
from tests.test_quality_rules import _contract, _deliver, _outputs, _row


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
    warn = [{"rule": "parseable", "severity": "warn", "columns": ["birth_date"]}]
    _contract(contracts_dir, warn, [])
    rows = [
        _row(1, jumlah="12,5"),  # a decimal comma: read, accepted
        _row(2, nilai="300,000"),  # 300 or 300000: never guessed
        _row(3, desil="Desil 3"),
        _row(4, tgl="5 Sept 2026"),
        _row(5, tgl_lahir="31/02/1980"),
        _row(6, desil=""),  # empty is missing, not unparseable
    ]
    summary = _deliver(data_root, "2026-09", rows)

    accepted, quarantined, violations = _outputs(data_root, summary)
    accepted = accepted.set_index("_row_number")
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
    _contract(contracts_dir, [{"rule": "parseable", "columns": ["full_name"]}], [])
    contract = load_contract(contracts_dir / "uji_sumber.yaml")
    with pytest.raises(ValueError, match=r"rule parseable names \['full_name'\]; it checks"):
        row_checks(contract)
