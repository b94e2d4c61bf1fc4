"""Read a delivered file as text, in bounded chunks, whatever its type.

Every value comes back as a string (or None): no float ever touches an ID. Numbers that a
spreadsheet or JSON file stored as numbers are rendered with `repr`, so a NIK that Excel turned
into a float keeps its tell-tale `.0` or exponent and is classified as damaged downstream.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

import pandas as pd

from konvergensi.contracts import Contract
from konvergensi.ingest.errors import UnreadableFileError

CHUNK_ROWS = 200_000
ROW_NUMBER = "_row_number"
_SNIFF_BYTES = 64 * 1024
_DELIMITERS = ",;|\t"


@dataclass
class ReadInfo:
    """What the reader found out about a file while reading it."""

    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    columns: list[str] = field(default_factory=list)


def _compression(path: Path) -> str | None:
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic[:2] == b"\x1f\x8b":
        return "gzip"
    if magic == b"PK\x03\x04" and path.suffix.lower() == ".zip":
        return "zip"
    return None


@contextmanager
def _open_binary(path: Path) -> Iterator[IO[bytes]]:
    """Open a file, transparently unpacking gzip or a single-member zip."""
    kind = _compression(path)
    if kind == "gzip":
        with gzip.open(path, "rb") as handle:
            yield handle
    elif kind == "zip":
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            if len(members) != 1:
                raise UnreadableFileError(
                    f"{path.name}: zip archive holds {len(members)} files; "
                    "deliver exactly one extract per archive"
                )
            if members[0].flag_bits & 0x1:
                raise UnreadableFileError(
                    f"{path.name}: zip archive is password-protected; ask the ministry "
                    "for an unencrypted file"
                )
            with archive.open(members[0]) as handle:
                yield handle
    else:
        with path.open("rb") as handle:
            yield handle


def detect_encoding(path: Path) -> str:
    """UTF-8 with BOM, UTF-8, or Windows-1252 (the only legacy encoding ministries send)."""
    with _open_binary(path) as handle:
        head = handle.read(4)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        decoder = codecs.getincrementaldecoder("utf-8")()
        block = head
        try:
            while block:
                decoder.decode(block)
                block = handle.read(1 << 20)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8"


def _sniff_delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        counts = {d: sample.split("\n", 1)[0].count(d) for d in _DELIMITERS}
        return max(counts, key=counts.get)


def _text(value: Any) -> str | None:
    """Render one cell as text without losing what it was."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _numbered(frame: pd.DataFrame, first_row: int) -> pd.DataFrame:
    frame.columns = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
    frame[ROW_NUMBER] = pd.RangeIndex(first_row, first_row + len(frame), dtype="int64")
    return frame.reset_index(drop=True)


def _read_csv(path: Path, contract: Contract, info: ReadInfo) -> Iterator[pd.DataFrame]:
    fmt = contract.format
    info.encoding = fmt.encoding if fmt.encoding != "auto" else detect_encoding(path)
    with _open_binary(path) as raw:
        sample = raw.read(_SNIFF_BYTES).decode(info.encoding, errors="replace")
    if not sample.strip():
        raise UnreadableFileError(f"{path.name}: file is empty; ask the ministry to resend it")
    info.delimiter = _sniff_delimiter(sample) if fmt.delimiter == "auto" else fmt.delimiter
    with _open_binary(path) as raw:
        text = io.TextIOWrapper(raw, encoding=info.encoding, newline="")
        yield from _parse_csv(text, path, info, fmt.header_row)


def _parse_csv(
    text: IO[str], path: Path, info: ReadInfo, header_row: int
) -> Iterator[pd.DataFrame]:
    try:
        reader = pd.read_csv(
            text,
            sep=info.delimiter,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skiprows=header_row - 1,
            chunksize=CHUNK_ROWS,
            engine="c",
            skip_blank_lines=True,
        )
        first = 1
        for chunk in reader:
            frame = _numbered(chunk, first)
            first += len(frame)
            yield frame
    except pd.errors.EmptyDataError as exc:
        raise UnreadableFileError(
            f"{path.name}: no header row found at row {header_row}; check format.header_row "
            "in the contract or ask the ministry to resend the file"
        ) from exc
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise UnreadableFileError(
            f"{path.name}: not a readable {info.delimiter!r}-delimited table ({exc}); the file "
            "may be truncated or not a CSV: ask the ministry to resend it"
        ) from exc


