"""The generated population: households (with KK numbers and welfare deciles) and their members.

Vectorised with numpy so that a million-row sample builds in seconds. NIKs and KK numbers follow
the real structure (see docs in /work/shared/domain.md); nothing here is a real person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from konvergensi.synthetic.geography import Geography
from konvergensi.synthetic.names import draw_clans, full_names, village_clans

REFERENCE_DATE = date(2026, 7, 1)  # ages are measured on this day

RELATIONSHIPS = (
    "KEPALA KELUARGA",
    "ISTRI",
    "ANAK",
    "MENANTU",
    "CUCU",
    "ORANG TUA",
    "MERTUA",
    "FAMILI LAIN",
)
HEAD, WIFE, CHILD, IN_LAW, GRANDCHILD, PARENT, PARENT_IN_LAW, OTHER = range(len(RELATIONSHIPS))

# Welfare deciles skewed poor for NTT: 40 % of households in deciles 1-4.
DECILE_SHARES = np.array([0.12, 0.105, 0.095, 0.08, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1])
EXTREME_POOR_SHARE = 0.25  # of register families (deciles 1-4), drawn from deciles 1-2
MEAN_HOUSEHOLD_SIZE = 3.9
NO_NIK = {"under5": 0.20, "child": 0.08, "adult": 0.03}
MOVED_WITHIN_REGENCY = 0.10  # adults first registered in another kecamatan of the regency
MOVED_FROM_OUTSIDE = 0.02  # adults first registered in a neighbouring regency
UNKNOWN_BIRTH_DATE = 0.035  # adults 20+ (about 2 % of everyone) recorded as 1 July or 31 December
TWIN_HOUSEHOLDS = 0.02  # of households with two or more children
OTHER_TOWNS = ("Soe", "Kefamenanu", "Atambua", "Ende", "Ba'a", "Seba", "Maumere", "Larantuka")


@dataclass(frozen=True)
class Households:
    """One row per household (index h; household_id = h + 1)."""

    village: np.ndarray  # index into Geography.village_codes
    kk: np.ndarray  # 16-digit text
    decile: np.ndarray  # 1..10
    extreme_poor: np.ndarray  # bool
    start: np.ndarray  # index of the first member in People
    size: np.ndarray

    def __len__(self) -> int:
        return len(self.kk)


@dataclass(frozen=True)
class People:
    """One row per person (index i; person_id = i + 1), sorted by household and relationship."""

    household: np.ndarray  # household index
    relationship: np.ndarray  # index into RELATIONSHIPS
    female: np.ndarray  # bool
    birth_date: np.ndarray  # datetime64[D]
    year: np.ndarray
    month: np.ndarray
    day: np.ndarray
    birth_date_imputed: np.ndarray  # bool: 1 July / 31 December stand-ins for unknown dates
    age: np.ndarray
    nik: np.ndarray  # object: 16-digit text or None
    first_kecamatan: np.ndarray  # dotted kecamatan code where the NIK was issued
    full_name: np.ndarray  # object, title case
    muslim: np.ndarray  # bool
    birth_place: np.ndarray  # object, title case

    def __len__(self) -> int:
        return len(self.household)


@dataclass(frozen=True)
class Population:
    """Households and people of one generated regency."""

    geo: Geography
    households: Households
    people: People

    @property
    def village(self) -> np.ndarray:
        """Each person's current village index."""
        return self.households.village[self.people.household]


