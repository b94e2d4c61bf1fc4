"""JSON arrays and newline-delimited JSON: numbers kept as written, records that are not objects
or not valid JSON rejected with their text, truncated files and non-tables refused."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from konvergensi.ingest.errors import UnreadableFileError
from tests.corpus.build import (
    COLUMNS,
    HEADER,
    make_contract,
    people,
    rejected,
    stage,
    staged,
)


def _records(n: int) -> list[dict]:
    return [dict(zip(HEADER, row, strict=True)) for row in people(n)]


def _land(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / "landing" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _contract(tmp_path: Path, kind: str):
    return make_contract(tmp_path / "contracts", {"type": kind}, extension=kind)


def test_json_numbers_are_kept_as_written(tmp_path):
    text = json.dumps(_records(3))
    # NIKs written as JSON numbers: an exact integer (a Papua prefix above 2^53 too) and the
    # float Excel leaves behind. Neither may pass through a float.
    text = text.replace('"5301245203800002"', "9171054509900002")
    text = text.replace('"5301241303800003"', "5.30124E+15")
    landed = _land(tmp_path, "uji_2026-09.json", text.encode())

    frame = staged(stage(_contract(tmp_path, "json"), landed, tmp_path))

    assert frame["nik_raw"].tolist() == ["5301241103800001", "9171054509900002", "5.30124E+15"]
    assert frame["nik_status"].tolist() == ["valid", "valid", "damaged"]
    assert frame["nik_reason"].tolist()[2] == "scientific notation"


def test_json_numbers_keep_their_value_and_strings_follow_the_convention(tmp_path):
    records = _records(4)
    sizes = ["#150.375", "#2.125", "150.375", "Rp 300.000,-"]
    for record, size in zip(records, sizes, strict=True):
        record["luas"] = size
    # `#...` becomes a JSON number (no quotes); the others stay JSON strings.
    text = json.dumps(records).replace('"#150.375"', "150.375").replace('"#2.125"', "2.125")
    landed = _land(tmp_path, "uji_2026-09.json", text.encode())
    contract = make_contract(
        tmp_path / "contracts",
        {"type": "json"},
        extension="json",
        columns={**COLUMNS, "quantity": "luas"},
    )

    frame = staged(stage(contract, landed, tmp_path))

    assert frame["quantity_raw"].tolist() == ["150.375", "2.125", "150.375", "Rp 300.000,-"]
    assert frame["quantity"].tolist() == [150.375, 2.125, 150375.0, 300000.0]


def test_json_object_holding_one_list_and_non_object_elements(tmp_path):
    records = _records(3)
    data = {"meta": {"periode": "2026-09"}, "data": [records[0], "R999", records[1], [1, 2]]}
    landed = _land(tmp_path, "uji_2026-09.json", json.dumps(data).encode())

    result = stage(_contract(tmp_path, "json"), landed, tmp_path)

    assert staged(result)["_row_number"].tolist() == [1, 3]
    assert rejected(result)[["_row_number", "reason", "text"]].values.tolist() == [
        [2, "is a JSON str, not an object (one object per array element)", '"R999"'],
        [4, "is a JSON list, not an object (one object per array element)", "[1, 2]"],
    ]


def test_ndjson_bad_line_is_rejected_and_gzip_is_unpacked(tmp_path):
    lines = [json.dumps(r) for r in _records(4)]
    lines[1] = lines[1][:-5]  # a line cut in the middle of the file
    lines.insert(3, "")
    data = gzip.compress(("\n".join(lines) + "\n").encode())
    landed = _land(tmp_path, "uji_2026-09.ndjson.gz", data)

    result = stage(_contract(tmp_path, "ndjson"), landed, tmp_path)

    assert staged(result)["source_record_id"].tolist() == ["R001", "R003", "R004"]
    assert staged(result)["_row_number"].tolist() == [1, 3, 5]
    assert rejected(result)[["_row_number", "text"]].values.tolist() == [[2, lines[1]]]
    assert rejected(result)["reason"].tolist()[0].startswith("is not valid JSON")
    assert (result.rows_read, result.blank_rows) == (4, 1)


def test_ndjson_record_with_a_key_the_others_do_not_have_is_rejected(tmp_path):
    records = _records(3)
    records[2]["catatan"] = "baru"
    text = "\n".join(json.dumps(r) for r in records) + "\n"
    landed = _land(tmp_path, "uji_2026-09.ndjson", text.encode())

    result = stage(_contract(tmp_path, "ndjson"), landed, tmp_path)

    assert result.extra_columns == ["catatan"]
    assert staged(result)["extra__catatan"].fillna("-").tolist() == ["-", "-", "baru"]


@pytest.mark.parametrize("kind", ["json", "ndjson"])
def test_keys_with_spaces_around_them_are_matched_to_their_columns(tmp_path, kind):
    records = _records(3)
    for record in records:
        record[" nama "] = record.pop("nama")  # a spreadsheet header cell with spaces
    text = (
        json.dumps(records) if kind == "json" else "\n".join(json.dumps(r) for r in records) + "\n"
    )
    landed = _land(tmp_path, f"uji_2026-09.{kind}", text.encode())

    result = stage(_contract(tmp_path, kind), landed, tmp_path)

    assert result.rows_rejected == 0
    assert staged(result)["full_name"].tolist() == [r[3] for r in people(3)]


@pytest.mark.parametrize(
    "ending",
    ["\n\n", "\n\n\n", "\r\n", "\r\n\r\n"],
    ids=["blank-line", "two-blank-lines", "crlf", "crlf-blank-line"],
)
def test_ndjson_ending_in_blank_lines_is_read_whole(tmp_path, ending):
    newline = "\r\n" if ending.startswith("\r") else "\n"
    text = newline.join(json.dumps(r) for r in _records(3)) + ending
    landed = _land(tmp_path, "uji_2026-09.ndjson", text.encode())

    result = stage(_contract(tmp_path, "ndjson"), landed, tmp_path)

    assert staged(result)["_row_number"].tolist() == [1, 2, 3]
    assert result.blank_rows == ending.count("\n") - 1
    assert (result.rows_read, result.rows_rejected) == (3, 0)


def test_json_obeys_the_contract_encoding(tmp_path):
    records = _records(2)
    records[0]["nama"] = "Yohana Šelan"  # Š is 0xA6 in ISO-8859-15, where cp1252 has ¦
    data = json.dumps(records, ensure_ascii=False).encode("iso-8859-15")
    landed = _land(tmp_path, "uji_2026-09.json", data)
    contract = make_contract(
        tmp_path / "contracts", {"type": "json", "encoding": "iso-8859-15"}, extension="json"
    )

    result = stage(contract, landed, tmp_path)

    assert result.encoding == "iso-8859-15"
    assert staged(result)["full_name"].tolist()[0] == "Yohana Šelan"


@pytest.mark.parametrize(
    ("kind", "data", "expected"),
    [
        (
            "ndjson",
            (json.dumps(_records(2)[0]) + "\n" + json.dumps(_records(2)[1])[:-9]).encode(),
            "uji_2026-09.ndjson: the last line (2) is cut off (Unterminated string starting "
            "at); the file was truncated in transfer: ask the ministry to resend it",
        ),
        (
            "json",
            json.dumps(_records(3)).encode()[:-40],
            "uji_2026-09.json: invalid JSON at line 1 column",
        ),
        (
            "json",
            b'{"status": "ok", "jumlah": 3}',
            "uji_2026-09.json: a JSON object with keys ['status', 'jumlah'], not a list of "
            "records; not a table: ask the ministry for the records export",
        ),
        (
            "json",
            b"[]",
            "uji_2026-09.json: the file holds no records; ask the ministry whether the export "
            "was cut short",
        ),
        (
            "json",
            b'[1, "a"]',
            "uji_2026-09.json: no array element holds a JSON object; not a table of records: "
            "ask the ministry for the records export",
        ),
        (
            "json",
            b"%PDF-1.4\n",
            "uji_2026-09.json: this is a PDF document, not a JSON file; ask the ministry for "
            "the JSON export",
        ),
    ],
    ids=["ndjson-cut", "json-cut", "json-object", "json-empty-list", "json-scalars", "pdf"],
)
def test_json_that_cannot_be_read_fails_the_file(tmp_path, kind, data, expected):
    landed = _land(tmp_path, f"uji_2026-09.{kind}", data)
    with pytest.raises(UnreadableFileError) as failure:
        stage(_contract(tmp_path, kind), landed, tmp_path)
    assert str(failure.value).startswith(expected)
