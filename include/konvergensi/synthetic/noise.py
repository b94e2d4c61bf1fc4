"""Realistic errors seen in ministry lists, applied at configurable rates and recorded per row.

Rates are per row among the rows a noise can apply to (e.g. `muhammad_abbrev` among names that
start with Muhammad/Abdul, NIK noises among people who have a NIK, `birth_date_swapped` among
dates whose day is 1-12 and differs from the month). Defaults are modest; a contract's
`synthetic.noise` and the caller's `noise` override them, and `noise_scale` multiplies all
(0 = clean data). NIK noises are mutually exclusive, as are the two birth-date noises.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np

from konvergensi.synthetic.formatting import SEX_VARIANTS

NOISE_DEFAULTS: dict[str, float] = {
    "muhammad_abbrev": 0.5,  # of names starting with Muhammad/Abdul: M., Muh., Moh., Abd., ...
    "old_spelling": 0.02,  # of names with a letter the pre-1972 spelling writes differently
    "name_typo": 0.03,  # one character substituted, deleted or transposed
    "name_apostrophe": 0.2,  # of names with an apostrophe (Ba'u): written with U+2019 instead
    "title": 0.03,  # Bpk., Ibu, Hj., Drs., ..., S.Pd.
    "initial_appended": 0.01,  # NAME.Z
    "nik_missing": 0.03,
    "nik_excel": 0.01,  # 5.30124E+15, or 15 significant digits and a 0 (float cell in XLSX)
    "nik_typo": 0.01,  # one digit wrong
    "nik_transposed": 0.005,  # two adjacent digits swapped
    "nik_placeholder": 0.005,  # 0000000000000000, 1111111111111111, 1234567890123456
    "birth_date_missing": 0.01,
    "birth_date_swapped": 0.02,  # of dates with day 1-12 != month: day and month swapped
    "sex_code_variant": 0.01,  # a spelling the source does not normally use
    "village_code_format": 0.01,  # without dots / with spaces (or dotted in a plain source)
    "duplicate_row": 0.005,  # the same line twice, same record id
}
NIK_NOISES = ("nik_missing", "nik_excel", "nik_typo", "nik_transposed", "nik_placeholder")
PLACEHOLDER_NIKS = ("0000000000000000", "1111111111111111", "1234567890123456")
MALE_TITLES = ("Bpk.", "Bapak", "Sdr.", "Drs.", "Ir.", "Pdt.", "dr.")
FEMALE_TITLES = ("Ibu", "Ny.", "Dra.", "Sr.", "dr.")
DEGREES = ("S.Pd.", "S.E.", "S.H.", "S.Sos.", "S.Kep.", "M.Pd.", "M.Si.", "A.Md.", "S.Th.", "S.Pt.")
MUHAMMAD_FORMS = ("M.", "Muh.", "Moh.", "Moch.", "Mochammad", "Mohamad", "Muhamad")

_OLD = {"ny": "nj", "sy": "sj", "kh": "ch", "u": "oe", "j": "dj", "c": "tj", "y": "j"}
_OLD_PATTERN = re.compile("|".join(_OLD), re.IGNORECASE)
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def resolve_rates(
    overrides: Mapping[str, float] | None,
    contract_noise: Mapping[str, float] | None,
    scale: float,
) -> dict[str, float]:
    """Effective rates: defaults, then caller overrides, then the contract's, times `scale`."""
    if scale < 0:
        raise ValueError("noise_scale must be >= 0")
    rates = dict(NOISE_DEFAULTS)
    for layer in (overrides or {}, contract_noise or {}):
        unknown = sorted(set(layer) - set(NOISE_DEFAULTS))
        if unknown:
            raise ValueError(f"unknown noise {unknown}; known: {', '.join(NOISE_DEFAULTS)}")
        rates.update(layer)
    rates = {k: min(1.0, max(0.0, float(v) * scale)) for k, v in rates.items()}
    nik_total = sum(rates[k] for k in NIK_NOISES)
    if nik_total > 1:  # exclusive noises: keep their proportions
        for k in NIK_NOISES:
            rates[k] /= nik_total
    return rates


