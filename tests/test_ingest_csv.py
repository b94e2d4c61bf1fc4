"""Delimited text as ministries export it: every delimiter and encoding, quoted newlines, title
rows, rows with the wrong number of fields, and files cut short or not text at all.

Each case checks the values read (or the exact error) and that records in = staged + rejected.
"""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

import pytest

from konvergensi.contracts import ContractError
from konvergensi.ingest import csv_reader, payload
from konvergensi.ingest.errors import UnreadableFileError
from tests.corpus.build import (
    HEADER,
    csv_text,
    make_contract,
    people,
    person,
    rejected,
    stage,
    staged,
)


def _landed(tmp_path: Path, name: str, data: bytes) -> Path:
    folder = tmp_path / "landing"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("delimiter", "declared", "encoding", "expected_encoding"),
    [
        (",", ",", "utf-8", "utf-8"),
        (";", "auto", "utf-8", "utf-8"),
        ("|", "|", "utf-8-sig", "utf-8-sig"),
        ("\t", "auto", "utf-16", "utf-16"),
        (";", ";", "cp1252", "cp1252"),
    ],
)
def test_delimiters_and_encodings(tmp_path, delimiter, declared, encoding, expected_encoding):
    rows = people(5)
    rows[2][3] = "José Ba’u"  # cp1252 has both characters, as real Windows exports do
    landed = _landed(tmp_path, "uji_2026-09.csv", csv_text(rows, delimiter).encode(encoding))
    contract = make_contract(tmp_path / "contracts", {"type": "csv", "delimiter": declared})

    result = stage(contract, landed, tmp_path)
    frame = staged(result)

    assert (result.encoding, result.delimiter) == (expected_encoding, delimiter)
    assert result.column_map["source_record_id"] == "id"  # no BOM left on the first name
    assert frame["full_name"].tolist() == [r[3] for r in rows]
    assert frame["nik_raw"].tolist() == [r[1] for r in rows]
    assert frame["_row_number"].tolist() == [1, 2, 3, 4, 5]
    assert result.rows_read == 5 and result.rows_rejected == 0


def test_quoted_values_with_newlines_and_title_rows(tmp_path):
    rows = people(4)
    header = [*HEADER, "alamat"]
    rows = [[*r, f"Jl. Timor Raya {i}\nRT 01/RW 02"] for i, r in enumerate(rows, 1)]
    title = "DAFTAR PENERIMA PROGRAM UJI\nPeriode: 2026-09\n\n"
    text = title + csv_text(rows, ";", header)
    landed = _landed(tmp_path, "uji_2026-09.csv", text.encode())
    contract = make_contract(
        tmp_path / "contracts", {"type": "csv", "delimiter": ";", "header_row": 4}
    )

    result = stage(contract, landed, tmp_path)
    frame = staged(result)

    assert frame["extra__alamat"].tolist() == [r[-1] for r in rows]
    assert frame["source_record_id"].tolist() == ["R001", "R002", "R003", "R004"]
    assert result.extra_columns == ["alamat"] and result.first_data_row == 4


def test_a_quoted_title_cell_spanning_lines_is_skipped_with_the_title(tmp_path):
    title = '"DAFTAR PENERIMA\nPROGRAM UJI 2026";;\n'
    lines = csv_text(people(3), ";").splitlines()
    lines[2] += ";x"  # record 2 has a field too many: its number must stay 2
    landed = _landed(tmp_path, "uji_2026-09.csv", (title + "\n".join(lines) + "\n").encode())
    contract = make_contract(
        tmp_path / "contracts", {"type": "csv", "delimiter": ";", "header_row": 2}
    )

    result = stage(contract, landed, tmp_path)

    assert staged(result)["source_record_id"].tolist() == ["R001", "R003"]
    assert staged(result)["_row_number"].tolist() == [1, 3]
    assert rejected(result)["_row_number"].tolist() == [2]
    assert result.first_data_row == 3  # the header is on the file's third line


