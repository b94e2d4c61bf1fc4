"""How a source writes values: its date format, sex codes, village-code style, flags, name case.

Vectorised over whole columns (lookup tables rather than strftime per row). Styles the contract
does not fix are picked from the source id, so sources differ but each is stable.
"""

from __future__ import annotations

import re
import zlib

import numpy as np

from konvergensi.contracts import Contract

SEX_STYLES: dict[str, tuple[str, str]] = {
    "L/P": ("L", "P"),
    "LAKI-LAKI/PEREMPUAN": ("LAKI-LAKI", "PEREMPUAN"),
    "Laki-laki/Perempuan": ("Laki-laki", "Perempuan"),
}
SEX_VARIANTS: tuple[tuple[str, str], ...] = (
    *SEX_STYLES.values(),
    ("LK", "PR"),
    ("Pria", "Wanita"),
    ("l", "p"),
)
FLAG_STYLES: dict[str, tuple[str, str]] = {"1/0": ("1", "0"), "Ya/Tidak": ("Ya", "Tidak")}

_TOKEN = re.compile(r"%[dmYy]|%%|[^%]+|%.")
_TWO = np.array([f"{i:02d}" for i in range(100)], dtype=object)


def stable_pick(source: str, options: list[str] | tuple[str, ...]) -> str:
    """One of `options`, chosen from the source id (same source -> same choice)."""
    return options[zlib.crc32(source.encode()) % len(options)]


def format_dates(year: np.ndarray, month: np.ndarray, day: np.ndarray, fmt: str) -> np.ndarray:
    """Dates as text in a strftime-style format (%d %m %Y %y and literals), object array."""
    parts: list[np.ndarray | str] = []
    for tok in _TOKEN.findall(fmt):
        if tok == "%d":
            parts.append(_TWO[day])
        elif tok == "%m":
            parts.append(_TWO[month])
        elif tok == "%Y":
            parts.append(np.char.zfill(year.astype(str), 4).astype(object))
        elif tok == "%y":
            parts.append(_TWO[year % 100])
        elif tok == "%%":
            parts.append("%")
        elif tok.startswith("%"):
            raise ValueError(f"date format {fmt!r}: the generator supports %d %m %Y %y only")
        else:
            parts.append(tok)
    out = np.full(len(year), "", dtype=object)
    for part in parts:
        out = out + part
    return out


def sex_codes(contract: Contract) -> tuple[str, str]:
    """(male, female) codes this source writes: contract sex_codes, the style, or a stable pick."""
    codes = contract.parsing.sex_codes
    male = next((k for k, v in codes.items() if v == "L"), None)
    female = next((k for k, v in codes.items() if v == "P"), None)
    if male and female:
        return male, female
    style = contract.synthetic.sex_style or stable_pick(contract.source, list(SEX_STYLES))
    return SEX_STYLES[style]


def flag_codes(contract: Contract) -> tuple[str, str]:
    """(true, false) codes for the extreme-poor flag."""
    style = contract.synthetic.flag_style or stable_pick(contract.source, list(FLAG_STYLES))
    return FLAG_STYLES[style]


def name_case(contract: Contract) -> str:
    """`upper` or `title`: most government lists are upper case."""
    return contract.synthetic.name_case or stable_pick(contract.source, ["upper", "upper", "title"])


def village_codes(dotted: np.ndarray, style: str) -> np.ndarray:
    """Dotted `53.01.24.2002` or plain `5301242002` (object array)."""
    if style == "plain":
        return np.char.replace(dotted.astype(str), ".", "").astype(object)
    return dotted.astype(object)


def record_prefix(source: str) -> str:
    """Readable record-id prefix: `kemenkop_ukm` -> `UKM`, `p3ke` -> `P3KE`."""
    return source.split("_", 1)[-1].upper()


def record_ids(source: str, period: str, n: int) -> np.ndarray:
    """`UKM-2026-07-000001` ... in file order (object array)."""
    width = max(6, len(str(n)))
    prefix = f"{record_prefix(source)}-{period}-"
    return np.array([f"{prefix}{i:0{width}d}" for i in range(1, n + 1)], dtype=object)
