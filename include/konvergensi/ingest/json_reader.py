"""JSON arrays of records (read whole) and newline-delimited JSON (streamed line by line).

Numbers are kept as the text they were written in (`parse_int=str`), so a NIK written as a JSON
number is exact and one written as `5.30124E+15` stays visibly damaged; they are marked as
numbers (NATIVE_NUMBERS), so `150.375` is read as 150.375, unlike the string `"150.375"`. The
columns are the keys of the first CHUNK_ROWS records; a later record with a key outside them is
rejected, not cut.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from konvergensi.contracts import Contract
from konvergensi.ingest.errors import UnreadableFileError
from konvergensi.ingest.frames import (
    CHUNK_ROWS,
    ReadInfo,
    RejectedRecord,
    cell_text,
    text_frame,
    unique_header,
)
from konvergensi.ingest.payload import detect_encoding, not_text, open_payload, read_head


class _Number(str):
    """A JSON number, kept as the text it was written in."""


def _loads(text: str) -> Any:
    return json.loads(text, parse_int=_Number, parse_float=_Number, parse_constant=_Number)


def _dump(value: Any) -> str:
    """JSON text of a parsed value, numbers written back exactly as they were sent."""
    if isinstance(value, _Number):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_dump(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {_dump(v)}" for k, v in value.items()) + "}"
    return json.dumps(value, ensure_ascii=False)


def _cell(value: Any) -> str | None:
    return _dump(value) if isinstance(value, list | dict) else cell_text(value, as_id=False)


def _check_text(path: Path, contract: Contract, info: ReadInfo) -> None:
    head = read_head(path)
    if not head.strip():
        raise UnreadableFileError("file is empty; ask the ministry to resend it")
    what = not_text(head)
    if what is not None:
        raise UnreadableFileError(
            f"this is {what}, not a JSON file; ask the ministry for the JSON export"
        )
    encoding = contract.format.encoding
    info.encoding = encoding if encoding != "auto" else detect_encoding(path)


def _frames(
    records: Iterable[tuple[int, Any]], info: ReadInfo, what: str
) -> Iterator[pd.DataFrame]:
    """Numbered records -> text frames; non-objects and records with unknown keys rejected."""
    column_of: dict[str, str] | None = None  # key as sent -> column (stripped, made unique)
    batch: list[tuple[int, dict]] = []

    def flush() -> pd.DataFrame:
        nonlocal column_of
        if column_of is None:
            keys = list(dict.fromkeys(k for _, record in batch for k in record))
            column_of = dict(zip(keys, unique_header(keys, info), strict=True))
        columns = list(column_of.values())
        rows, numbers, native = [], [], []
        for number, record in batch:
            unknown = [k for k in record if k not in column_of]
            if unknown:
                info.rejected.append(
                    RejectedRecord(
                        number,
                        f"has field(s) {unknown} that the first {CHUNK_ROWS} records do not have",
                        _dump(record),
                    )
                )
                continue
            values = [record.get(k) for k in column_of]
            rows.append([_cell(v) for v in values])
            native.append([isinstance(v, _Number) for v in values])
            numbers.append(number)
        return text_frame(columns, rows, np.asarray(numbers, dtype=np.int64), native)

    yielded = rejected = False
    for number, value in records:
        info.last_row_number = number
        if not isinstance(value, dict):
            info.rejected.append(
                RejectedRecord(
                    number,
                    f"is a JSON {type(value).__name__}, not an object (one object per {what})",
                    _dump(value),
                )
            )
            rejected = True
            continue
        batch.append((number, value))
        if len(batch) == CHUNK_ROWS:
            yield flush()
            batch, yielded = [], True
    if not batch and not yielded:
        raise UnreadableFileError(
            f"no {what} holds a JSON object; not a table of records: ask the ministry for the "
            "records export"
            if rejected
            else "the file holds no records; ask the ministry whether the export was cut short"
        )
    if batch:
        yield flush()


def read_json_chunks(path: Path, contract: Contract, info: ReadInfo) -> Iterator[pd.DataFrame]:
    """A JSON array of objects (or an object holding exactly one such array), read whole."""
    _check_text(path, contract, info)
    with open_payload(path) as raw:
        text = raw.read().decode(info.encoding)
    try:
        data = _loads(text)
    except json.JSONDecodeError as exc:
        raise UnreadableFileError(
            f"invalid JSON at line {exc.lineno} column {exc.colno} ({exc.msg}); "
            "the file may be truncated: ask the ministry to resend it"
        ) from exc
    if isinstance(data, dict):
        lists = [k for k, v in data.items() if isinstance(v, list)]
        if len(lists) != 1:
            raise UnreadableFileError(
                f"a JSON object with keys {list(data)[:10]}, not a list of records; "
                "not a table: ask the ministry for the records export"
            )
        data = data[lists[0]]
    if not isinstance(data, list):
        raise UnreadableFileError(f"JSON {type(data).__name__}, not a list of records; not a table")
    yield from _frames(enumerate(data, start=1), info, "array element")


def _lines(path: Path, info: ReadInfo) -> Iterator[tuple[int, Any]]:
    with open_payload(path) as raw:
        text = io.TextIOWrapper(raw, encoding=info.encoding, newline="")
        for number, line in enumerate(text, start=1):
            if not line.strip():
                # Counted like a CSV's blank rows, trailing ones too: records = staged +
                # rejected + blank up to the last line.
                info.blank_rows += 1
                info.last_row_number = number
                continue
            try:
                yield number, _loads(line)
            except json.JSONDecodeError as exc:
                if not line.endswith(("\n", "\r")):
                    raise UnreadableFileError(
                        f"the last line ({number}) is cut off ({exc.msg}); the "
                        "file was truncated in transfer: ask the ministry to resend it"
                    ) from exc
                info.last_row_number = number
                info.rejected.append(
                    RejectedRecord(number, f"is not valid JSON ({exc.msg})", line.rstrip("\r\n"))
                )


def read_ndjson_chunks(path: Path, contract: Contract, info: ReadInfo) -> Iterator[pd.DataFrame]:
    """Newline-delimited JSON, one object per line, streamed; record number = line number."""
    _check_text(path, contract, info)
    yield from _frames(_lines(path, info), info, "line")