def test_rows_with_wrong_field_counts_are_rejected_not_dropped(tmp_path, monkeypatch):
    # Small blocks and chunks, so rejected rows fall on batch and chunk boundaries.
    monkeypatch.setattr(csv_reader, "BLOCK_BYTES", 256)
    monkeypatch.setattr(csv_reader, "CHUNK_ROWS", 4)
    lines = csv_text(people(12), ";").splitlines()
    lines[3] = lines[3] + ";Kupang"  # record 3: an unquoted ';' in a value
    lines[8] = ";".join(lines[8].split(";")[:4])  # record 8: fields missing
    landed = _landed(tmp_path, "uji_2026-09.csv", ("\n".join(lines) + "\n").encode())
    contract = make_contract(tmp_path / "contracts", {"type": "csv", "delimiter": ";"})

    result = stage(contract, landed, tmp_path)
    frame = staged(result)
    bad = rejected(result)

    assert (result.rows_read, result.rows, result.rows_rejected) == (12, 10, 2)
    assert frame["_row_number"].tolist() == [1, 2, 4, 5, 6, 7, 9, 10, 11, 12]
    assert frame["source_record_id"].tolist() == [f"R{i:03d}" for i in (1, 2, 4, 5, 6, 7, 9)] + [
        "R010",
        "R011",
        "R012",
    ]
    assert bad[["_row_number", "reason", "text"]].values.tolist() == [
        [3, "has 8 fields, the header has 7", lines[3]],
        [8, "has 4 fields, the header has 7", lines[8]],
    ]
    assert bad["_file_name"].unique().tolist() == ["uji_2026-09.csv"]


def test_blank_lines_are_counted_not_staged(tmp_path):
    lines = csv_text(people(3), ",").splitlines()
    text = "\n".join([lines[0], lines[1], "", lines[2], "", lines[3]]) + "\n"
    landed = _landed(tmp_path, "uji_2026-09.csv", text.encode())
    contract = make_contract(tmp_path / "contracts", {"type": "csv"})

    result = stage(contract, landed, tmp_path)

    assert staged(result)["_row_number"].tolist() == [1, 3, 5]
    assert (result.rows, result.blank_rows, result.rows_rejected) == (3, 2, 0)


def test_repeated_and_blank_header_names_are_renamed_and_reported(tmp_path):
    header = [*HEADER, "keterangan", "keterangan", ""]
    rows = [[*r, "a", "b", "c"] for r in people(2)]
    landed = _landed(tmp_path, "uji_2026-09.csv", csv_text(rows, ",", header).encode())
    contract = make_contract(tmp_path / "contracts", {"type": "csv"})

    result = stage(contract, landed, tmp_path)
    frame = staged(result)

    assert result.extra_columns == ["keterangan", "keterangan.1", "_unnamed_10"]
    assert result.renamed_columns == {
        "keterangan.1": "column 9 header 'keterangan'",
        "_unnamed_10": "column 10 header ''",
    }
    assert frame["extra__keterangan.1"].tolist() == ["b", "b"]


@pytest.mark.parametrize("wrap", ["gzip", "zip"])
def test_compressed_csv(tmp_path, wrap):
    data = csv_text(people(3), ";").encode("cp1252")
    if wrap == "gzip":
        landed = _landed(tmp_path, "uji_2026-09.csv.gz", gzip.compress(data))
    else:
        landed = tmp_path / "landing" / "uji_2026-09.csv.zip"
        landed.parent.mkdir()
        with zipfile.ZipFile(landed, "w") as archive:
            archive.writestr("export/uji_2026-09.csv", data)
    contract = make_contract(tmp_path / "contracts", {"type": "csv", "delimiter": "auto"})

    result = stage(contract, landed, tmp_path)

    assert staged(result)["source_record_id"].tolist() == ["R001", "R002", "R003"]
    assert (result.encoding, result.delimiter) == ("utf-8", ";")


def _fails(tmp_path: Path, name: str, data: bytes, fmt: dict | None = None) -> str:
    landed = _landed(tmp_path, name, data)
    contract = make_contract(tmp_path / "contracts", fmt or {"type": "csv", "delimiter": ","})
    with pytest.raises(UnreadableFileError) as failure:
        stage(contract, landed, tmp_path)
    batches = list((tmp_path / "staging").rglob("batch=*"))
    assert batches == [], "a failed file must leave no batch behind"
    return str(failure.value)


def test_unterminated_quote_at_end_fails_the_file(tmp_path):
    text = csv_text(people(3), ",") + 'R004,5301245003800004,"Maria Ne'
    message = _fails(tmp_path, "uji_2026-09.csv", text.encode())
    assert message == (
        "uji_2026-09.csv: record 4 opens a quoted value that is never closed (starts "
        "'R004,5301245003800004,\"Maria Ne'); the file is truncated or has a stray quote: "
        "ask the ministry to resend it"
    )


