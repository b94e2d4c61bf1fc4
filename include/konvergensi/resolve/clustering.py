"""Persons from the match graph without chaining unrelated people through one weak link.

Start clusters (previous persons, or singletons) are joined by NIK groups at once; every other
edge is applied strongest first and only if the joined cluster stays plausible: no two records
from the same source and period, no two different valid NIKs (except a near-NIK edge, which
links a mistyped NIK), no pair a reviewer called different, and for probabilistic edges no two
sexes and no birth years more than a year apart (so a record without a birth date cannot chain
a child to an adult of the same name).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from konvergensi.resolve.components import connected_components

FORCED = "forced"  # a reviewer said same: no constraint applies
NEAR_NIK = "near_nik"  # may join two NIKs one edit apart
SMALL = 8  # start clusters up to this size are summarised without array masks


class Outside:
    """Codes of records outside a pass, per representative rid, as sets on demand.

    Rows (rep, kind, code); kind 0-3 are source-period, NIK, sex and birth year, as in
    Constraints. Only clusters that a merge check looks at are turned into sets.
    """

    def __init__(self, rep: np.ndarray, kind: np.ndarray, code: np.ndarray) -> None:
        order = np.argsort(rep, kind="stable")
        self.rep, self.kind, self.code = rep[order], kind[order], code[order]
        self._reps = set(np.unique(rep).tolist())  # membership is asked once per record

    def get(self, rep: int) -> tuple[set[int], ...]:
        """The four code sets of one representative (empty sets if it has none outside)."""
        lo, hi = np.searchsorted(self.rep, [rep, rep + 1])
        kinds, codes = self.kind[lo:hi], self.code[lo:hi]
        return tuple(set(codes[kinds == k].tolist()) for k in range(4))

    def __contains__(self, rep: int) -> bool:
        return rep in self._reps


@dataclass
class Constraints:
    """Per-record facts the merge checks use (integer codes, -1 for none)."""

    source_period: np.ndarray
    nik: np.ndarray
    sex: np.ndarray
    birth_year: np.ndarray
    cannot_link: set[tuple[int, int]] = field(default_factory=set)
    # codes of records outside the pass, by the rid that represents their person in it (an
    # incremental pass sees a person's summary, not all its records)
    outside: Outside | None = None


@dataclass
class Outcome:
    """Final cluster label per record, and which sequential edges were applied or refused."""

    labels: np.ndarray
    applied: np.ndarray  # bool per sequential edge
    refused: list[tuple[int, str]]  # (edge index, reason)


class _Groups:
    """Union-find over start clusters, with each root's source-periods, NIKs and records."""

    def __init__(self, labels: np.ndarray, constraints: Constraints) -> None:
        self.labels = labels
        self.c = constraints
        self.parent: dict[int, int] = {}
        self.info: dict[int, tuple[set, set, set, set, list]] = {}
        order = np.argsort(labels, kind="stable")
        self._order = order
        self._sorted = labels[order]

    def find(self, x: int) -> int:
        parent = self.parent
        while parent.get(x, x) != x:
            nxt = parent[x]
            parent[x] = parent.get(nxt, nxt)
            x = nxt
        return x

    def _info(self, root: int) -> tuple[set, set, set, set, list]:
        if root not in self.info:
            lo, hi = np.searchsorted(self._sorted, [root, root + 1])
            rows = self._order[lo:hi]
            if hi - lo <= SMALL:  # most start clusters: plain indexing beats array masks
                listed = rows.tolist()
                sets = [{v for r in listed if (v := int(c[r])) >= 0} for c in self._columns()]
            else:
                sets = [self._present(values[rows]) for values in self._columns()]
            outside = self.c.outside
            for row in rows.tolist() if outside is not None else ():
                if row in outside:
                    for present, more in zip(sets, outside.get(row), strict=True):
                        present |= more
            self.info[root] = (*sets, rows.tolist())
        return self.info[root]

    def _columns(self) -> tuple[np.ndarray, ...]:
        c = self.c
        return c.source_period, c.nik, c.sex, c.birth_year

    @staticmethod
    def _present(values: np.ndarray) -> set[int]:
        return set(values[values >= 0].tolist())

    def refusal(self, a: int, b: int, kind: str) -> str | None:
        """Why clusters a and b must not merge, or None."""
        sp_a, nik_a, sex_a, year_a, rows_a = self._info(a)
        sp_b, nik_b, sex_b, year_b, rows_b = self._info(b)
        if self.c.cannot_link:
            small, other = (rows_a, b) if len(rows_a) <= len(rows_b) else (rows_b, a)
            for r in small:
                for x, y in self.c.cannot_link:
                    partner = y if x == r else x if y == r else None
                    if partner is not None and self.find(int(self.labels[partner])) == other:
                        return "reviewer said different"
        if kind == FORCED:
            return None
        if sp_a & sp_b:
            return "would hold two records of one source and period"
        if kind == NEAR_NIK:
            return None
        if nik_a and nik_b and not (nik_a & nik_b):
            return "would hold two different valid NIKs"
        if len(sex_a | sex_b) > 1:
            return "sexes disagree"
        if year_a and year_b and max(max(year_a) - min(year_b), max(year_b) - min(year_a)) > 1:
            return "birth years more than a year apart"
        return None

    def union(self, a: int, b: int) -> None:
        info_a, info_b = self._info(a), self._info(b)
        keep, drop = (a, b) if a < b else (b, a)
        self.parent[drop] = keep
        self.info[keep] = (
            *(x | y for x, y in zip(info_a[:4], info_b[:4], strict=True)),
            info_a[4] + info_b[4],
        )
        self.info.pop(drop, None)


def start_labels(previous: np.ndarray) -> np.ndarray:
    """Start cluster per record: the first record holding the same previous ID, else itself."""
    codes = pd.factorize(pd.Series(previous, dtype=object))[0]
    start = np.arange(len(codes), dtype=np.int64)
    known = codes >= 0
    start[known] = pd.Series(start[known]).groupby(codes[known]).transform("min").to_numpy()
    return start


def cluster(
    start: np.ndarray,
    group_left: np.ndarray,
    group_right: np.ndarray,
    edges: list[tuple[int, int, str]],
    constraints: Constraints,
) -> Outcome:
    """Join start labels by NIK-group edges, then apply `edges` (rid, rid, kind) in order."""
    n = len(start)
    base = connected_components(
        n, np.r_[np.arange(n), group_left], np.r_[start, group_right].astype(np.int64)
    )
    groups = _Groups(base, constraints)
    applied = np.zeros(len(edges), dtype=bool)
    refused = []
    for i, (left, right, kind) in enumerate(edges):
        a, b = groups.find(int(base[left])), groups.find(int(base[right]))
        if a == b:
            applied[i] = True
            continue
        reason = groups.refusal(a, b, kind)
        if reason is None:
            groups.union(a, b)
            applied[i] = True
        else:
            refused.append((i, reason))
    unique, inverse = np.unique(base, return_inverse=True)
    roots = np.array([groups.find(x) for x in unique.tolist()], dtype=np.int64)
    return Outcome(labels=roots[inverse], applied=applied, refused=refused)
