"""NIK and KK numbers: clean the text, classify it (valid, invalid, placeholder, damaged, missing)
and decode what the structure says (birth date, sex, region of first registration)."""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from konvergensi.standardise.regions import known_kecamatan_prefix_ints, known_kecamatan_prefixes

VALID = "valid"
INVALID = "invalid"
PLACEHOLDER = "placeholder"
DAMAGED = "damaged"
MISSING = "missing"

UNKNOWN_REGION_PREFIX = "unknown_region_prefix"
BIRTH_DATE_IN_FUTURE = "birth_date_in_future"

PLACEHOLDERS: frozenset[str] = frozenset(
    {d * 16 for d in "0123456789"}
    | {"1234567890123456", "0123456789012345", "9876543210987654", "1234567812345678"}
)

_QUOTES = "\"'`\u2018\u2019\u201c\u201d\u00b4"
_SEPARATORS = re.compile(r"[\s.\-\u2010-\u2015\u2212]+")
_SCIENTIFIC = re.compile(r"[0-9][eE][+-]?[0-9]")
_DECIMAL = re.compile(r"[+-]?[0-9]+[.,][0-9]+")
_DIGITS = re.compile(r"[0-9]+")


_NONE4 = (None, None, None, ())


@dataclass(frozen=True)
class NikInfo:
    """Outcome of classifying one NIK; decoded fields are set only when status is valid."""

    clean: str | None
    status: str
    reason: str | None
    birth_date: dt.date | None
    sex: Literal["L", "P"] | None
    region_prefix: str | None
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class KkInfo:
    """Outcome of classifying one family-card (KK) number."""

    clean: str | None
    status: str
    reason: str | None


def _as_text(value: object) -> str | None:
    """Any scalar to text; None/NaN/NA/NaT to None (floats keep their repr so damage shows)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, float) and math.isnan(value):
        return None
    return str(value)


def _damage_reason(text: str) -> str | None:
    """Why a value read as a number has lost digits, or None if it shows no such sign."""
    core = text.strip().strip(_QUOTES)
    if _SCIENTIFIC.search(core):
        return "scientific notation"
    if core.endswith(".0"):
        return "ends with .0"
    if _DECIMAL.fullmatch(core):
        return "decimal point"
    return None


def clean_id(value: str | None) -> str | None:
    """Strip spaces, dots, dashes, a leading apostrophe and quotes; empty -> None.

    Values in scientific notation or with a decimal part are returned only whitespace-stripped:
    they have lost digits and must be flagged, never repaired.
    """
    text = _as_text(value)
    if text is None:
        return None
    text = text.strip()
    if not text:
        return None
    if _damage_reason(text) is not None:
        return text
    text = _SEPARATORS.sub("", text.strip(_QUOTES)).strip(_QUOTES)
    return text or None


def _century_year(yy: int, today: dt.date) -> int:
    """Two-digit year to four: above this year's two digits means 19YY, otherwise 20YY."""
    return 1900 + yy if yy > today.year % 100 else 2000 + yy


def _common_reason(clean: str) -> tuple[str, str] | None:
    """(status, reason) for damaged or placeholder values, shared by NIK and KK."""
    reason = _damage_reason(clean)
    if reason is not None:
        return DAMAGED, reason
    if len(clean) == 15 and clean.isascii() and clean.isdigit():
        return DAMAGED, "length 15 != 16 (a digit was lost)"
    if clean in PLACEHOLDERS:
        return PLACEHOLDER, "placeholder value"
    return None


def _region_reason(clean: str) -> str | None:
    """Structure checks shared by NIK and KK: digits only, 16 long, no 00 region parts."""
    if not _DIGITS.fullmatch(clean):
        return "non-digit characters"
    if len(clean) != 16:
        return f"length {len(clean)} != 16"
    for label, part in (
        ("province", clean[0:2]),
        ("regency", clean[2:4]),
        ("kecamatan", clean[4:6]),
    ):
        if part == "00":
            return f"{label} 00"
    return None


def _date_reason(day: int, month: int, year: int) -> str | None:
    """Why (day, month, year) is not a real date, or None."""
    if not 1 <= month <= 12:
        return f"month {month:02d}"
    try:
        dt.date(year, month, day)
    except ValueError:
        if day == 29 and month == 2:
            return f"no such date 29-02-{year}"
        return f"no such date {day:02d}-{month:02d}"
    return None