def test_file_cut_mid_row_fails_the_file(tmp_path):
    text = csv_text(people(3), ",") + "R004,5301245003800004,530124"
    message = _fails(tmp_path, "uji_2026-09.csv", text.encode())
    assert message == (
        "uji_2026-09.csv: the file ends in the middle of record 4 (3 of 7 fields, no line "
        "end); it was cut off in transfer: ask the ministry to resend it"
    )


def test_truncated_gzip_fails_the_file(tmp_path):
    data = gzip.compress(csv_text(people(200), ",").encode())
    message = _fails(tmp_path, "uji_2026-09.csv.gz", data[: len(data) // 2])
    assert message.startswith("uji_2026-09.csv.gz: the compressed file is truncated or damaged")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "uji_2026-09.csv: file is empty; ask the ministry to resend it"),
        (b"\n\n  \n", "uji_2026-09.csv: file is empty; ask the ministry to resend it"),
        (
            ",".join(HEADER).encode() + b"\n",
            "uji_2026-09.csv: the file has a header but no data rows; ask the ministry "
            "whether the export was cut short",
        ),
        (
            b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n",
            "uji_2026-09.csv: this is a PDF document, not a delimited text (CSV) file; ask the "
            "ministry for the CSV export",
        ),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
            "uji_2026-09.csv: this is a PNG image, not a delimited text (CSV) file; ask the "
            "ministry for the CSV export",
        ),
        (
            b"PK\x03\x04\x14\x00\x06\x00[Content_Types].xml",
            "uji_2026-09.csv: this is a zip-based Office file (.xlsx/.docx), not a delimited "
            "text (CSV) file; ask the ministry for the CSV export; if the ministry now sends "
            "Excel, set format.type: xlsx in contracts/uji_ingest.yaml",
        ),
    ],
    ids=["empty", "whitespace", "header-only", "pdf", "png", "xlsx-as-csv"],
)
def test_unreadable_files_fail_with_an_operator_message(tmp_path, data, expected):
    assert _fails(tmp_path, "uji_2026-09.csv", data) == expected


def test_password_protected_zip_fails_the_file(tmp_path):
    landed = tmp_path / "landing" / "uji_2026-09.csv.zip"
    landed.parent.mkdir()
    with zipfile.ZipFile(landed, "w") as archive:
        archive.writestr("uji.csv", csv_text(people(2)))
    raw = bytearray(landed.read_bytes())
    for header in (b"PK\x03\x04", b"PK\x01\x02"):  # set the 'encrypted' flag as zip -P does
        at = raw.find(header)
        raw[at + (6 if header == b"PK\x03\x04" else 8)] |= 0x1
    message = _fails(tmp_path, "uji_2026-09.csv.zip", bytes(raw))
    assert message == (
        "uji_2026-09.csv.zip: zip archive is password-protected; ask the ministry for an "
        "unencrypted file (send the password separately only if it cannot be avoided)"
    )


def test_zip_with_two_files_fails_the_file(tmp_path):
    landed = tmp_path / "uji.zip"
    with zipfile.ZipFile(landed, "w") as archive:
        archive.writestr("a.csv", csv_text(people(2)))
        archive.writestr("b.csv", csv_text(people(2)))
    message = _fails(tmp_path, "uji_2026-09.csv.zip", landed.read_bytes())
    assert message == (
        "uji_2026-09.csv.zip: zip archive holds 2 files; deliver exactly one extract per archive"
    )


def test_zip_from_macos_finder_or_windows_explorer_is_read(tmp_path):
    landed = tmp_path / "landing" / "uji_2026-09.csv.zip"
    landed.parent.mkdir()
    with zipfile.ZipFile(landed, "w") as archive:
        archive.writestr("uji_2026-09.csv", csv_text(people(3), ";"))
        archive.writestr("__MACOSX/._uji_2026-09.csv", b"\x00\x05\x16\x07" + b"\x00" * 60)
        archive.writestr(".DS_Store", b"\x00\x00\x00\x01Bud1")
        archive.writestr("Thumbs.db", b"\xd0\xcf\x11\xe0")
    contract = make_contract(tmp_path / "contracts", {"type": "csv", "delimiter": ";"})

    result = stage(contract, landed, tmp_path)

    assert staged(result)["source_record_id"].tolist() == ["R001", "R002", "R003"]


def _mixed_encodings() -> bytes:
    """UTF-8 text with one record appended by a Windows-1252 program."""
    rows = people(4)
    rows[0][3] = "Yohana Ba’u"
    data = csv_text(rows, ";").encode("utf-8")
    return data.replace(b"Siti Aminah", "Siti Amînah".encode("cp1252"))


