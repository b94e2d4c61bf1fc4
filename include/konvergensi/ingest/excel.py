"""Excel workbooks, .xlsx and legacy .xls, through calamine: the sheet the contract names or the
rule finds, title rows above the header, and a header spread over merged cells or several rows.

calamine holds the whole sheet in memory (an .xlsx is a zip of XML with no row index to seek
by); the rows are converted to text one chunk at a time, numeric cells marked as numbers
(NATIVE_NUMBERS) so that `150.375` is never read as dotted thousands.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from konvergensi.contracts import CANONICAL_FIELDS, Contract, FieldKind
from konvergensi.ingest.errors import UnreadableFileError
from konvergensi.ingest.frames import (
    CHUNK_ROWS,
    NATIVE_NUMBERS,
    ROW_NUMBER,
    TEXT,
    ReadInfo,
    cell_text,
    column_key,
    unique_header,
)
from konvergensi.ingest.payload import (
    OLE_MAGIC,
    ZIP_MAGIC,
    looks_like_html,
    not_text,
    ole_is_encrypted,
    open_payload,
)


def _refuse(content: bytes) -> None:
    """Explain why bytes that are neither an .xlsx nor an .xls cannot be read as a workbook."""
    if ole_is_encrypted(content):
        raise UnreadableFileError(
            "the workbook is password-protected; ask the ministry for a copy without a password"
        )
    if content.startswith((ZIP_MAGIC, OLE_MAGIC)):
        return
    if not content.strip():
        raise UnreadableFileError("file is empty; ask the ministry to resend it")
    if looks_like_html(content[:4096]):
        what = "an HTML page (a web system's 'export to Excel')"
    else:
        what = not_text(content[:4096]) or "a text file (CSV?)"
    raise UnreadableFileError(
        f"this is {what}, not an Excel workbook; ask the ministry for a real "
        ".xlsx export, or set format.type in the contract if they now send another format"
    )


def _open(path: Path) -> Any:
    from python_calamine import CalamineError, CalamineWorkbook, PasswordError

    with open_payload(path) as handle:
        content = handle.read()
    _refuse(content)
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(content))
    except PasswordError as exc:
        raise UnreadableFileError(
            "the workbook is password-protected; ask the ministry for a copy without a password"
        ) from exc
    except CalamineError as exc:
        raise UnreadableFileError(
            f"not a readable workbook ({exc}); the file is truncated or damaged: "
            "ask the ministry to resend it"
        ) from exc


def _header_rows(sheet: Any, first: int, count: int) -> list[list[str | None]]:
    """The header rows as text, merged cells filled across their span."""
    col0 = sheet.start[1]
    rows = []
    for i, row in enumerate(sheet.iter_rows()):
        if i >= first:
            rows.append([cell_text(v, as_id=False) for v in row])
        if len(rows) == count:
            break
    width = len(rows[0]) if rows else 0
    for (r0, c0), (r1, c1) in sheet.merged_cell_ranges or []:
        top, left = r0 - first, c0 - col0
        if not (0 <= top < len(rows) and 0 <= left < width):
            continue
        value = rows[top][left]
        for r in range(top, min(r1 - first, len(rows) - 1) + 1):
            for j in range(left, min(c1 - col0, width - 1) + 1):
                rows[r][j] = value
    return rows


def _combine(rows: list[list[str | None]]) -> list[str | None]:
    """One name per column: the non-empty header parts top to bottom, repeats dropped."""
    names = []
    for parts in zip(*rows, strict=True):
        kept: list[str] = []
        for part in parts:
            text = (part or "").strip()
            if text and (not kept or kept[-1] != text):
                kept.append(text)
        names.append(" ".join(kept) or None)
    return names


def _sheet_header(sheet: Any, contract: Contract) -> list[str | None] | None:
    fmt = contract.format
    if sheet.start is None:
        return None
    rows = _header_rows(sheet, fmt.header_row - 1, fmt.header_rows)
    return _combine(rows) if len(rows) == fmt.header_rows else None


def _candidates(workbook: Any, contract: Contract) -> list[str]:
    """Sheets that may hold the data, as the contract's `sheet` or `sheet_match` says."""
    fmt, names = contract.format, workbook.sheet_names
    listing = ", ".join(repr(n) for n in names)
    if isinstance(fmt.sheet, int):
        if fmt.sheet >= len(names):
            raise UnreadableFileError(
                f"has {len(names)} sheets ({listing}), no sheet index {fmt.sheet}; "
                f"fix format.sheet in contracts/{contract.source}.yaml"
            )
        return [names[fmt.sheet]]
    if isinstance(fmt.sheet, str):
        found = [n for n in names if column_key(n) == column_key(fmt.sheet)]
        if not found:
            raise UnreadableFileError(
                f"sheet {fmt.sheet!r} not found (sheets: {listing}); fix "
                f"format.sheet in contracts/{contract.source}.yaml or use format.sheet_match"
            )
        return found[:1]
    if fmt.sheet_match:
        found = [n for n in names if re.search(fmt.sheet_match, n, re.IGNORECASE)]
        if not found:
            raise UnreadableFileError(
                f"no sheet name matches format.sheet_match {fmt.sheet_match!r} "
                f"(sheets: {listing}); fix the rule in contracts/{contract.source}.yaml"
            )
        return found
    return list(names)