def classify_nik(raw: str | None, *, today: dt.date | None = None) -> NikInfo:
    """Clean one NIK and classify it; decode birth date, sex and region prefix when valid.

    `today` fixes the century rule (YY above this year's YY means 19YY) for reproducible tests.
    """
    clean = clean_id(raw)
    if clean is None:
        return NikInfo(None, MISSING, None, None, None, None, ())
    common = _common_reason(clean)
    if common is not None:
        return NikInfo(clean, common[0], common[1], None, None, None, ())
    reason = _region_reason(clean)
    if reason is not None:
        return NikInfo(clean, INVALID, reason, None, None, None, ())
    today = today or dt.date.today()
    dd, mm, yy = int(clean[6:8]), int(clean[8:10]), int(clean[10:12])
    if 1 <= dd <= 31:
        sex: Literal["L", "P"] = "L"
    elif 41 <= dd <= 71:
        sex, dd = "P", dd - 40
    else:
        return NikInfo(clean, INVALID, f"day {clean[6:8]} not in 01-31 or 41-71", *_NONE4)
    year = _century_year(yy, today)
    reason = _date_reason(dd, mm, year)
    if reason is None and clean[12:] == "0000":
        reason = "serial 0000"
    if reason is not None:
        return NikInfo(clean, INVALID, reason, *_NONE4)
    birth = dt.date(year, mm, dd)
    prefix = f"{clean[0:2]}.{clean[2:4]}.{clean[4:6]}"
    warnings = []
    if prefix not in known_kecamatan_prefixes():
        warnings.append(UNKNOWN_REGION_PREFIX)
    if birth > today:
        warnings.append(BIRTH_DATE_IN_FUTURE)
    return NikInfo(clean, VALID, None, birth, sex, prefix, tuple(warnings))


def classify_kk(raw: str | None, *, today: dt.date | None = None) -> KkInfo:
    """Clean one KK number and classify it: region (6) + registration date DDMMYY + serial (4)."""
    clean = clean_id(raw)
    if clean is None:
        return KkInfo(None, MISSING, None)
    common = _common_reason(clean)
    if common is not None:
        return KkInfo(clean, *common)
    reason = _region_reason(clean)
    if reason is None:
        dd, mm, yy = int(clean[6:8]), int(clean[8:10]), int(clean[10:12])
        if not 1 <= dd <= 31:
            reason = f"day {clean[6:8]} not in 01-31"
        else:
            reason = _date_reason(dd, mm, _century_year(yy, today or dt.date.today()))
        if reason is None and clean[12:] == "0000":
            reason = "serial 0000"
    if reason is not None:
        return KkInfo(clean, INVALID, reason)
    return KkInfo(clean, VALID, None)


# ---------------------------------------------------------------- vectorised


def _fast_candidates(uniques: list[object]) -> tuple[np.ndarray, np.ndarray]:
    """Positions of plain 16-digit non-placeholder strings, and their digit matrix (n x 16)."""
    idx = [
        i
        for i, v in enumerate(uniques)
        if type(v) is str and len(v) == 16 and v.isascii() and v.isdigit() and v not in PLACEHOLDERS
    ]
    if not idx:
        return np.empty(0, np.intp), np.empty((0, 16), np.int64)
    joined = "".join([uniques[i] for i in idx]).encode("ascii")  # type: ignore[misc]
    digits = np.frombuffer(joined, dtype=np.uint8).reshape(-1, 16).astype(np.int64) - 48
    return np.asarray(idx, np.intp), digits


def _pair(d: np.ndarray, col: int) -> np.ndarray:
    """Two-digit number starting at column `col` of the digit matrix."""
    return d[:, col] * 10 + d[:, col + 1]


