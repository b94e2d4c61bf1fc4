"""Dates from ministry extracts: parse with contract formats, split `PLACE, DATE` fields, and
compare a recorded birth date with the one encoded in the NIK."""

from __future__ import annotations

import numpy as np
import pandas as pd

FALLBACK_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")

MISSING = "missing"
AGREE = "agree"
DAY_MONTH_SWAPPED = "day_month_swapped"
DISAGREES_WITH_NIK = "disagrees_with_nik"
NO_NIK_DATE = "no_nik_date"
UNPARSEABLE = "unparseable"

_MS = "datetime64[ms]"


def _as_dates(values: pd.Series) -> pd.Series:
    """Any date-like Series (datetime64, python dates, text in ISO form) as datetime64[ms] days."""
    if not isinstance(values.dtype, np.dtype) or values.dtype.kind != "M":
        values = pd.to_datetime(values, errors="coerce")
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_localize(None)
    return values.dt.normalize().astype(_MS)


def _parse_text(text: pd.Series, formats: list[str] | tuple[str, ...]) -> np.ndarray:
    """Stripped text (missing = NA) to datetime64[ms] days, first matching format wins."""
    values = np.full(len(text), np.datetime64("NaT"), dtype=_MS)
    todo = text.notna().to_numpy(dtype=bool, copy=True)
    for fmt in [*formats, *FALLBACK_FORMATS]:
        pos = np.flatnonzero(todo)
        if not len(pos):
            break
        parsed = pd.to_datetime(text.iloc[pos], format=fmt, errors="coerce", cache=False)
        arr = parsed.dt.normalize().to_numpy(dtype=_MS)
        got = ~np.isnat(arr)
        values[pos[got]] = arr[got]
        todo[pos[got]] = False
    return values


def _unique_text(raw: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """(row -> unique position, with missing rows pointing one past the end; stripped uniques)."""
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    text = pd.Series(uniques, dtype=object).astype("str").str.strip()
    text = text.where(text != "", None)
    return np.where(codes < 0, len(text), codes), text


def parse_dates(raw: pd.Series, formats: list[str] | tuple[str, ...]) -> pd.Series:
    """Parse text dates trying each format in order, then ISO and Excel datetime text.

    Returns datetime64[ms] at midnight, NaT where empty or unparseable; same index. Parses
    each distinct value once.
    """
    if isinstance(raw.dtype, np.dtype) and raw.dtype.kind == "M":
        return _as_dates(raw)
    rows, text = _unique_text(raw)
    values = np.append(_parse_text(text, formats), np.datetime64("NaT", "ms"))
    return pd.Series(values[rows], index=raw.index)


def split_place_date(
    raw: pd.Series, formats: list[str] | tuple[str, ...]
) -> tuple[pd.Series, pd.Series]:
    """Split packed `PLACE, DATE` fields at the last comma into (place text, datetime64[ms]).

    Without a comma the whole value is read as a date and the place is missing.
    """
    rows, text = _unique_text(raw)
    place: list[str | None] = []
    date_text: list[str | None] = []
    for value in text.tolist():
        if not isinstance(value, str):
            place.append(None)
            date_text.append(None)
        elif "," in value:
            before, _, after = value.rpartition(",")
            place.append(" ".join(before.split()) or None)
            date_text.append(after.strip() or None)
        else:
            place.append(None)
            date_text.append(value)
    places = pd.array([*place, None], dtype="str").take(rows)
    # Many places share a date: parse each distinct date text once, not once per place.
    parsed = parse_dates(pd.Series(date_text, dtype="str"), formats).to_numpy(
        dtype="datetime64[ms]"
    )
    dates = np.append(parsed, np.datetime64("NaT", "ms"))
    return pd.Series(places, index=raw.index), pd.Series(dates[rows], index=raw.index)


def birth_date_flags(
    record_date: pd.Series, nik_date: pd.Series, sent: pd.Series | None = None
) -> pd.Series:
    """Compare recorded and NIK birth dates row by row (positionally; record_date's index).

    Values: missing, unparseable (`sent` says a date was written but none was read),
    no_nik_date, agree, day_month_swapped, disagrees_with_nik.
    """
    if len(record_date) != len(nik_date):
        raise ValueError("record_date and nik_date must have the same length")
    rec = _as_dates(record_date)
    nik = _as_dates(nik_date).set_axis(rec.index)
    rec_na, nik_na = rec.isna().to_numpy(), nik.isna().to_numpy()
    unread = rec_na & (np.zeros(len(rec), bool) if sent is None else sent.to_numpy(dtype=bool))
    same = (rec == nik).to_numpy(dtype=bool, na_value=False)
    rd, rm, ry = (rec.dt.day.to_numpy(), rec.dt.month.to_numpy(), rec.dt.year.to_numpy())
    nd, nm, ny = (nik.dt.day.to_numpy(), nik.dt.month.to_numpy(), nik.dt.year.to_numpy())
    with np.errstate(invalid="ignore"):
        swapped = (rd == nm) & (rm == nd) & (ry == ny) & (rd != rm)
    flags = np.select(
        [unread, rec_na, nik_na, same, swapped],
        [UNPARSEABLE, MISSING, NO_NIK_DATE, AGREE, DAY_MONTH_SWAPPED],
        default=DISAGREES_WITH_NIK,
    )
    return pd.Series(flags, index=rec.index, dtype="str")


def date_sent(raw_text: pd.Series, dates: pd.Series, packed: bool) -> pd.Series:
    """True where a date was written (stripped text, missing = NA), read or not. In a packed
    `PLACE, DATE` field only the part after the last comma counts: `KUPANG,` sent no date."""
    sent = raw_text.notna().to_numpy(dtype=bool, copy=True)
    if packed:
        unread = np.flatnonzero(sent & dates.isna().to_numpy())
        if len(unread):
            after = raw_text.iloc[unread].str.rpartition(",")[2].str.strip()
            sent[unread] = after.ne("").to_numpy(dtype=bool)
    return pd.Series(sent, index=raw_text.index)


def placeholder_date(dates: pd.Series) -> pd.Series:
    """True for 1 July and 31 December, dates often given when the real one is unknown."""
    d = _as_dates(dates)
    day, month = d.dt.day, d.dt.month
    flag = ((month == 7) & (day == 1)) | ((month == 12) & (day == 31))
    return pd.Series(flag.to_numpy(dtype=bool, na_value=False), index=dates.index)
