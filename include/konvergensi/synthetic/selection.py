"""Who each source lists in each period.

Interventions pick people (or household heads) in the contract's age range, poor households
more likely, and keep most of them from one period to the next (`churn` are replaced), so a
monthly programme pays mostly the same people and ministries overlap. The target register lists
whole families from deciles 1-4, extreme-poor families first.
"""

from __future__ import annotations

import numpy as np

from konvergensi.contracts import Contract
from konvergensi.synthetic.population import HEAD, Population

NO_NIK_WEIGHT = 0.3  # programmes reach people without a NIK less often


def _weighted_sample(rng: np.random.Generator, pool: np.ndarray, w: np.ndarray, n: int):
    """n distinct items of pool, drawn with probability proportional to w (Efraimidis-Spirakis)."""
    if n <= 0 or len(pool) == 0:
        return pool[:0]
    if n >= len(pool):
        return pool.copy()
    keys = np.log(rng.random(len(pool))) / w
    return pool[np.argpartition(-keys, n - 1)[:n]]


def village_preference(rng: np.random.Generator, n_villages: int, spread: float) -> np.ndarray:
    """A multiplier per village: programmes concentrate on some villages (the convergence locus)."""
    return rng.lognormal(0.0, spread, n_villages)


def intervention_pool(pop: Population, contract: Contract) -> tuple[np.ndarray, np.ndarray]:
    """Eligible people (indices) and their base selection weights for one intervention."""
    syn, p = contract.synthetic, pop.people
    eligible = (p.age >= syn.min_age) & (p.age <= syn.max_age)
    if syn.unit in ("household_head", "household_members"):
        eligible &= p.relationship == HEAD
    pool = np.flatnonzero(eligible)
    decile = pop.households.decile[p.household[pool]]
    w = np.where(decile <= 4, syn.poor_bias, 1.0)
    w = w * np.where(p.nik[pool] == None, NO_NIK_WEIGHT, 1.0)  # noqa: E711 - elementwise
    return pool, w


def persistent_choice(
    rng: np.random.Generator,
    pool: np.ndarray,
    weights: np.ndarray,
    sizes: list[int],
    churn: float,
) -> list[np.ndarray]:
    """One set of beneficiaries per period; each keeps all but `churn` of the previous set.

    When a period needs more people than the pool holds, the excess repeats pool members (the
    same person enrolled twice, e.g. in two training batches).
    """
    weight_of = np.zeros(int(pool.max()) + 1 if len(pool) else 0)
    weight_of[pool] = weights
    current = pool[:0]
    out = []
    for n in sizes:
        dropped = pool[:0]
        if len(current):
            leave = rng.random(len(current)) < churn
            dropped, current = current[leave], current[~leave]
            if len(current) > n:
                current = rng.choice(current, n, replace=False)
        free = pool[~np.isin(pool, np.r_[current, dropped])]
        add = _weighted_sample(rng, free, weight_of[free], n - len(current))
        current = np.r_[current, add]
        if len(current) < n:  # the leavers come back before anyone is listed twice
            back = _weighted_sample(rng, dropped, weight_of[dropped], n - len(current))
            current = np.r_[current, back]
        if len(current) < n and len(pool):
            p = weights / weights.sum()
            current = np.r_[current, rng.choice(pool, n - len(current), p=p)]
        current = np.sort(current)
        out.append(current)
    return out


def register_families(
    rng: np.random.Generator, pop: Population, sizes: list[int], churn: float
) -> list[np.ndarray]:
    """Households in the register per period: deciles 1-4, extreme poor first, until each
    period's member count is reached; `churn` of the families change between periods."""
    h = pop.households
    candidates = np.flatnonzero(h.decile <= 4)
    order = candidates[np.lexsort((rng.random(len(candidates)), ~h.extreme_poor[candidates]))]
    reserve = np.flatnonzero(h.decile == 5)
    reserve = reserve[rng.permutation(len(reserve))]
    ranked = np.r_[order, reserve]  # decile 5 only when deciles 1-4 run out
    out: list[np.ndarray] = []
    current = ranked[:0]
    for target in sizes:
        if len(current):
            leave = (rng.random(len(current)) < churn) & ~h.extreme_poor[current]
            current = current[~leave]
        listed = np.isin(ranked, current)
        rest = ranked[~listed]
        need = target - int(h.size[current].sum())
        take = int(np.searchsorted(np.cumsum(h.size[rest]), max(need, 0))) + 1 if need > 0 else 0
        current = np.sort(np.r_[current, rest[:take]])
        out.append(current)
    return out


def members_of(pop: Population, families: np.ndarray) -> np.ndarray:
    """Person indices of all members of the given households, household by household."""
    h = pop.households
    starts, sizes = h.start[families], h.size[families]
    offsets = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    return np.repeat(starts, sizes) + offsets
