"""Delimited text, streamed with Arrow's CSV reader: every column as text, bounded memory, and a
record that does not split into the header's columns kept as a rejected record, not dropped.

Arrow numbers every record it rejects (counting from the top of the file), so the good records
around it keep their true record numbers and `records = staged + rejected` can be checked.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from konvergensi.contracts import Contract
from konvergensi.ingest.errors import UnreadableFileError
from konvergensi.ingest.frames import (
    CHUNK_ROWS,
    ROW_NUMBER,
    TEXT,
    ReadInfo,
    RejectedRecord,
    unique_header,
)
from konvergensi.ingest.payload import (
    ZIP_MAGIC,
    TailTracking,
    detect_encoding,
    not_text,
    open_payload,
    read_head,
)

BLOCK_BYTES = 8 << 20  # Arrow parses this much text at a time; one record must fit in it
_HEAD_BYTES = 1 << 20
_DELIMITERS = ",;|\t"
_ARROW_ENCODING = {"utf-8": "utf8", "utf-8-sig": "utf8"}


def _refuse_non_text(head: bytes, contract: Contract) -> None:
    if not head.strip():
        raise UnreadableFileError("file is empty; ask the ministry to resend it")
    what = not_text(head)
    if what is None:
        return
    hint = (
        f"; if the ministry now sends Excel, set format.type: xlsx in contracts/"
        f"{contract.source}.yaml"
        if head.startswith(ZIP_MAGIC)
        else ""
    )
    raise UnreadableFileError(
        f"this is {what}, not a delimited text (CSV) file; ask the ministry for "
        f"the CSV export{hint}"
    )


def _sniff_delimiter(lines: str) -> str:
    try:
        return csv.Sniffer().sniff(lines, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        counts = {d: lines.split("\n", 1)[0].count(d) for d in _DELIMITERS}
        return max(counts, key=counts.__getitem__)


def _header(sample: str, header_row: int, delimiter: str | None) -> tuple[list, str, int]:
    """(header cells, delimiter, lines up to and including the header): the header is record
    `header_row` of the file. A quoted title cell above it may span several lines, so the lines
    to skip before the data are counted, not assumed to be `header_row`."""
    lines = sample.splitlines(keepends=True)
    if delimiter is None:
        delimiter = _sniff_delimiter("".join(lines[header_row - 1 : header_row + 50]))
    records = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
    for number, record in enumerate(records, 1):
        if number == header_row:
            if any(cell.strip() for cell in record):
                return record, delimiter, records.line_num
            break
    raise UnreadableFileError(
        f"no header at row {header_row}; check format.header_row in the "
        "contract, or ask the ministry to resend the file if it is cut short"
    )


class _Numbering:
    """Gives the good records of each batch their record numbers, skipping rejected ones."""

    def __init__(self) -> None:
        self.next = 1
        self.rejected: list[int] = []
        self.last_rejected: tuple[int, int, str] | None = None  # number, fields, text

    def reject(self, number: int, fields: int, text: str) -> None:
        self.rejected.append(number)
        self.last_rejected = (number, fields, text)

    def take(self, n: int) -> np.ndarray:
        pending = np.array(sorted(r for r in self.rejected if r >= self.next), dtype=np.int64)
        window = np.arange(self.next, self.next + n + len(pending), dtype=np.int64)
        numbers = window[~np.isin(window, pending)][:n]
        if n:
            self.next = int(numbers[-1]) + 1
        self.rejected = [r for r in self.rejected if r >= self.next]
        return numbers

    @property
    def last_number(self) -> int:
        """Number of the file's last record, good or rejected."""
        return max(self.next - 1, self.last_rejected[0] if self.last_rejected else 0)


def _frame(table: pa.Table, numbering: _Numbering, info: ReadInfo) -> pd.DataFrame:
    frame = table.to_pandas(types_mapper={pa.string(): TEXT}.get)
    frame[ROW_NUMBER] = numbering.take(len(frame))
    blank = frame.drop(columns=ROW_NUMBER).isna().all(axis=1)
    info.blank_rows += int(blank.sum())
    return frame[~blank].reset_index(drop=True) if blank.any() else frame


