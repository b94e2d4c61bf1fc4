"""Excel extracts as ministries send them: title rows, merged and two-row headers, several
sheets, legacy .xls, numbers where text belongs, and workbooks that cannot be opened."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
import xlwt
from msoffcrypto.format.ooxml import OOXMLFile
from openpyxl import Workbook

from konvergensi.contracts import ContractError
from konvergensi.ingest.errors import SchemaDriftError, UnreadableFileError
from tests.corpus.build import COLUMNS, HEADER, make_contract, people, stage, staged


def _xlsx(path: Path, sheets: dict[str, list[list]], merges: dict[str, list[str]] | None = None):
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        for cells in (merges or {}).get(name, []):
            ws.merge_cells(cells)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _contract(tmp_path: Path, fmt: dict, **kwargs):
    return make_contract(tmp_path / "contracts", fmt, extension="xlsx", **kwargs)


def test_title_rows_named_sheet_and_numbers_in_id_columns(tmp_path):
    rows = people(4)
    rows[1][1] = 5301245103800002.0  # Excel kept the NIK as a number: the last digit is suspect
    rows[2][1] = 5.30124e15  # and shown in scientific notation
    rows[3][6] = 5301242002  # a village code typed as a number is still the code
    title = [["DAFTAR PENERIMA"], ["Periode: 2026-09"], []]
    landed = _xlsx(
        tmp_path / "landing" / "uji_2026-09.xlsx",
        {"Catatan": [["baca dulu"]], "Penerima": [*title, HEADER, *rows]},
    )
    contract = _contract(tmp_path, {"type": "xlsx", "sheet": "Penerima", "header_row": 4})

    result = stage(contract, landed, tmp_path)
    frame = staged(result)

    assert result.sheet == "Penerima" and result.first_data_row == 4
    assert frame["nik_raw"].tolist() == [
        rows[0][1],
        "5301245103800002.0",
        "5301240000000000.0",
        rows[3][1],
    ]
    assert frame["nik_status"].tolist() == ["valid", "damaged", "damaged", "valid"]
    assert frame["nik_reason"].tolist()[1:3] == ["ends with .0", "ends with .0"]
    assert frame["village_code"].tolist() == ["53.01.24.2002"] * 4


def test_numeric_cells_keep_their_value_and_text_cells_follow_the_convention(tmp_path):
    rows = people(6)
    sizes = [150.375, 2.125, 1250.5, 300000.0, "150.375", "Rp 300.000,-"]  # last two: text
    body = [[*row, size, 3.0] for row, size in zip(rows, sizes, strict=True)]
    landed = _xlsx(
        tmp_path / "landing" / "uji_2026-09.xlsx", {"Penerima": [[*HEADER, "luas", "desil"], *body]}
    )
    columns = {**COLUMNS, "quantity": "luas", "welfare_decile": "desil"}
    contract = _contract(tmp_path, {"type": "xlsx"}, columns=columns)

    frame = staged(stage(contract, landed, tmp_path))

    assert frame["quantity_raw"].tolist() == [
        "150.375",
        "2.125",
        "1250.5",
        "300000",
        "150.375",
        "Rp 300.000,-",
    ]
    assert frame["quantity"].tolist() == [150.375, 2.125, 1250.5, 300000.0, 150375.0, 300000.0]
    assert set(frame["quantity_flag"]) == {"parsed"}
    assert frame["welfare_decile"].tolist() == [3] * 6


def test_two_row_header_with_merged_group_cells(tmp_path):
    top = ["No", "Identitas", None, None, "Nama", "Lahir", None, "Desa"]
    sub = [None, "id", "nik", "no_kk", None, "jk", "tgl", None]
    rows = [[i, *r[:3], r[3], r[4], r[5], r[6]] for i, r in enumerate(people(3), 1)]
    landed = _xlsx(
        tmp_path / "landing" / "uji_2026-09.xlsx",
        {"Data": [["JUDUL"], top, sub, *rows]},
        {"Data": ["B2:D2", "F2:G2", "A2:A3", "E2:E3", "H2:H3"]},
    )
    columns = {
        "source_record_id": "Identitas id",
        "nik": "Identitas nik",
        "kk": "Identitas no_kk",
        "full_name": "Nama",
        "sex": "Lahir jk",
        "birth_date": "Lahir tgl",
        "village_code": "Desa",
    }
    contract = _contract(
        tmp_path, {"type": "xlsx", "header_row": 2, "header_rows": 2}, columns=columns
    )

    result = stage(contract, landed, tmp_path)
    frame = staged(result)

    assert result.column_map == columns
    assert result.extra_columns == ["No"]
    assert frame["extra__No"].tolist() == ["1", "2", "3"]
    assert frame["birth_date"].dt.strftime("%Y-%m-%d").tolist() == [
        "1980-03-11",
        "1980-03-12",
        "1980-03-13",
    ]
    assert frame["_row_number"].tolist() == [1, 2, 3] and result.first_data_row == 3


def test_sheet_found_by_rule_and_by_its_header(tmp_path):
    other = [["ringkasan", "jumlah"], ["Baumata", 3]]
    data = [HEADER, *people(2)]
    sheets = {
        "Petunjuk": [["isi sheet Data"]],
        "Rekap": other,
        "Data Sept": data,
        "Data Lama": data,
    }
    landed = _xlsx(tmp_path / "landing" / "uji_2026-09.xlsx", sheets)

    by_header = stage(_contract(tmp_path, {"type": "xlsx"}), landed, tmp_path)
    by_rule = stage(
        _contract(tmp_path, {"type": "xlsx", "sheet_match": "^data (?!lama)"}),
        landed,
        tmp_path / "second",
    )

    assert by_header.sheet == "Data Sept" and by_rule.sheet == "Data Sept"
    assert staged(by_header)["source_record_id"].tolist() == ["R001", "R002"]


def test_sheet_rule_that_matches_nothing_names_the_sheets(tmp_path):
    landed = _xlsx(tmp_path / "landing" / "uji_2026-09.xlsx", {"Rekap": [["a"]], "Data": [["b"]]})
    contract = _contract(tmp_path, {"type": "xlsx", "sheet_match": "penerima"})
    with pytest.raises(UnreadableFileError) as failure:
        stage(contract, landed, tmp_path)
    assert str(failure.value) == (
        "uji_2026-09.xlsx: no sheet name matches format.sheet_match 'penerima' (sheets: "
        "'Rekap', 'Data'); fix the rule in contracts/uji_ingest.yaml"
    )


def test_sheet_and_sheet_match_together_are_a_contract_error(tmp_path):
    with pytest.raises(ContractError, match=r"give format\.sheet or format\.sheet_match, not both"):
        _contract(tmp_path, {"type": "xlsx", "sheet": "Data", "sheet_match": "Data"})


def test_when_no_sheet_has_the_columns_drift_names_the_closest_sheet(tmp_path):
    renamed = ["id", "no_ktp_penerima", "no_kk", "nama", "jk", "tgl_lahir", "kode_desa"]
    sheets = {"Rekap": [["x"]], "Data": [renamed, *people(2)]}
    landed = _xlsx(tmp_path / "landing" / "uji_2026-09.xlsx", sheets)
    with pytest.raises(SchemaDriftError) as failure:
        stage(_contract(tmp_path, {"type": "xlsx"}), landed, tmp_path)
    assert str(failure.value).startswith(
        "column `nik` not found in uji_2026-09.xlsx; contract uji_ingest maps nik <- nik; "
        "found similar: `no_kk`"
    )


def test_legacy_xls_with_numeric_sex_codes(tmp_path):
    book = xlwt.Workbook()
    sheet = book.add_sheet("Sheet1", cell_overwrite_ok=True)
    rows = [HEADER, *people(3)]
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    sheet.write(1, 4, 1)  # sex written as the number 1 / 2
    sheet.write(2, 4, 2)
    sheet.write(3, 5, dt.datetime(1980, 3, 13), xlwt.easyxf(num_format_str="DD-MM-YYYY"))
    landed = tmp_path / "landing" / "uji_2026-09.xls"
    landed.parent.mkdir()
    book.save(str(landed))
    contract = make_contract(
        tmp_path / "contracts",
        {"type": "xls"},
        parsing={"sex_codes": {"1": "L", "2": "P"}},
        extension="xls",
    )

    result = stage(contract, landed, tmp_path)
    frame = staged(result)

    assert frame["sex_raw"].tolist() == ["1", "2", "L"]
    assert frame["sex"].tolist() == ["L", "P", "L"]
    assert frame["birth_date_raw"].tolist()[2] == "1980-03-13"  # a date cell, read as ISO
    assert frame["birth_date"].dt.strftime("%d-%m-%Y").tolist() == [
        "11-03-1980",
        "12-03-1980",
        "13-03-1980",
    ]
    assert frame["nik"].tolist() == [r[1] for r in people(3)]


def test_blank_rows_in_a_sheet_are_counted(tmp_path):
    rows = people(3)
    landed = _xlsx(
        tmp_path / "landing" / "uji_2026-09.xlsx",
        {"Data": [HEADER, rows[0], [], rows[1], [None] * 7, rows[2]]},
    )
    result = stage(_contract(tmp_path, {"type": "xlsx"}), landed, tmp_path)
    assert staged(result)["_row_number"].tolist() == [1, 3, 5]
    assert (result.rows, result.blank_rows) == (3, 2)


def test_xlsx_inside_a_zip(tmp_path):
    book = _xlsx(tmp_path / "book.xlsx", {"Data": [HEADER, *people(2)]})
    landed = tmp_path / "landing" / "uji_2026-09.xlsx.zip"
    landed.parent.mkdir()
    with zipfile.ZipFile(landed, "w") as archive:
        archive.write(book, "uji_2026-09.xlsx")
    result = stage(_contract(tmp_path, {"type": "xlsx"}), landed, tmp_path)
    assert staged(result)["source_record_id"].tolist() == ["R001", "R002"]


def _encrypted(tmp_path: Path) -> bytes:
    plain = _xlsx(tmp_path / "plain.xlsx", {"Data": [HEADER, *people(2)]})
    out = io.BytesIO()
    with plain.open("rb") as handle:
        OOXMLFile(handle).encrypt("rahasia", out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (
            _encrypted,
            "uji_2026-09.xlsx: the workbook is password-protected; ask the ministry for a "
            "copy without a password",
        ),
        (
            lambda tmp: _xlsx(tmp / "b.xlsx", {"Data": [HEADER, *people(50)]}).read_bytes()[:900],
            "uji_2026-09.xlsx: not a readable workbook (Cannot detect file format); the file "
            "is truncated or damaged: ask the ministry to resend it",
        ),
        (
            lambda tmp: b"<html><body><table><tr><td>nik</td></tr></table></body></html>",
            "uji_2026-09.xlsx: this is an HTML page (a web system's 'export to Excel'), not an "
            "Excel workbook; ask the ministry for a real .xlsx export, or set format.type in "
            "the contract if they now send another format",
        ),
        (
            lambda tmp: ",".join(HEADER).encode() + b"\nR001,1,2,a,L,x,y\n",
            "uji_2026-09.xlsx: this is a text file (CSV?), not an Excel workbook; ask the "
            "ministry for a real .xlsx export, or set format.type in the contract if they now "
            "send another format",
        ),
        (
            lambda tmp: _xlsx(tmp / "e.xlsx", {"Data": []}).read_bytes(),
            "uji_2026-09.xlsx: sheet 'Data' has no header at row 1; the file is empty or "
            "format.header_row in the contract is wrong",
        ),
        (
            lambda tmp: _xlsx(tmp / "h.xlsx", {"Data": [HEADER]}).read_bytes(),
            "uji_2026-09.xlsx: the file has a header but no data rows; ask the ministry "
            "whether the export was cut short",
        ),
    ],
    ids=["password", "truncated", "html", "csv-as-xlsx", "empty-sheet", "header-only"],
)
def test_workbooks_that_cannot_be_read_fail_with_an_operator_message(tmp_path, build, expected):
    landed = tmp_path / "landing" / "uji_2026-09.xlsx"
    landed.parent.mkdir()
    landed.write_bytes(build(tmp_path))
    with pytest.raises(UnreadableFileError) as failure:
        stage(_contract(tmp_path, {"type": "xlsx"}), landed, tmp_path)
    assert str(failure.value) == expected
    assert list((tmp_path / "staging").rglob("batch=*")) == []