@pytest.mark.parametrize("utf8_name", ["Yohana Ba’u", "José Tefa", "Yohana 😀 Selan"])
@pytest.mark.parametrize("block", [1 << 20, 5], ids=["one-block", "sequences-cut-by-blocks"])
def test_mixed_utf8_and_windows_1252_is_refused_with_the_line_and_offset(
    tmp_path, monkeypatch, block, utf8_name
):
    monkeypatch.setattr(payload, "_SCAN_BYTES", block)
    data = _mixed_encodings().replace("Yohana Ba’u".encode(), utf8_name.encode())
    message = _fails(tmp_path, "uji_2026-09.csv", data, {"type": "csv", "delimiter": ";"})
    offset = data.index(b"\xee")
    assert message == (
        "uji_2026-09.csv: mixed encodings: the file is UTF-8 but line 4 has a byte that is not "
        f"UTF-8 (0xEE at byte offset {offset}), as when records saved by a Windows program "
        "(Windows-1252) are appended; no single encoding reads every name correctly. Ask the "
        "ministry to re-export the whole file as UTF-8, or, if the file has one known "
        "encoding, set format.encoding in the contract"
    )


def test_a_declared_encoding_is_obeyed_even_for_a_mixed_file(tmp_path):
    landed = _landed(tmp_path, "uji_2026-09.csv", _mixed_encodings())
    contract = make_contract(
        tmp_path / "contracts", {"type": "csv", "delimiter": ";", "encoding": "cp1252"}
    )

    result = stage(contract, landed, tmp_path)

    assert result.encoding == "cp1252"
    assert staged(result)["full_name"].tolist()[2] == "Siti Amînah"


@pytest.mark.parametrize("utf8_text", ["Jl.\u00a0Merdeka", "Blok 5°", "Paket 2×3"])
@pytest.mark.parametrize("block", [1 << 20, 5], ids=["one-block", "sequences-cut-by-blocks"])
def test_latin1_space_and_symbols_in_utf8_make_a_file_with_a_cp1252_byte_mixed(
    tmp_path, monkeypatch, block, utf8_text
):
    """A no-break space, `°` or `×` is two-byte UTF-8 led by 0xC2/0xC3: read as cp1252 it
    would silently become `Â\u00a0`, `Â°`, `Ã—`, so the file is refused, not decoded."""
    monkeypatch.setattr(payload, "_SCAN_BYTES", block)
    rows = people(3)
    rows[0][3] = f"Maria Nenobais {utf8_text}"
    rows[1][3] = "Yohanes Tefa"
    data = csv_text(rows, ";").encode("utf-8")
    data = data.replace(b"Yohanes Tefa", "Yohanes Ba’u".encode("cp1252"))
    message = _fails(tmp_path, "uji_2026-09.csv", data, {"type": "csv", "delimiter": ";"})
    offset = data.index(b"\x92")
    assert message.startswith(
        "uji_2026-09.csv: mixed encodings: the file is UTF-8 but line 3 has a byte that is not "
        f"UTF-8 (0x92 at byte offset {offset})"
    )


@pytest.mark.parametrize("block", [1 << 20, 5], ids=["one-block", "sequences-cut-by-blocks"])
def test_cp1252_bytes_that_happen_to_be_valid_utf8_do_not_make_a_file_mixed(
    tmp_path, monkeypatch, block
):
    monkeypatch.setattr(payload, "_SCAN_BYTES", block)
    rows = people(3)
    rows[0][3] = "ZOË–PUTRI"  # 0xCB 0x96: valid UTF-8 (U+02D6) by accident
    rows[1][3] = "René Selan"  # 0xE9 alone: not UTF-8
    data = csv_text(rows, ";").encode("cp1252")
    assert "ZOË–".encode("cp1252").decode("utf-8") == "ZO\u02d6"
    landed = _landed(tmp_path, "uji_2026-09.csv", data)
    contract = make_contract(tmp_path / "contracts", {"type": "csv", "delimiter": ";"})

    result = stage(contract, landed, tmp_path)

    assert result.encoding == "cp1252"
    assert staged(result)["full_name"].tolist()[:2] == ["ZOË–PUTRI", "René Selan"]


