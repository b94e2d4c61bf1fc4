"""Numbers, whole numbers and yes/no flags as ministries write them, and a flag per value that
tells an empty cell from one that was sent but could not be read.

Number forms are read only where they are unambiguous: `12,5` (decimal comma), `1.234.567`,
`1,234,567` or `1 234 567` (grouped thousands), `1.234,5`, `1,234.5`, `Rp 300.000,50`,
`Rp 300.000,-` (no cents). Dotted thousands in text (`300.000`, and so `150.375` in a CSV)
follow the Indonesian convention. A single comma followed by exactly three digits (`300,000`)
is 300 in Indonesian and 300000 in English: it is not guessed but left unread. A cell that was
a number in the file (an Excel numeric cell, a JSON number) is written in plain notation by the
reader and read as such: `150.375` there is 150.375.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

PARSED = "parsed"
MISSING = "missing"
UNPARSEABLE = "unparseable"

_CURRENCY = r"(?i)^(?:rp\.?|idr)"
_NO_CENTS = r"(?<=\d),-{1,2}$"  # `300.000,-` / `300.000,--`: no cents
_SPACES = r"[ \u00a0\u202f]"
_SPACE_THOUSANDS = rf"^[+-]?[1-9]\d{{0,2}}(?:{_SPACES}\d{{3}})+(?:[.,]\d+)?$"
_AMBIGUOUS = r"^[+-]?[1-9]\d{0,2},\d{3}$"
_DOT_THOUSANDS = r"^[+-]?[1-9]\d{0,2}(?:\.\d{3})+(?:,\d+)?$"
_COMMA_THOUSANDS = r"^[+-]?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?$"
_DECIMAL_COMMA = r"^[+-]?\d+,\d+$"
_PLAIN = r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$"
_INT32 = 2**31 - 1


def text_values(raw: pd.Series) -> pd.Series:
    """Values stripped, with empty cells as missing: the form kept as `<field>_raw`."""
    stripped = raw.astype("string").str.strip()
    return stripped.mask(stripped == "")


def parse_numbers(raw: pd.Series, native: pd.Series | None = None) -> pd.Series:
    """Numbers as float64 (NaN where empty or not readable); see the module for the forms.

    `native` marks cells that were numbers in the file: their text is plain notation and is
    read as such. Each distinct value, text or native, is read once: a column holds far fewer
    amounts than rows.
    """
    text = text_values(raw)
    plain = (
        np.zeros(len(raw), dtype=bool)
        if native is None
        else native.to_numpy(dtype=bool, na_value=False)
    )
    codes, uniques = pd.factorize(text.mask(plain), use_na_sentinel=True)
    numbers = _read_numbers(pd.Series(uniques, dtype="string")).to_numpy(dtype="float64")
    out = np.append(numbers, np.nan)[codes]  # -1 (NA) -> NaN
    if plain.any():
        native_codes, native_uniques = pd.factorize(text[plain], use_na_sentinel=True)
        exact = pd.to_numeric(pd.Series(native_uniques, dtype="string"), errors="coerce")
        exact = np.append(exact.to_numpy(dtype="float64"), np.nan)[native_codes]
        out[plain] = np.where(np.isfinite(exact), exact, np.nan)
    return pd.Series(out, index=raw.index)


def _read_numbers(text: pd.Series) -> pd.Series:
    text = text.str.replace(_CURRENCY, "", regex=True).str.strip()
    text = text.str.replace(_NO_CENTS, "", regex=True)
    spaced = text.str.match(_SPACE_THOUSANDS, na=False)
    text = text.mask(spaced, text.str.replace(_SPACES, "", regex=True))
    ambiguous = text.str.match(_AMBIGUOUS, na=False)
    dots = text.str.match(_DOT_THOUSANDS, na=False)
    commas = text.str.match(_COMMA_THOUSANDS, na=False) & ~ambiguous
    decimal_comma = text.str.match(_DECIMAL_COMMA, na=False) & ~ambiguous
    text = text.mask(dots, text.str.replace(".", "", regex=False).str.replace(",", "."))
    text = text.mask(commas, text.str.replace(",", "", regex=False))
    text = text.mask(decimal_comma, text.str.replace(",", ".", regex=False))
    readable = text.str.match(_PLAIN, na=False) & ~ambiguous
    numbers = pd.to_numeric(text.where(readable), errors="coerce").astype("float64")
    return numbers.where(np.isfinite(numbers))


def parse_whole_numbers(raw: pd.Series, native: pd.Series | None = None) -> pd.Series:
    """Whole numbers (`2`, `2.0`, `2,0`) as Int32; a fraction or a value beyond Int32 is left
    unread rather than rounded or cut, so the value as sent decides what happens to the row.
    `native` as for parse_numbers."""
    numbers = parse_numbers(raw, native)
    whole = (numbers == numbers.round()) & (numbers.abs() <= _INT32)
    return numbers.where(whole).astype("Int32")


def parse_flags(raw: pd.Series, true_values: list[str], false_values: list[str]) -> pd.Series:
    """Yes/no flags: the contract's true and false spellings (case-insensitive); any other text
    is missing, never False."""
    text = text_values(raw).str.upper()
    truthy = text.isin({v.strip().upper() for v in true_values})
    falsy = text.isin({v.strip().upper() for v in false_values})
    flags = pd.Series(pd.NA, index=raw.index, dtype="boolean")
    flags[truthy.to_numpy(dtype=bool, na_value=False)] = True
    flags[falsy.to_numpy(dtype=bool, na_value=False)] = False
    return flags


def value_flags(raw_text: pd.Series, parsed: pd.Series) -> pd.Series:
    """Per value: `missing` (nothing sent), `parsed`, or `unparseable` (sent, but not read)."""
    sent = raw_text.notna().to_numpy()
    read = parsed.notna().to_numpy()
    flags = np.select([~sent, read], [MISSING, PARSED], default=UNPARSEABLE)
    return pd.Series(flags, index=raw_text.index, dtype="string")
