"""Orchestrates a sample: population, who each source lists per period, files and ground truth.

Every random stream is derived from (seed, purpose, source, period), so the same seed gives
byte-identical files and one contract's output does not depend on the others' order.
"""

from __future__ import annotations

import math
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from konvergensi.contracts import Contract
from konvergensi.periods import split_periods
from konvergensi.synthetic.extracts import build_extract, file_order
from konvergensi.synthetic.geography import load_geography
from konvergensi.synthetic.noise import duplicate_count, duplicate_mask, resolve_rates
from konvergensi.synthetic.population import Population, build_population
from konvergensi.synthetic.selection import (
    intervention_pool,
    members_of,
    persistent_choice,
    register_families,
    village_preference,
)
from konvergensi.synthetic.truth import write_truth
from konvergensi.synthetic.writers import write_extract

DEFAULT_PERIODS = ("2026-07", "2026-08", "2026-09", "2026-Q3")
PEOPLE_PER_ROW = 0.8  # population size relative to the requested source rows
REGISTER_PEOPLE_SHARE = 0.41  # people in deciles 1-4, a little below the generated ~0.43
MIN_PEOPLE = 1_000
SHARED_VILLAGE_SPREAD = 0.5  # programmes converge on the same villages ...
OWN_VILLAGE_SPREAD = 0.3  # ... each with its own preferences too


@dataclass(frozen=True)
class GenerationSummary:
    """What a `generate` call wrote and how long it took."""

    rows: dict[str, dict[str, int]]  # source -> period -> data rows written
    files: list[Path]
    truth_files: list[Path]
    seconds: float
    people: int
    households: int
    register_households: int
    periods: dict[str, list[str]] = field(default_factory=dict)  # cadence -> periods

    @property
    def total_rows(self) -> int:
        """All data rows written, over all sources and periods."""
        return sum(n for per in self.rows.values() for n in per.values())


def _rng(seed: int, *parts: str) -> np.random.Generator:
    """An independent stream for one purpose (stable across Python runs)."""
    return np.random.default_rng([seed, *(zlib.crc32(p.encode()) for p in parts)])


def split_rows(total: int, weights: Sequence[float]) -> list[int]:
    """`total` split proportionally to `weights` (largest remainder, sums exactly)."""
    if not weights:
        return []
    w = np.asarray(weights, dtype=float)
    exact = total * w / w.sum()
    out = np.floor(exact).astype(np.int64)
    rest = total - int(out.sum())
    out[np.argsort(-(exact - out), kind="stable")[:rest]] += 1
    return [int(x) for x in out]


def _population_size(rows: int, register_rows: int) -> int:
    return max(
        MIN_PEOPLE, round(rows * PEOPLE_PER_ROW), math.ceil(register_rows / REGISTER_PEOPLE_SHARE)
    )


def _register_extracts(seed, pop: Population, contract: Contract, periods, sizes, rates):
    """Extracts of a target register: whole families, in village and household order."""
    h = pop.households
    families = register_families(
        _rng(seed, "select", contract.source), pop, sizes, contract.synthetic.churn
    )
    for period, fam in zip(periods, families, strict=True):
        fam = fam[np.lexsort((fam, h.village[fam]))]
        persons = members_of(pop, fam)
        rng = _rng(seed, "extract", contract.source, period)
        copies = duplicate_count(rng, len(persons), rates["duplicate_row"])
        dup = duplicate_mask(rng, len(persons), copies)
        yield fam, build_extract(rng, pop, contract, period, persons, dup, rates)