def test_high_bytes_without_any_utf8_sequence_are_windows_1252(tmp_path, monkeypatch):
    monkeypatch.setattr(payload, "_SCAN_BYTES", 64)  # an accented name far from the head
    rows = people(6)
    rows[5][3] = "José Ba’u"
    landed = _landed(tmp_path, "uji_2026-09.csv", csv_text(rows, ";").encode("cp1252"))
    contract = make_contract(tmp_path / "contracts", {"type": "csv", "delimiter": ";"})

    result = stage(contract, landed, tmp_path)

    assert result.encoding == "cp1252"
    assert staged(result)["full_name"].tolist()[5] == "José Ba’u"


def test_utf8_sequences_cut_by_the_scan_blocks_are_still_utf8(tmp_path, monkeypatch):
    monkeypatch.setattr(payload, "_SCAN_BYTES", 3)
    rows = people(4)
    names = ["José Ba’u", "Ñoño Tefa", "Yohana 😀 Selan", "Ana Bénu"]
    for row, name in zip(rows, names, strict=True):
        row[3] = name
    landed = _landed(tmp_path, "uji_2026-09.csv", csv_text(rows, ";").encode())
    contract = make_contract(tmp_path / "contracts", {"type": "csv", "delimiter": ";"})

    result = stage(contract, landed, tmp_path)

    assert result.encoding == "utf-8"
    assert staged(result)["full_name"].tolist() == [r[3] for r in rows]


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ({"delimiter": ";;"}, "format.delimiter: Value error, ';;' is not one character"),
        ({"delimiter": "semicolon"}, "format.delimiter: Value error, 'semicolon' is not one"),
        ({"encoding": "ansi"}, "format.encoding: Value error, 'ansi' is not a known text enc"),
        ({"encoding": "base64"}, "format.encoding: Value error, 'base64' is not a known text"),
    ],
)
def test_bad_delimiter_or_encoding_is_a_contract_error_naming_the_key(tmp_path, fmt, expected):
    with pytest.raises(ContractError) as failure:
        make_contract(tmp_path, {"type": "csv", **fmt})
    assert str(failure.value).startswith(f"contract uji_ingest.yaml is invalid: {expected}")


def test_tab_is_accepted_as_the_name_of_the_tab_delimiter(tmp_path):
    landed = _landed(tmp_path, "uji_2026-09.csv", csv_text(people(2), "\t").encode())
    contract = make_contract(tmp_path / "contracts", {"type": "csv", "delimiter": "tab"})
    result = stage(contract, landed, tmp_path)
    assert (result.delimiter, result.rows) == ("\t", 2)


def test_records_in_equal_staged_plus_rejected_across_many_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_reader, "BLOCK_BYTES", 512)
    monkeypatch.setattr(csv_reader, "CHUNK_ROWS", 7)
    lines = csv_text(people(60), "|").splitlines()
    broken = {5, 7, 8, 21, 34, 60}
    for record in broken:
        lines[record] += "|x"
    lines[50] = lines[50].replace("R050", "R002", 1)  # an id repeated six chunks later
    landed = _landed(tmp_path, "uji_2026-09.csv", ("\n".join(lines) + "\n").encode())
    contract = make_contract(tmp_path / "contracts", {"type": "csv", "delimiter": "|"})

    result = stage(contract, landed, tmp_path)
    frame = staged(result)

    assert (result.rows_read, result.rows_rejected) == (60, 6)
    assert sorted(rejected(result)["_row_number"]) == sorted(broken)
    assert frame["_row_number"].tolist() == [n for n in range(1, 61) if n not in broken]
    expected_ids = [person(n)[0] for n in range(1, 61) if n not in broken]
    expected_ids[expected_ids.index("R050")] = "R002"
    assert frame["source_record_id"].tolist() == expected_ids
    repeats = frame.loc[frame["_record_id_repeat"], ["_row_number", "source_record_id"]]
    assert repeats.values.tolist() == [[50, "R002"]]


def test_short_last_row_with_a_line_end_is_rejected_not_called_truncated(tmp_path):
    lines = csv_text(people(3), "\t").splitlines()
    lines[3] = "\t".join(lines[3].split("\t")[:3])
    text = "\r\n".join(lines) + "\r\n"
    landed = _landed(tmp_path, "uji_2026-09.csv", text.encode("utf-16"))
    contract = make_contract(tmp_path / "contracts", {"type": "csv", "delimiter": "auto"})

    result = stage(contract, landed, tmp_path)

    assert (result.encoding, result.rows, result.rows_rejected) == ("utf-16", 2, 1)
    assert rejected(result)[["_row_number", "text"]].values.tolist() == [[3, lines[3]]]