def _choose_sheet(workbook: Any, contract: Contract, info: ReadInfo) -> Any:
    """The first candidate sheet whose header has every mapped column, else the closest one."""
    wanted = {column_key(c) for c in contract.columns.values()}
    best, best_found = None, -1
    candidates = _candidates(workbook, contract)
    for name in candidates:
        sheet = workbook.get_sheet_by_name(name)
        header = _sheet_header(sheet, contract)
        found = len(wanted & {column_key(h) for h in header or [] if h})
        if found == len(wanted):
            return sheet
        if found > best_found:
            best, best_found = sheet, found
    if len(candidates) > 1:
        info.notes.append(
            f"no sheet has every mapped column; read sheet {best.name!r} "
            f"({best_found} of {len(wanted)} found)"
        )
    return best


def read_excel_chunks(path: Path, contract: Contract, info: ReadInfo) -> Iterator[pd.DataFrame]:
    """Yield a workbook sheet's records as text DataFrames of at most CHUNK_ROWS rows."""
    fmt = contract.format
    workbook = _open(path)
    if not workbook.sheet_names:
        raise UnreadableFileError("the workbook has no sheets; ask for a resend")
    sheet = _choose_sheet(workbook, contract, info)
    info.sheet = sheet.name
    header = _sheet_header(sheet, contract)
    if header is None or not any(header):
        raise UnreadableFileError(
            f"sheet {sheet.name!r} has no header at row {fmt.header_row}; the "
            "file is empty or format.header_row in the contract is wrong"
        )
    names = unique_header(header, info)
    id_keys = {
        column_key(column)
        for field, column in contract.columns.items()
        if CANONICAL_FIELDS[field] is FieldKind.ID
    }
    as_id = [column_key(n) in id_keys for n in names]
    last_header = fmt.header_row + fmt.header_rows - 2  # 0-based row of the header's last row
    info.first_data_row = last_header + 1
    rows: list[list[Any]] = []
    numbers: list[int] = []
    yielded = False
    width = len(names)
    for i, row in enumerate(sheet.iter_rows()):
        if i <= last_header:
            continue
        info.last_row_number = i - last_header
        if row.count("") == width:
            info.blank_rows += 1
            continue
        rows.append(row)
        numbers.append(i - last_header)
        if len(rows) == CHUNK_ROWS:
            yield _chunk(names, rows, numbers, as_id)
            rows, numbers, yielded = [], [], True
    if rows or not yielded:
        yield _chunk(names, rows, numbers, as_id)


def _column_text(values: tuple, as_id: bool) -> pa.Array:
    """One column of cells as text; a column of text cells only is converted without a loop."""
    if set(map(type, values)) <= {str}:
        text = pa.array(values, type=pa.string())
        return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    return pa.array([cell_text(v, as_id) for v in values], type=pa.string())


def _numeric_cells(values: tuple) -> np.ndarray | None:
    """Where a column's cells are numeric (int or float, not bool); None for a text column."""
    if set(map(type, values)) <= {str}:
        return None
    return np.fromiter(
        (isinstance(v, int | float) and not isinstance(v, bool) for v in values),
        dtype=bool,
        count=len(values),
    )


def _chunk(names: list[str], rows: list[list[Any]], numbers: list[int], as_id: list[bool]):
    """Raw calamine rows -> a text DataFrame with record numbers and its numeric cells marked."""
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    table = pa.table(
        [_column_text(v, flag) for v, flag in zip(columns, as_id, strict=True)], names=names
    )
    frame = table.to_pandas(types_mapper={pa.string(): TEXT}.get)
    frame[ROW_NUMBER] = np.asarray(numbers, dtype=np.int64)
    marks = {name: _numeric_cells(values) for name, values in zip(names, columns, strict=True)}
    frame.attrs[NATIVE_NUMBERS] = {n: m for n, m in marks.items() if m is not None and m.any()}
    return frame