def _intervention_extracts(
    seed, pop: Population, contract: Contract, periods, sizes, rates, shared
):
    """Extracts of an intervention: persistent beneficiaries, exactly `sizes` rows per period
    (about `sizes` when the unit is whole households)."""
    rng = _rng(seed, "select", contract.source)
    pool, weight = intervention_pool(pop, contract)
    preference = shared * village_preference(rng, len(shared), OWN_VILLAGE_SPREAD)
    weight = weight * preference[pop.village[pool]]
    streams = [_rng(seed, "extract", contract.source, p) for p in periods]
    copies = [
        duplicate_count(r, n, rates["duplicate_row"]) for r, n in zip(streams, sizes, strict=True)
    ]
    unique = [n - k for n, k in zip(sizes, copies, strict=True)]
    if contract.synthetic.unit == "household_members":  # whole families, sized by the heads
        mean_size = (
            float(pop.households.size[pop.people.household[pool]].mean()) if len(pool) else 1
        )
        unique = [max(1, round(n / mean_size)) for n in unique]
    chosen = persistent_choice(rng, pool, weight, unique, contract.synthetic.churn)
    for period, people, k, r in zip(periods, chosen, copies, streams, strict=True):
        if contract.synthetic.unit == "household_members":
            people = members_of(pop, pop.people.household[people])
        persons = file_order(pop, people)
        k = min(k, len(persons))
        dup = duplicate_mask(r, len(persons), k)
        yield None, build_extract(r, pop, contract, period, persons, dup, rates)


def generate(
    landing_root: Path,
    truth_root: Path,
    contracts: list[Contract],
    rows: int = 50_000,
    periods: list[str] | None = None,
    seed: int = 20261129,
    regency: str = "53.01",
    noise_scale: float = 1.0,
    noise: dict[str, float] | None = None,
) -> GenerationSummary:
    """Generate a population, write every contract's files for every period, and the truth.

    `rows` source rows are split over contracts by `synthetic.weight` and over each contract's
    periods (monthly contracts get the months, quarterly ones the quarters; default: 2026-07,
    2026-08, 2026-09 and 2026-Q3). A register's row count follows whole families, so it is
    close to, not exactly, its share.
    """
    started = time.perf_counter()
    landing_root, truth_root = Path(landing_root), Path(truth_root)
    by_cadence = split_periods(list(periods or DEFAULT_PERIODS))
    active = [c for c in contracts if by_cadence[c.cadence]]
    totals = split_rows(rows, [c.synthetic.weight for c in active])
    sizes = {
        c.source: split_rows(n, [1.0] * len(by_cadence[c.cadence]))
        for c, n in zip(active, totals, strict=True)
    }
    register_rows = max(
        (max(sizes[c.source]) for c in active if c.role == "target_register"), default=0
    )
    geo = load_geography(regency)
    pop = build_population(_rng(seed, "population"), geo, _population_size(rows, register_rows))
    shared = village_preference(
        _rng(seed, "villages"), len(geo.village_codes), SHARED_VILLAGE_SPREAD
    )
    region = f"{geo.regency_name} ({geo.regency})"

    in_register = np.zeros(len(pop.households), dtype=bool)
    written: dict[str, dict[str, int]] = {}
    files: list[Path] = []
    frames = []
    for contract in active:
        rates = resolve_rates(noise, contract.synthetic.noise, noise_scale)
        cadence_periods = by_cadence[contract.cadence]
        if contract.role == "target_register":
            extracts = _register_extracts(
                seed, pop, contract, cadence_periods, sizes[contract.source], rates
            )
        else:
            extracts = _intervention_extracts(
                seed, pop, contract, cadence_periods, sizes[contract.source], rates, shared
            )
        for families, extract in extracts:
            if families is not None:
                in_register[families] = True
            files.append(write_extract(extract, landing_root, region))
            frames.append(extract.truth)
            written.setdefault(contract.source, {})[extract.period] = len(extract)
    truth_files = write_truth(truth_root, pop, in_register, frames)
    return GenerationSummary(
        rows=written,
        files=files,
        truth_files=truth_files,
        seconds=time.perf_counter() - started,
        people=len(pop.people),
        households=len(pop.households),
        register_households=int(in_register.sum()),
        periods=by_cadence,
    )