def _check_end(numbering: _Numbering, complete_last_line: bool, width: int) -> None:
    """Fail the file when its last record was rejected in a way that shows it was cut off."""
    if numbering.last_rejected is None:
        return
    number, fields, text = numbering.last_rejected
    if number < numbering.last_number:
        return
    if text.count('"') % 2:
        raise UnreadableFileError(
            f"record {number} opens a quoted value that is never closed "
            f"(starts {text[:40]!r}); the file is truncated or has a stray quote: ask the "
            "ministry to resend it"
        )
    if fields < width and not complete_last_line:
        raise UnreadableFileError(
            f"the file ends in the middle of record {number} ({fields} of {width} "
            "fields, no line end); it was cut off in transfer: ask the ministry to resend it"
        )


def read_csv_chunks(path: Path, contract: Contract, info: ReadInfo) -> Iterator[pd.DataFrame]:
    """Yield the records of a delimited text file as text DataFrames of at most CHUNK_ROWS."""
    fmt = contract.format
    head = read_head(path, _HEAD_BYTES)
    _refuse_non_text(head, contract)
    info.encoding = fmt.encoding if fmt.encoding != "auto" else detect_encoding(path)
    sample = head.decode(info.encoding, errors="replace")
    cells, info.delimiter, header_lines = _header(
        sample, fmt.header_row, None if fmt.delimiter == "auto" else fmt.delimiter
    )
    names = unique_header(cells, info)
    info.first_data_row = header_lines
    numbering = _Numbering()

    def reject(row: pacsv.InvalidRow) -> str:
        number = (row.number or 0) - header_lines
        numbering.reject(number, row.actual_columns, row.text)
        info.rejected.append(
            RejectedRecord(
                number,
                f"has {row.actual_columns} fields, the header has {row.expected_columns}",
                row.text,
            )
        )
        return "skip"

    read_options = pacsv.ReadOptions(
        skip_rows=header_lines,  # Arrow skips lines, not records
        column_names=names,
        use_threads=False,
        block_size=BLOCK_BYTES,
        encoding=_ARROW_ENCODING.get(info.encoding.lower(), info.encoding),
    )
    parse_options = pacsv.ParseOptions(
        delimiter=info.delimiter,
        newlines_in_values=True,
        ignore_empty_lines=False,
        invalid_row_handler=reject,
    )
    convert_options = pacsv.ConvertOptions(
        column_types=dict.fromkeys(names, pa.string()),
        null_values=[""],
        strings_can_be_null=True,
    )
    with open_payload(path) as raw:
        stream = TailTracking(raw)
        try:
            reader = pacsv.open_csv(stream, read_options, parse_options, convert_options)
            pending = pa.Table.from_batches([], schema=reader.schema)
            yielded = False
            for batch in reader:
                pending = pa.concat_tables([pending, pa.Table.from_batches([batch])])
                while pending.num_rows >= CHUNK_ROWS:
                    yield _frame(pending.slice(0, CHUNK_ROWS), numbering, info)
                    pending, yielded = pending.slice(CHUNK_ROWS), True
            if pending.num_rows or not yielded:
                yield _frame(pending, numbering, info)
        except pa.ArrowInvalid as exc:
            raise UnreadableFileError(_arrow_message(info, str(exc))) from exc
    info.last_row_number = numbering.last_number
    _check_end(numbering, stream.ends_with_newline(info.encoding), len(names))


def _arrow_message(info: ReadInfo, error: str) -> str:
    if "straddl" in error:
        return (
            f"a quoted value runs on for more than {BLOCK_BYTES >> 20} MB; a quote "
            "is never closed (stray quote or the file is truncated): ask the ministry to resend it"
        )
    if "UTF8" in error or "decode" in error.lower():
        return (
            f"not valid {info.encoding} text ({error}); set format.encoding in "
            "the contract or ask the ministry to export as UTF-8"
        )
    return f"not a readable {info.delimiter!r}-delimited table ({error})"
