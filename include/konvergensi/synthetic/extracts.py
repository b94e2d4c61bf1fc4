"""One source file's rows: every canonical field the contract maps, in the source's own codes,
with noise applied and recorded, plus the ground truth of each written row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from konvergensi.contracts import Contract
from konvergensi.periods import period_bounds
from konvergensi.synthetic import formatting as fmt
from konvergensi.synthetic.noise import (
    NoiseLog,
    noisy_birth_dates,
    noisy_names,
    noisy_niks,
    noisy_sex,
    noisy_village_codes,
)
from konvergensi.synthetic.population import RELATIONSHIPS, Population

DEFAULT_AMOUNT = (100_000.0, 1_000_000.0)
DEFAULT_QUANTITY = (1.0, 100.0)


@dataclass(frozen=True)
class Extract:
    """The rows of one file (column-major, header order) and one truth row per written row."""

    contract: Contract
    period: str
    header: list[str]
    columns: list[np.ndarray]  # object arrays: str, int, float (Excel-mangled NIK) or None
    truth: pd.DataFrame

    @property
    def file_name(self) -> str:
        """Name the file lands under."""
        return self.contract.landing_name(self.period)

    def __len__(self) -> int:
        return len(self.truth)


def file_order(pop: Population, persons: np.ndarray) -> np.ndarray:
    """Rows grouped by village, then household and relationship, as exports usually are."""
    village = pop.village[persons]
    return persons[np.lexsort((persons, village))]


def _dates_in(rng: np.random.Generator, period: str, n: int) -> tuple[np.ndarray, ...]:
    """Uniform random days within the period, as (year, month, day)."""
    first, last = period_bounds(period)
    ordinal = rng.integers(first.toordinal(), last.toordinal() + 1, n)
    days = np.array([date.fromordinal(int(o)) for o in np.unique(ordinal)])
    pos = np.searchsorted(np.unique(ordinal), ordinal)
    return (
        np.array([d.year for d in days])[pos],
        np.array([d.month for d in days])[pos],
        np.array([d.day for d in days])[pos],
    )


def _case(names: np.ndarray, case: str) -> np.ndarray:
    return np.array([s.upper() for s in names], dtype=object) if case == "upper" else names


def _range_values(rng, bounds, n: int, step: int) -> np.ndarray:
    """Uniform values within bounds, rounded to `step`, as Python ints (object array)."""
    lo, hi = bounds
    values = np.rint(rng.uniform(lo, hi, n) / step) * step
    values = np.clip(values, np.ceil(lo / step) * step, np.floor(hi / step) * step)
    return np.array([int(v) for v in values], dtype=object)


def _field_values(
    rng: np.random.Generator,
    pop: Population,
    contract: Contract,
    period: str,
    persons: np.ndarray,
    rates: dict[str, float],
    xlsx: bool,
    log: NoiseLog,
) -> dict[str, np.ndarray]:
    """Canonical field -> written values for the unique rows (before duplication)."""
    p, h, geo, syn = pop.people, pop.households, pop.geo, contract.synthetic
    fields = contract.columns
    n = len(persons)
    hh = p.household[persons]
    female = p.female[persons]
    date_format = contract.parsing.date_formats[0]
    case = fmt.name_case(contract)
    out: dict[str, np.ndarray] = {}

    out["source_record_id"] = fmt.record_ids(contract.source, period, n)
    out["full_name"] = _case(
        noisy_names(rng, p.full_name[persons], female, p.muslim[persons], rates, log), case
    )
    if "nik" in fields:
        out["nik"] = noisy_niks(rng, p.nik[persons], rates, log, xlsx)
    if "kk" in fields:
        out["kk"] = h.kk[hh].copy()
    if "sex" in fields:
        out["sex"] = noisy_sex(rng, female, fmt.sex_codes(contract), rates, log)
    if "birth_date" in fields or "birth_place_date" in fields:
        month, day, missing = noisy_birth_dates(rng, p.month[persons], p.day[persons], rates, log)
        text = fmt.format_dates(p.year[persons], month, day, date_format)
        if "birth_date" in fields:
            out["birth_date"] = np.where(missing, None, text)
        if "birth_place_date" in fields:
            place = _case(p.birth_place[persons], "upper")
            out["birth_place_date"] = np.where(missing, place, place + ", " + text)
    village = h.village[hh]
    out["village_code"] = noisy_village_codes(
        rng, geo.village_codes[village], syn.village_code_style, rates, log
    )
    if "address" in fields:
        rt = rng.integers(1, 16, n)
        rw = rng.integers(1, 6, n)
        names = _case(geo.village_names[village], case)
        out["address"] = np.array(
            [f"RT {a:03d}/RW {b:03d}, {v}" for a, b, v in zip(rt, rw, names, strict=True)],
            dtype=object,
        )
    if "intervention_date" in fields:
        out["intervention_date"] = fmt.format_dates(*_dates_in(rng, period, n), date_format)
    if "amount" in fields:
        out["amount"] = _range_values(rng, syn.amount or DEFAULT_AMOUNT, n, 1000)
    if "quantity" in fields:
        out["quantity"] = _range_values(rng, syn.quantity or DEFAULT_QUANTITY, n, 1)
    if "family_id" in fields:
        prefix = f"{fmt.record_prefix(contract.source)}-{geo.regency_digits}-"
        out["family_id"] = np.array([f"{prefix}{i + 1:07d}" for i in hh], dtype=object)
    if "welfare_decile" in fields:
        out["welfare_decile"] = np.array([int(d) for d in h.decile[hh]], dtype=object)
    if "extreme_poor" in fields:
        yes, no = fmt.flag_codes(contract)
        out["extreme_poor"] = np.where(h.extreme_poor[hh], yes, no).astype(object)
    if "relationship" in fields:
        out["relationship"] = np.asarray(RELATIONSHIPS, dtype=object)[p.relationship[persons]]
    return out


def build_extract(
    rng: np.random.Generator,
    pop: Population,
    contract: Contract,
    period: str,
    persons: np.ndarray,
    duplicated: np.ndarray,
    rates: dict[str, float],
) -> Extract:
    """The file for one contract and period: `persons` in file order, `duplicated` of them twice."""
    xlsx = contract.format.type in ("xlsx", "xls")
    log = NoiseLog(len(persons))
    values = _field_values(rng, pop, contract, period, persons, rates, xlsx, log)

    expand = np.repeat(np.arange(len(persons)), 1 + duplicated.astype(np.int64))
    second = np.r_[False, expand[1:] == expand[:-1]]
    header = list(contract.columns.values())
    columns = [values[field][expand] for field in contract.columns]

    noise = log.tags()[expand]
    noise[second] = [f"{s},duplicate_row" if s else "duplicate_row" for s in noise[second]]
    truth = pd.DataFrame(
        {
            "source": contract.source,
            "period": period,
            "file_name": contract.landing_name(period),
            "row_number": np.arange(1, len(expand) + 1, dtype=np.int64),
            "source_record_id": values["source_record_id"][expand].astype(str),
            "person_id": persons[expand].astype(np.int64) + 1,
            "household_id": pop.people.household[persons[expand]].astype(np.int64) + 1,
            "noise": noise.astype(str),
        }
    )
    return Extract(contract, period, header, columns, truth)