def _read_excel(path: Path, contract: Contract, info: ReadInfo) -> Iterator[pd.DataFrame]:
    from python_calamine import CalamineError, CalamineWorkbook

    with path.open("rb") as handle:
        magic = handle.read(8)
    if magic == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" and contract.format.type == "xlsx":
        raise UnreadableFileError(
            f"{path.name}: this is an OLE container, which for an .xlsx means the workbook "
            "is password-protected (or a legacy .xls); ask the ministry for an unprotected file"
        )
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet_ref = contract.format.sheet
        if sheet_ref is None:
            sheet = workbook.get_sheet_by_index(0)
        elif isinstance(sheet_ref, int):
            sheet = workbook.get_sheet_by_index(sheet_ref)
        else:
            if sheet_ref not in workbook.sheet_names:
                raise UnreadableFileError(
                    f"{path.name}: sheet {sheet_ref!r} not found (sheets: "
                    f"{', '.join(workbook.sheet_names)}); fix format.sheet in contract "
                    f"{contract.source}"
                )
            sheet = workbook.get_sheet_by_name(sheet_ref)
        rows = sheet.to_python(skip_empty_area=False)
    except CalamineError as exc:
        raise UnreadableFileError(
            f"{path.name}: not a readable workbook ({exc}); the file may be truncated or "
            "password-protected: ask the ministry to resend it"
        ) from exc
    info.sheet = sheet.name
    header_at = contract.format.header_row - 1
    if len(rows) <= header_at:
        raise UnreadableFileError(
            f"{path.name}: sheet {sheet.name!r} has {len(rows)} rows, no header at row "
            f"{contract.format.header_row}; the file is empty or the contract's header_row is wrong"
        )
    header = [_text(v) or f"_unnamed_{i}" for i, v in enumerate(rows[header_at])]
    body = [[_text(v) for v in row] for row in rows[header_at + 1 :] if any(v != "" for v in row)]
    for start in range(0, max(len(body), 1), CHUNK_ROWS):
        chunk = pd.DataFrame(body[start : start + CHUNK_ROWS], columns=header, dtype=object)
        yield _numbered(chunk, start + 1)


def _records_frame(records: list[Any], path: Path, first: int) -> pd.DataFrame:
    if not all(isinstance(r, dict) for r in records):
        raise UnreadableFileError(
            f"{path.name}: expected JSON objects (one per beneficiary), found other values; "
            "the file is not a table of records"
        )
    frame = pd.DataFrame([{k: _text(v) for k, v in r.items()} for r in records], dtype=object)
    return _numbered(frame, first)


def _read_json(path: Path, contract: Contract, info: ReadInfo) -> Iterator[pd.DataFrame]:
    info.encoding = detect_encoding(path)
    with _open_binary(path) as raw:
        text = raw.read().decode(info.encoding)
    if not text.strip():
        raise UnreadableFileError(f"{path.name}: file is empty; ask the ministry to resend it")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnreadableFileError(
            f"{path.name}: invalid JSON at line {exc.lineno} column {exc.colno} ({exc.msg}); "
            "the file may be truncated: ask the ministry to resend it"
        ) from exc
    if isinstance(data, dict):
        lists = [v for v in data.values() if isinstance(v, list)]
        if len(lists) != 1:
            raise UnreadableFileError(
                f"{path.name}: JSON object without a single list of records; not a table"
            )
        data = lists[0]
    if not isinstance(data, list):
        raise UnreadableFileError(f"{path.name}: JSON is not a list of records; not a table")
    for start in range(0, max(len(data), 1), CHUNK_ROWS):
        yield _records_frame(data[start : start + CHUNK_ROWS], path, start + 1)


def _read_ndjson(path: Path, contract: Contract, info: ReadInfo) -> Iterator[pd.DataFrame]:
    info.encoding = detect_encoding(path)
    with _open_binary(path) as raw:
        text = io.TextIOWrapper(raw, encoding=info.encoding)
        batch: list[Any] = []
        first = 1
        for line_no, line in enumerate(text, start=1):
            if not line.strip():
                continue
            try:
                batch.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise UnreadableFileError(
                    f"{path.name}: line {line_no} is not valid JSON ({exc.msg}); the file may "
                    "be truncated: ask the ministry to resend it"
                ) from exc
            if len(batch) == CHUNK_ROWS:
                yield _records_frame(batch, path, first)
                first += len(batch)
                batch = []
        if batch or first == 1:
            if not batch:
                raise UnreadableFileError(f"{path.name}: file is empty; ask for a resend")
            yield _records_frame(batch, path, first)


_READERS = {
    "csv": _read_csv,
    "xlsx": _read_excel,
    "xls": _read_excel,
    "json": _read_json,
    "ndjson": _read_ndjson,
}


def read_chunks(path: Path, contract: Contract, info: ReadInfo) -> Iterator[pd.DataFrame]:
    """Yield the file's rows as text DataFrames of at most CHUNK_ROWS rows, numbered from 1."""
    if not path.exists() or path.stat().st_size == 0:
        raise UnreadableFileError(f"{path.name}: file is empty; ask the ministry to resend it")
    yield from _READERS[contract.format.type](path, contract, info)