class NoiseLog:
    """Which noises hit which rows of one extract."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.masks: dict[str, np.ndarray] = {}

    def add(self, tag: str, mask: np.ndarray) -> None:
        """Record `tag` for the rows where mask is true."""
        if mask.any():
            self.masks[tag] = self.masks.get(tag, np.zeros(self.n, bool)) | mask

    def tags(self) -> np.ndarray:
        """Comma-joined noise tags per row in a fixed order ('' when clean), object array."""
        out = np.full(self.n, "", dtype=object)
        for tag in NOISE_DEFAULTS:
            idx = np.flatnonzero(self.masks.get(tag, np.zeros(0, bool)))
            out[idx] = [f"{o},{tag}" if o else tag for o in out[idx]]
        return out


def _hit(rng: np.random.Generator, eligible: np.ndarray, rate: float) -> np.ndarray:
    return eligible & (rng.random(len(eligible)) < rate) if rate > 0 else np.zeros_like(eligible)


def _typo(rng: np.random.Generator, name: str) -> str:
    """One character substituted, deleted, or swapped with its neighbour (letters only)."""
    pos = [i for i, ch in enumerate(name) if ch.isalpha()]
    if len(pos) < 3:
        return name
    i = pos[int(rng.integers(1, len(pos)))]  # keep the first letter, as most typos do
    kind = int(rng.integers(0, 3))
    if kind == 0:
        letter = _LETTERS[int(rng.integers(0, 26))]
        if letter == name[i].lower():
            letter = _LETTERS[(_LETTERS.index(letter) + 1) % 26]
        return name[:i] + (letter.upper() if name[i].isupper() else letter) + name[i + 1 :]
    if kind == 1:
        return name[:i] + name[i + 1 :]
    j = i - 1 if i - 1 in pos else i + 1
    if j not in pos or name[i] == name[j]:
        return name[:i] + name[i + 1 :]
    a, b = min(i, j), max(i, j)
    return name[:a] + name[b] + name[a] + name[b + 1 :]


def _old_spelling(name: str) -> str:
    """Pre-1972 spelling: u->oe, j->dj, c->tj, y->j, ny->nj, sy->sj, kh->ch."""

    def sub(m: re.Match[str]) -> str:
        old = _OLD[m.group(0).lower()]
        return old[0].upper() + old[1:] if m.group(0)[0].isupper() else old

    return _OLD_PATTERN.sub(sub, name)


def noisy_names(
    rng: np.random.Generator,
    names: np.ndarray,
    female: np.ndarray,
    muslim: np.ndarray,
    rates: Mapping[str, float],
    log: NoiseLog,
) -> np.ndarray:
    """Names (title case) with abbreviations, old spellings, typos, titles and initials."""
    out = names.copy()
    text = names.astype(str)
    abbrev = _hit(
        rng,
        np.char.startswith(text, "Muhammad ") | np.char.startswith(text, "Abdul "),
        rates["muhammad_abbrev"],
    )
    for i in np.flatnonzero(abbrev):
        first, rest = out[i].split(" ", 1)
        form = (
            "Abd." if first == "Abdul" else MUHAMMAD_FORMS[int(rng.integers(len(MUHAMMAD_FORMS)))]
        )
        out[i] = f"{form} {rest}"
    log.add("muhammad_abbrev", abbrev)

    eligible = np.array([_OLD_PATTERN.search(s) is not None for s in text], dtype=bool)
    old = _hit(rng, eligible, rates["old_spelling"])
    out[old] = [_old_spelling(s) for s in out[old]]
    log.add("old_spelling", old)

    typo = _hit(rng, np.ones(len(out), bool), rates["name_typo"])
    idx = np.flatnonzero(typo)
    before = out[idx]
    out[idx] = [_typo(rng, s) for s in before]
    typo[idx[out[idx] == before]] = False  # names too short to mistype
    log.add("name_typo", typo)

    apostrophe = _hit(rng, np.char.find(out.astype(str), "'") >= 0, rates["name_apostrophe"])
    out[apostrophe] = [s.replace("'", "\u2019") for s in out[apostrophe]]
    log.add("name_apostrophe", apostrophe)

    titled = _hit(rng, np.ones(len(out), bool), rates["title"])
    for i in np.flatnonzero(titled):
        if rng.random() < 0.6:
            pool = FEMALE_TITLES if female[i] else MALE_TITLES
            if muslim[i] and rng.random() < 0.5:
                pool = ("Hj.",) if female[i] else ("H.",)
            out[i] = f"{pool[int(rng.integers(len(pool)))]} {out[i]}"
        else:
            out[i] = f"{out[i]}, {DEGREES[int(rng.integers(len(DEGREES)))]}"
    log.add("title", titled)

    initial = _hit(rng, np.ones(len(out), bool), rates["initial_appended"])
    out[initial] = [f"{s}.{_LETTERS[int(rng.integers(26))].upper()}" for s in out[initial]]
    log.add("initial_appended", initial)
    return out


def _digit_typo(rng: np.random.Generator, nik: str) -> str:
    i = int(rng.integers(0, 16))
    digit = str((int(nik[i]) + int(rng.integers(1, 10))) % 10)
    return nik[:i] + digit + nik[i + 1 :]


def _transpose(rng: np.random.Generator, nik: str) -> str:
    spots = [i for i in range(15) if nik[i] != nik[i + 1]]
    i = spots[int(rng.integers(len(spots)))]
    return nik[:i] + nik[i + 1] + nik[i] + nik[i + 2 :]


def _excel(rng: np.random.Generator, nik: str, xlsx: bool) -> str | float:
    """What Excel leaves of a 16-digit number: 15 significant digits, maybe shown as 5.30124E+15."""
    zeroed = nik[:15] + "0"
    if xlsx:
        return float(zeroed)  # a number cell: the reader sees 5301241203800000
    return f"{float(nik):.5E}" if rng.random() < 0.5 else zeroed


def noisy_niks(
    rng: np.random.Generator,
    niks: np.ndarray,
    rates: Mapping[str, float],
    log: NoiseLog,
    xlsx: bool,
) -> np.ndarray:
    """NIK text with at most one NIK noise per row; rows without a true NIK stay empty."""
    out = niks.copy()
    has = niks != None  # noqa: E711 - elementwise comparison on an object array
    u = rng.random(len(out))
    lower = 0.0
    for tag in NIK_NOISES:
        mask = has & (u >= lower) & (u < lower + rates[tag])
        lower += rates[tag]
        idx = np.flatnonzero(mask)
        if tag == "nik_missing":
            out[idx] = None
        elif tag == "nik_excel":
            out[idx] = [_excel(rng, s, xlsx) for s in out[idx]]
        elif tag == "nik_typo":
            out[idx] = [_digit_typo(rng, s) for s in out[idx]]
        elif tag == "nik_transposed":
            out[idx] = [_transpose(rng, s) for s in out[idx]]
        else:
            out[idx] = np.asarray(PLACEHOLDER_NIKS, dtype=object)[
                rng.integers(0, len(PLACEHOLDER_NIKS), len(idx))
            ]
        log.add(tag, mask)
    return out


def noisy_birth_dates(
    rng: np.random.Generator,
    month: np.ndarray,
    day: np.ndarray,
    rates: Mapping[str, float],
    log: NoiseLog,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(month, day, missing) after day-month swaps and dropped dates."""
    missing = _hit(rng, np.ones(len(day), bool), rates["birth_date_missing"])
    swap = _hit(rng, (day <= 12) & (day != month) & ~missing, rates["birth_date_swapped"])
    log.add("birth_date_missing", missing)
    log.add("birth_date_swapped", swap)
    return np.where(swap, day, month), np.where(swap, month, day), missing