def _vector_dates(
    d: np.ndarray, today: dt.date, women_plus_40: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(structurally valid mask, date as datetime64[D], is_woman) for a digit matrix."""
    day, month, yy = _pair(d, 6), _pair(d, 8), _pair(d, 10)
    woman = (day >= 41) & (day <= 71) if women_plus_40 else np.zeros(len(d), bool)
    day = np.where(woman, day - 40, day)
    year = np.where(yy > today.year % 100, 1900 + yy, 2000 + yy)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    dim = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[np.clip(month, 0, 12)]
    dim = dim + ((month == 2) & leap)
    ok = (
        (_pair(d, 0) != 0)
        & (_pair(d, 2) != 0)
        & (_pair(d, 4) != 0)
        & (month >= 1)
        & (month <= 12)
        & (day >= 1)
        & (day <= dim)
        & ((d[:, 12:] != 0).any(axis=1))
    )
    months = ((year - 1970) * 12 + np.clip(month, 1, 12) - 1).astype("datetime64[M]")
    dates = months.astype("datetime64[D]") + (np.clip(day, 1, 31) - 1).astype("timedelta64[D]")
    return ok, dates, woman


def _str_column(
    per_unique: list[object], codes: np.ndarray, index: pd.Index, na_row: str | None = None
) -> pd.Series:
    """Map a per-unique list back to rows (code -1 -> `na_row`) as a pandas `str` Series."""
    table = pd.array([*per_unique, na_row], dtype="str")
    return pd.Series(table.take(np.where(codes < 0, len(per_unique), codes)), index=index)


def standardise_nik(raw: pd.Series, *, today: dt.date | None = None) -> pd.DataFrame:
    """Vectorised `classify_nik` over a Series (computed per unique value, mapped back).

    Columns: nik, nik_status, nik_reason, nik_birth_date (datetime64[ms]), nik_sex,
    nik_warnings (comma-joined or missing). String columns use pandas' `str` dtype (NaN = absent).
    """
    today = today or dt.date.today()
    codes, uniq_index = pd.factorize(raw, use_na_sentinel=True)
    uniques = uniq_index.tolist()
    n = len(uniques)
    clean: list[object] = [None] * n
    status: list[object] = [MISSING] * n
    reason: list[object] = [None] * n
    sex: list[object] = [None] * n
    warn: list[object] = [None] * n
    birth = np.full(n + 1, np.datetime64("NaT"), dtype="datetime64[D]")

    idx, d = _fast_candidates(uniques)
    ok, dates, woman = _vector_dates(d, today, women_plus_40=True)
    prefix = _pair(d, 0) * 10000 + _pair(d, 2) * 100 + _pair(d, 4)
    unknown = ~np.isin(prefix, known_kecamatan_prefix_ints())
    future = dates > np.datetime64(today, "D")
    warn_text = np.select(
        [unknown & future, unknown, future],
        [
            f"{UNKNOWN_REGION_PREFIX},{BIRTH_DATE_IN_FUTURE}",
            UNKNOWN_REGION_PREFIX,
            BIRTH_DATE_IN_FUTURE,
        ],
        default="",
    )
    good = idx[ok]
    birth[good] = dates[ok]
    for i, w, ww in zip(good.tolist(), woman[ok].tolist(), warn_text[ok].tolist(), strict=True):
        clean[i] = uniques[i]
        status[i] = VALID
        sex[i] = "P" if w else "L"
        warn[i] = ww or None

    done = np.zeros(n, bool)
    done[good] = True
    for i in np.flatnonzero(~done).tolist():
        info = classify_nik(uniques[i], today=today)
        clean[i], status[i], reason[i], sex[i] = info.clean, info.status, info.reason, info.sex
        warn[i] = ",".join(info.warnings) or None
        if info.birth_date is not None:
            birth[i] = np.datetime64(info.birth_date, "D")

    index = raw.index
    rows = np.where(codes < 0, n, codes)
    return pd.DataFrame(
        {
            "nik": _str_column(clean, codes, index),
            "nik_status": _str_column(status, codes, index, MISSING),
            "nik_reason": _str_column(reason, codes, index),
            "nik_birth_date": pd.Series(birth[rows].astype("datetime64[ms]"), index=index),
            "nik_sex": _str_column(sex, codes, index),
            "nik_warnings": _str_column(warn, codes, index),
        },
        index=index,
    )


def standardise_kk(raw: pd.Series, *, today: dt.date | None = None) -> pd.DataFrame:
    """Vectorised `classify_kk` over a Series: columns kk, kk_status, kk_reason (`str` dtype)."""
    today = today or dt.date.today()
    codes, uniq_index = pd.factorize(raw, use_na_sentinel=True)
    uniques = uniq_index.tolist()
    n = len(uniques)
    clean: list[object] = [None] * n
    status: list[object] = [MISSING] * n
    reason: list[object] = [None] * n

    idx, d = _fast_candidates(uniques)
    ok, _, _ = _vector_dates(d, today, women_plus_40=False)
    done = np.zeros(n, bool)
    for i in idx[ok].tolist():
        clean[i], status[i] = uniques[i], VALID
        done[i] = True
    for i in np.flatnonzero(~done).tolist():
        info = classify_kk(uniques[i], today=today)
        clean[i], status[i], reason[i] = info.clean, info.status, info.reason

    index = raw.index
    return pd.DataFrame(
        {
            "kk": _str_column(clean, codes, index),
            "kk_status": _str_column(status, codes, index, MISSING),
            "kk_reason": _str_column(reason, codes, index),
        },
        index=index,
    )


def nik_equals_kk(nik: pd.Series, kk: pd.Series) -> pd.Series:
    """True where a row's cleaned NIK equals its cleaned KK number (an error); False if absent.

    Expects the `nik` and `kk` columns of `standardise_nik` / `standardise_kk`, row-aligned.
    """
    if len(nik) != len(kk):
        raise ValueError("nik and kk must have the same length")
    a = nik.astype("str").to_numpy(dtype=object, na_value=None)
    b = kk.astype("str").to_numpy(dtype=object, na_value=None)
    same = (a == b) & pd.notna(a) & pd.notna(b)
    return pd.Series(same.astype(bool), index=nik.index)
