"""Sex written in many ways (`L`, `Laki-laki`, `Perempuan`, `F`, ...) to `L` / `P`."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

_NOISE = re.compile(r"[\s.\-_/]+")
KNOWN_CODES: dict[str, str] = {
    "L": "L", "LK": "L", "LAKILAKI": "L", "LAKI": "L", "LAKI2": "L", "LELAKI": "L", "PRIA": "L",
    "M": "L", "MALE": "L",
    "P": "P", "PR": "P", "PEREMPUAN": "P", "WANITA": "P", "F": "P", "FEMALE": "P",
}  # fmt: skip


def _code_key(value: object) -> str | None:
    """Upper-case text without spaces, dots, dashes, underscores and slashes (ints as digits)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, str | int | np.integer):
        return None
    return _NOISE.sub("", str(value)).upper() or None


def standardise_sex(raw: pd.Series, extra_codes: dict[str, str] | None = None) -> pd.Series:
    """Map known spellings (case/space-insensitive) to "L"/"P", anything else to missing.

    `extra_codes` (e.g. {"1": "L", "2": "P"}) adds contract-specific codes and wins over the
    built-in spellings; its values must be "L" or "P". Result has `str` dtype, same index.
    """
    codes_map = dict(KNOWN_CODES)
    for code, value in (extra_codes or {}).items():
        if value not in ("L", "P"):
            raise ValueError(f"extra sex code {code!r} must map to 'L' or 'P', not {value!r}")
        key = _code_key(code)
        if key is not None:
            codes_map[key] = value
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    mapped = [codes_map.get(_code_key(v)) for v in uniques.tolist()]  # type: ignore[arg-type]
    table = pd.array([*mapped, None], dtype="str")
    return pd.Series(table.take(np.where(codes < 0, len(mapped), codes)), index=raw.index)
