"""What every reader hands on: text chunks numbered by record, the records it had to reject,
and what it found out about the file (encoding, delimiter, sheet, header)."""

from __future__ import annotations

import json
import re
from collections import deque
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
import pandas as pd

CHUNK_ROWS = 200_000
ROW_NUMBER = "_row_number"
TEXT = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' default `str`, Arrow-backed
# chunk.attrs key: column -> bool array, True where the cell was a number in the file (an Excel
# numeric cell, a JSON number), not text. Such a cell's text is plain notation (`150.375` is
# 150.375), so the number parser must not read it as Indonesian dotted thousands.
NATIVE_NUMBERS = "native_numbers"


def column_key(name: str) -> str:
    """A column name compared case- and spacing-insensitively (`No KTP` == `no_ktp`)."""
    return re.sub(r"[\s_]+", "", name).lower()


@dataclass(frozen=True)
class RejectedRecord:
    """A record that could not be split into the header's columns, kept as it was sent."""

    row_number: int
    reason: str
    text: str


@dataclass
class ReadInfo:
    """What the reader found out about a file while reading it.

    `first_data_row` is the file row (line of a CSV, row of a sheet) just above record 1, so
    record N sits on file row `first_data_row + N` unless quoted values span several lines.
    """

    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    renamed_columns: dict[str, str] = field(default_factory=dict)
    first_data_row: int = 0
    blank_rows: int = 0
    last_row_number: int = 0
    rejected: deque[RejectedRecord] = field(default_factory=deque)
    notes: list[str] = field(default_factory=list)

    def take_rejected(self) -> list[RejectedRecord]:
        """Hand over the records rejected so far; safe while a reader thread adds more."""
        taken = []
        while self.rejected:
            taken.append(self.rejected.popleft())
        return taken


def unique_header(names: list[str | None], info: ReadInfo) -> list[str]:
    """Header names stripped; blanks become `_unnamed_<n>`, repeats `<name>.1`, `<name>.2`.

    Every renaming is recorded in `info.renamed_columns` so the operator sees it.
    """
    seen: dict[str, int] = {}
    out = []
    for i, raw in enumerate(names, start=1):
        name = (raw or "").strip().lstrip("\ufeff").strip()
        given = name
        if not name:
            name = f"_unnamed_{i}"
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        seen.setdefault(name, 0)
        if name != given:
            info.renamed_columns[name] = f"column {i} header {given!r}"
        out.append(name)
    return out


def cell_text(value: Any, as_id: bool) -> str | None:
    """Render one spreadsheet or JSON cell as text without hiding what it was.

    A number in an ID column keeps its float form (`5301241203800000.0`), so the NIK that Excel
    stored as a number is classified as damaged downstream; elsewhere whole numbers lose `.0`
    (a sex code 1 or a decile 2 typed into Excel is read as `1`, `2`).
    """
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if not as_id and value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def text_frame(
    columns: list[str],
    rows: list[list[str | None]],
    numbers: np.ndarray,
    native: list[list[bool]] | None = None,
) -> pd.DataFrame:
    """A chunk of text rows as a DataFrame with `str` columns and its record numbers; `native`
    (shaped like `rows`) marks the cells that were numbers in the file (NATIVE_NUMBERS)."""
    data = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
    frame = pd.DataFrame(
        {name: pd.array(values, dtype="str") for name, values in zip(columns, data, strict=True)}
    )
    frame[ROW_NUMBER] = np.asarray(numbers, dtype="int64")
    if native:
        marks = zip(columns, zip(*native, strict=True), strict=True)
        frame.attrs[NATIVE_NUMBERS] = {c: np.array(m) for c, m in marks if any(m)}
    return frame


def native_numbers(chunk: pd.DataFrame, column: str) -> pd.Series:
    """True for the cells of a chunk's column that were numbers in the file, not text."""
    marks = chunk.attrs.get(NATIVE_NUMBERS, {}).get(column)
    if marks is None:
        return pd.Series(False, index=chunk.index)
    return pd.Series(marks, index=chunk.index)