def _date_parts(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month, day of datetime64[D] values."""
    y = days.astype("datetime64[Y]")
    m = days.astype("datetime64[M]")
    return (
        y.astype(np.int64) + 1970,
        (m - y.astype("datetime64[M]")).astype(np.int64) + 1,
        (days - m.astype("datetime64[D]")).astype(np.int64) + 1,
    )


def _serials(rng: np.random.Generator, keys: np.ndarray) -> np.ndarray:
    """A 4-digit serial per row, unique within rows that share a key (rank plus a random gap)."""
    order = np.lexsort((rng.random(len(keys)), keys))
    sorted_keys = keys[order]
    starts = np.r_[0, np.flatnonzero(sorted_keys[1:] != sorted_keys[:-1]) + 1]
    rank = np.arange(len(keys)) - np.repeat(starts, np.diff(np.r_[starts, len(keys)]))
    serial = np.empty(len(keys), dtype=np.int64)
    serial[order] = 2 * rank + 1 + rng.integers(0, 2, len(keys))
    if len(serial) and serial.max() > 9999:
        raise ValueError("too many people share a region and date for 4-digit serials")
    return serial


def _households(rng, geo: Geography, n: int):
    """Village, decile and extreme-poor flag per household; poor villages cluster."""
    v_weight = rng.lognormal(0.0, 0.8, len(geo.village_codes))
    village = rng.choice(len(v_weight), size=n, p=v_weight / v_weight.sum())
    score = rng.normal(0.0, 0.6, len(v_weight))[village] + rng.normal(0.0, 1.0, n)
    cuts = np.quantile(score, np.cumsum(DECILE_SHARES)[:-1])
    decile = np.searchsorted(cuts, score, side="right") + 1
    poorest = np.flatnonzero(decile <= 2)
    n_extreme = min(len(poorest), round(EXTREME_POOR_SHARE * np.sum(decile <= 4)))
    w = np.where(decile[poorest] == 1, 2.0, 1.0)
    chosen = rng.choice(poorest, size=n_extreme, replace=False, p=w / w.sum())
    extreme = np.zeros(n, dtype=bool)
    extreme[chosen] = True
    return village, decile, extreme


def _members(rng, decile: np.ndarray):
    """Household composition: (household, relationship, age, female) for every member."""
    n = len(decile)
    head_female = rng.random(n) < 0.14
    head_age = np.clip(np.rint(rng.normal(45, 13, n)), 19, 92).astype(np.int64)
    spouse = ~head_female & (rng.random(n) < np.where(head_age < 65, 0.88, 0.6))
    spouse_age = np.clip(head_age - np.rint(rng.normal(4, 3.5, n)), 17, 95).astype(np.int64)
    lam = np.select([decile <= 2, decile <= 4, decile <= 7], [2.6, 2.3, 2.0], 1.7)
    lam = lam * np.where(head_age >= 62, 0.5, 1.0) * np.where(head_age < 24, 0.4, 1.0)
    n_children = np.minimum(rng.poisson(lam), 8)
    mother_age = np.where(spouse, spouse_age, np.where(head_female, head_age, head_age - 4))
    parent = (head_age < 58) & (rng.random(n) < 0.07)
    parent_in_law = (head_age < 58) & ~parent & spouse & (rng.random(n) < 0.03)
    in_law = (head_age >= 50) & (rng.random(n) < 0.07)
    n_grand = np.where((head_age >= 48) & (rng.random(n) < 0.15), 1 + (rng.random(n) < 0.4), 0)
    other = rng.random(n) < 0.04

    blocks = []

    def add(hh, role, age, female):
        blocks.append((hh, np.full(len(hh), role), np.asarray(age, np.int64), female))

    hh = np.arange(n)
    add(hh, HEAD, head_age, head_female)
    s = np.flatnonzero(spouse)
    add(s, WIFE, spouse_age[s], np.ones(len(s), bool))
    c = np.repeat(hh, n_children)
    c_max = np.clip(np.minimum(mother_age[c] - 17, 35), 0, None)
    add(c, CHILD, np.floor(rng.random(len(c)) * (c_max + 1)), rng.random(len(c)) < 0.49)
    for mask, role, lo, hi, p_female in (
        (parent, PARENT, 20, 34, 0.7),
        (parent_in_law, PARENT_IN_LAW, 20, 34, 0.7),
    ):
        i = np.flatnonzero(mask)
        age = np.minimum(head_age[i] + rng.integers(lo, hi + 1, len(i)), 98)
        add(i, role, age, rng.random(len(i)) < p_female)
    i = np.flatnonzero(in_law)
    add(i, IN_LAW, rng.integers(20, 39, len(i)), rng.random(len(i)) < 0.5)
    g = np.repeat(hh, n_grand)
    g_max = np.clip(np.minimum(head_age[g] - 40, 14), 0, None)
    add(g, GRANDCHILD, np.floor(rng.random(len(g)) * (g_max + 1)), rng.random(len(g)) < 0.49)
    i = np.flatnonzero(other)
    add(i, OTHER, rng.integers(3, 71, len(i)), rng.random(len(i)) < 0.5)

    household, role, age, female = (np.concatenate(x) for x in zip(*blocks, strict=True))
    order = np.lexsort((-age, role, household))
    return household[order], role[order], age[order], female[order].astype(bool)


def _birth_dates(rng, age: np.ndarray, relationship: np.ndarray, household: np.ndarray):
    """Birth dates from ages; some adults get 1 July / 31 December; a few twins share a date."""
    ref = np.datetime64(REFERENCE_DATE.isoformat(), "D")
    days_old = np.floor(age * 365.25 + rng.random(len(age)) * 365).astype(np.int64)
    birth = ref - days_old
    year, _, _ = _date_parts(birth)
    imputed = (age >= 20) & (rng.random(len(age)) < UNKNOWN_BIRTH_DATE)
    stand_in = np.where(rng.random(len(age)) < 0.5, "-07-01", "-12-31")
    if imputed.any():
        birth[imputed] = np.array(
            [f"{y:04d}{s}" for y, s in zip(year[imputed], stand_in[imputed], strict=True)],
            dtype="datetime64[D]",
        )
    # Twins: the two eldest children of a few households share a birth date.
    child = np.flatnonzero(relationship == CHILD)
    if len(child) > 1:
        same_hh = household[child[1:]] == household[child[:-1]]
        first_of_hh = np.r_[True, household[child[1:]] != household[child[:-1]]]
        pair = np.flatnonzero(first_of_hh[:-1] & same_hh)  # first child with a younger sibling
        twins = pair[rng.random(len(pair)) < TWIN_HOUSEHOLDS]
        birth[child[twins + 1]] = birth[child[twins]]
        imputed[child[twins + 1]] = imputed[child[twins]]
    y, m, d = _date_parts(birth)
    real_age = REFERENCE_DATE.year - y - ((m * 100 + d) > REFERENCE_DATE.month * 100 + 1)
    return birth, y, m, d, imputed, np.maximum(real_age, 0)


def _first_kecamatan(rng, geo: Geography, current_kec: np.ndarray, age: np.ndarray) -> np.ndarray:
    """Kecamatan of first registration: mostly the current one, some moved in (NIK keeps it)."""
    n = len(age)
    u = rng.random(n)
    adult = age >= 17
    moved = np.where(adult, u < MOVED_WITHIN_REGENCY, u < MOVED_WITHIN_REGENCY / 3)
    outside = adult & (u >= MOVED_WITHIN_REGENCY) & (u < MOVED_WITHIN_REGENCY + MOVED_FROM_OUTSIDE)
    n_kec = len(geo.kecamatan_codes)
    other = (current_kec + rng.integers(1, max(n_kec, 2), n)) % n_kec
    code = geo.kecamatan_codes[np.where(moved, other, current_kec)].astype("<U8")
    if len(geo.outside_kecamatan_codes) and outside.any():
        pick = rng.integers(0, len(geo.outside_kecamatan_codes), int(outside.sum()))
        code[outside] = geo.outside_kecamatan_codes[pick]
    return code


def _prefix_ints(dotted: np.ndarray) -> np.ndarray:
    """Dotted `53.01.24` codes -> 530124 integers."""
    uniq, inv = np.unique(dotted, return_inverse=True)
    return np.array([int(c.replace(".", "")) for c in uniq], dtype=np.int64)[inv]


def _niks(rng, first_kec, female, y, m, d, age) -> np.ndarray:
    """NIK `PP RR KK DDMMYY SSSS` (day + 40 for women), or None for people without one."""
    n = len(age)
    p_missing = np.select([age < 5, age < 17], [NO_NIK["under5"], NO_NIK["child"]], NO_NIK["adult"])
    has = rng.random(n) >= p_missing
    key = _prefix_ints(first_kec) * 10**6 + (d + 40 * female) * 10**4 + m * 100 + y % 100
    serial = np.zeros(n, dtype=np.int64)
    serial[has] = _serials(rng, key[has])
    text = (key * 10**4 + serial).astype(str).astype(object)
    text[~has] = None
    return text


def _kks(rng, geo: Geography, village: np.ndarray, niks: np.ndarray) -> np.ndarray:
    """KK numbers: issuing kecamatan (6) + registration date DDMMYY (no +40) + serial (4)."""
    n = len(village)
    prefix = _prefix_ints(geo.kecamatan_codes[geo.village_kecamatan[village]])
    start = np.datetime64("2008-01-01").astype(np.int64)
    end = np.datetime64("2026-06-30").astype(np.int64)
    reg = rng.integers(start, end + 1, n).astype("datetime64[D]")
    y, m, d = _date_parts(reg)
    key = prefix * 10**6 + d * 10**4 + m * 100 + y % 100
    kk = key * 10**4 + _serials(rng, key)
    nik_ints = np.array([int(x) for x in niks if x is not None], dtype=np.int64)
    for _ in range(20):  # a KK must never equal a NIK
        clash = np.isin(kk, nik_ints)
        if not clash.any():
            break
        kk[clash] += 5000  # serials are small, so this moves to an unused range
    return kk.astype(str).astype(object)


def _birth_places(rng, geo, village, first_kec) -> np.ndarray:
    """Where people say they were born: their village, Kupang, their first kecamatan, a town."""
    n = len(village)
    u = rng.random(n)
    kec_name = dict(zip(geo.kecamatan_codes, geo.kecamatan_names, strict=True))
    first_name = np.array([kec_name.get(c, "Kupang") for c in first_kec], dtype=object)
    towns = np.asarray(OTHER_TOWNS, dtype=object)[rng.integers(0, len(OTHER_TOWNS), n)]
    return np.select(
        [u < 0.45, u < 0.65, u < 0.85],
        [geo.village_names[village], "Kupang", first_name],
        towns,
    ).astype(object)


def build_population(rng: np.random.Generator, geo: Geography, n_people: int) -> Population:
    """About `n_people` people in households spread unevenly over the regency's villages."""
    n_households = max(50, round(n_people / MEAN_HOUSEHOLD_SIZE))
    hh_village, decile, extreme = _households(rng, geo, n_households)
    household, relationship, age0, female = _members(rng, decile)
    birth, y, m, d, imputed, age = _birth_dates(rng, age0, relationship, household)

    village = hh_village[household]
    current_kec = geo.village_kecamatan[village]
    first_kec = _first_kecamatan(rng, geo, current_kec, age)
    nik = _niks(rng, first_kec, female, y, m, d, age)
    kk = _kks(rng, geo, hh_village, nik)

    kec_share = 0.02 + 0.18 * rng.beta(0.6, 4.0, len(geo.kecamatan_codes))
    hh_muslim = rng.random(n_households) < kec_share[geo.village_kecamatan[hh_village]]
    muslim = hh_muslim[household]
    local = village_clans(rng, len(geo.village_codes))
    hh_clan = draw_clans(rng, hh_village, local)[household]
    born_in = np.isin(relationship, (CHILD, GRANDCHILD)) | (
        np.isin(relationship, (HEAD, PARENT)) & ~female
    )
    own_clan = np.where(born_in, hh_clan, draw_clans(rng, village, local))
    married = female & np.isin(relationship, (HEAD, WIFE, PARENT, IN_LAW))
    names = full_names(
        rng,
        female=female,
        muslim=muslim,
        age=age,
        own_clan=own_clan,
        married_clan=np.where(married, hh_clan, None),
    )

    counts = np.bincount(household, minlength=n_households)
    households = Households(
        village=hh_village,
        kk=kk,
        decile=decile,
        extreme_poor=extreme,
        start=np.r_[0, np.cumsum(counts)[:-1]],
        size=counts,
    )
    people = People(
        household=household,
        relationship=relationship,
        female=female,
        birth_date=birth,
        year=y,
        month=m,
        day=d,
        birth_date_imputed=imputed,
        age=age,
        nik=nik,
        first_kecamatan=first_kec,
        full_name=names,
        muslim=muslim,
        birth_place=_birth_places(rng, geo, village, first_kec),
    )
    return Population(geo=geo, households=households, people=people)
