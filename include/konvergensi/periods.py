"""Extract periods: `2026-09` for monthly sources, `2026-Q3` for quarterly ones."""

from __future__ import annotations

import re
from datetime import date, datetime

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


def period_pattern(cadence: str) -> str:
    """The regular expression a period of this cadence matches (for a DAG's `period` param)."""
    if cadence not in ("monthly", "quarterly"):
        raise ValueError(f"unknown cadence {cadence!r}")
    return (_MONTH if cadence == "monthly" else _QUARTER).pattern


def period_of(day: date | datetime, cadence: str) -> str:
    """The period (of the given cadence) that contains a day."""
    if cadence == "monthly":
        return f"{day.year:04d}-{day.month:02d}"
    if cadence == "quarterly":
        return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"
    raise ValueError(f"unknown cadence {cadence!r}")


def previous_period(day: date | datetime, cadence: str) -> str:
    """The last complete period before a day: what a run scheduled on that day ingests."""
    first_of_month = date(day.year, day.month, 1)
    if cadence == "monthly":
        year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
        return period_of(date(year, month, 1), cadence)
    quarter_start_month = 3 * ((first_of_month.month - 1) // 3) + 1
    year, month = day.year, quarter_start_month - 3
    if month < 1:
        year, month = year - 1, month + 12
    return period_of(date(year, month, 1), cadence)


def period_bounds(period: str) -> tuple[date, date]:
    """First and last day of a period."""
    if m := _MONTH.match(period):
        year, month = int(m[1]), int(m[2])
        start = date(year, month, 1)
        end_month = date(year + (month == 12), month % 12 + 1, 1)
    elif m := _QUARTER.match(period):
        year, quarter = int(m[1]), int(m[2])
        start = date(year, 3 * quarter - 2, 1)
        end_month = date(year + (quarter == 4), (3 * quarter) % 12 + 1, 1)
    else:
        raise ValueError(f"period {period!r} is neither YYYY-MM nor YYYY-Qn")
    return start, date.fromordinal(end_month.toordinal() - 1)


def quarter_of(period: str) -> str:
    """The reporting quarter a monthly or quarterly period falls in."""
    start, _ = period_bounds(period)
    return period_of(start, "quarterly")


def check_period(period: str, cadence: str) -> str:
    """Return the period if it has the shape its cadence needs, else raise a clear error."""
    pattern = _MONTH if cadence == "monthly" else _QUARTER
    if not pattern.match(period):
        shape = "YYYY-MM" if cadence == "monthly" else "YYYY-Qn"
        raise ValueError(f"period {period!r} does not fit a {cadence} source; expected {shape}")
    return period


def is_month(period: str) -> bool:
    """True for a monthly period string like `2026-07`."""
    return bool(_MONTH.match(period))


def is_quarter(period: str) -> bool:
    """True for a quarterly period string like `2026-Q3`."""
    return bool(_QUARTER.match(period))


def months_of(quarter: str) -> list[str]:
    """`2026-Q3` -> `["2026-07", "2026-08", "2026-09"]`."""
    year, q = quarter.split("-Q")
    first = (int(q) - 1) * 3 + 1
    return [f"{year}-{m:02d}" for m in range(first, first + 3)]


def periods_for_quarter(quarter: str) -> dict[str, list[str]]:
    """The monthly and quarterly periods that make up one quarter."""
    if not is_quarter(quarter):
        raise ValueError(f"{quarter!r} is not a quarter like 2026-Q3")
    return {"monthly": months_of(quarter), "quarterly": [quarter]}


def split_periods(periods: list[str] | tuple[str, ...]) -> dict[str, list[str]]:
    """Requested periods by cadence, deriving the missing cadence from the other one."""
    for p in periods:
        period_bounds(p)
    months = sorted({p for p in periods if is_month(p)})
    quarters = sorted({p for p in periods if is_quarter(p)})
    if not months:
        months = sorted({m for q in quarters for m in months_of(q)})
    if not quarters:
        quarters = sorted({quarter_of(m) for m in months})
    return {"monthly": months, "quarterly": quarters}