def noisy_sex(
    rng: np.random.Generator,
    female: np.ndarray,
    codes: tuple[str, str],
    rates: Mapping[str, float],
    log: NoiseLog,
) -> np.ndarray:
    """Sex in the source's codes, a few rows in another spelling."""
    out = np.where(female, codes[1], codes[0]).astype(object)
    variants = [v for v in SEX_VARIANTS if v != codes]
    hit = _hit(rng, np.ones(len(out), bool), rates["sex_code_variant"])
    pick = rng.integers(0, len(variants), len(out))
    for i in np.flatnonzero(hit):
        out[i] = variants[pick[i]][1 if female[i] else 0]
    log.add("sex_code_variant", hit)
    return out


def noisy_village_codes(
    rng: np.random.Generator,
    dotted: np.ndarray,
    style: str,
    rates: Mapping[str, float],
    log: NoiseLog,
) -> np.ndarray:
    """Village codes in the source's style; a few written plain/dotted or with spaces."""
    d = dotted.astype(str)
    plain = np.char.replace(d, ".", "")
    spaced = np.char.replace(d, ".", " ")
    out = (plain if style == "plain" else d).astype(object)
    hit = _hit(rng, np.ones(len(d), bool), rates["village_code_format"])
    alternative = plain if style != "plain" else d
    out[hit] = np.where(rng.random(int(hit.sum())) < 0.5, alternative[hit], spaced[hit])
    log.add("village_code_format", hit)
    return out


def duplicate_count(rng: np.random.Generator, rows: int, rate: float) -> int:
    """How many of `rows` written rows are second copies of another row."""
    k = int(rng.binomial(rows, rate)) if rate > 0 and rows > 1 else 0
    return min(k, rows // 2)


def duplicate_mask(rng: np.random.Generator, unique_rows: int, copies: int) -> np.ndarray:
    """Which unique rows are written twice (exactly `copies` of them)."""
    mask = np.zeros(unique_rows, dtype=bool)
    mask[rng.choice(unique_rows, min(copies, unique_rows), replace=False)] = True
    return mask
