"""Disclosure control for the aggregate marts: small counts are withheld, and so is whatever
would let a reader work a withheld count back out.

Primary suppression: a count above zero and below the minimum cell size is published as NULL
with `<column>_suppressed` set. Secondary suppression: counts are tied by exact relations (a
total equals its parts within a row; a kecamatan equals the sum of its villages; this quarter
equals the previous one plus what entered minus what left). A relation with exactly one
withheld cell gives that cell away, so one more of its cells is withheld (flows first,
otherwise the smallest non-zero count; last, a zero that a relation would then pin to 0, as
counts are never negative) until no relation has exactly one. Relations combined can still give
a cell away (a kecamatan's change minus its published villages'), and so can a relation whose
published terms sum to 0 (its withheld terms, if all on one side of `=`, are all 0), so an audit
(audit.py) then finds every withheld cell the published cells determine, withholds one more
cell of a relation that pins it, and the two steps repeat until none is determined. A
`_previous` column is a copy of last quarter's cell and is withheld exactly when that cell is.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from konvergensi.privacy.audit import determined

MIN_CELL_ENV = "KONVERGENSI_MIN_CELL_SIZE"
DEFAULT_MIN_CELL_SIZE = 5
FLAG_SUFFIX = "_suppressed"
PREVIOUS = "previous."  # relation term prefix: the cell of the previous quarter's row


def min_cell_size_from_env() -> int:
    """The configured minimum cell size (KONVERGENSI_MIN_CELL_SIZE, default 5)."""
    raw = os.environ.get(MIN_CELL_ENV, str(DEFAULT_MIN_CELL_SIZE)).strip()
    if not raw.isdigit():
        raise ValueError(
            f"{MIN_CELL_ENV}={raw!r} is not a whole number: set it to the smallest count the "
            "marts may publish (0 or 1 turns suppression off)"
        )
    return int(raw)


Relation = tuple[tuple[str, int], ...]  # (term, +1 left of `=` / -1 right of it)


def parse_relation(text: str) -> Relation:
    """`a + b = previous.c` -> (("a", 1), ("b", 1), ("previous.c", -1)): the signed terms of an
    exact relation (the signed sum of the terms is zero)."""
    sides = text.split("=")
    if len(sides) != 2:
        raise ValueError(f"relation {text!r} must have exactly one '='")
    terms = tuple(
        (t.strip(), sign)
        for side, sign in zip(sides, (1, -1), strict=True)
        for t in side.split("+")
    )
    for term, _ in terms:
        if not re.fullmatch(r"(previous\.)?[a-z_][a-z0-9_]*", term):
            raise ValueError(f"relation {text!r}: {term!r} is not a count column")
    return terms


@dataclass(frozen=True)
class Rules:
    """How one aggregate table is protected (its `suppression:` entry in schema.yaml)."""

    key: tuple[str, ...]  # columns that identify a row; the first is the quarter
    counts: tuple[str, ...]
    relations: tuple[Relation, ...] = ()
    previous: dict[str, str] = field(default_factory=dict)  # copy column -> column copied
    withhold_first: tuple[str, ...] = ()  # counts to give up first in secondary suppression
    rollup_into: str | None = None  # table whose rows are sums of this table's rows

    @classmethod
    def from_spec(cls, spec: dict) -> Rules:
        """Rules from a model's `suppression:` mapping."""
        rules = cls(
            key=tuple(spec["key"]),
            counts=tuple(spec["counts"]),
            relations=tuple(parse_relation(r) for r in spec.get("relations", [])),
            previous=dict(spec.get("previous", {})),
            withhold_first=tuple(spec.get("withhold_first", [])),
            rollup_into=spec.get("rollup_into"),
        )
        named = {t.removeprefix(PREVIOUS) for terms in rules.relations for t, _ in terms}
        named |= set(rules.previous) | set(rules.previous.values()) | set(rules.withhold_first)
        if unknown := sorted(named - set(rules.counts)):
            raise ValueError(f"suppression rules name columns that are not counts: {unknown}")
        return rules


class _Cells:
    """Every count of every table as one flat array, and the relations between them as
    (relation, cell, sign) terms."""

    def __init__(self, tables: dict[str, pa.Table], rules: dict[str, Rules]) -> None:
        self.tables, self.rules = tables, rules
        self.offset: dict[tuple[str, str], int] = {}
        values, present, first = [], [], []
        start = 0
        for name, rule in rules.items():
            for column in rule.counts:
                self.offset[(name, column)] = start
                array = tables[name].column(column)
                present.append(~np.asarray(pc.is_null(array), dtype=bool))
                values.append(np.asarray(pc.fill_null(array, 0), dtype=np.int64))
                first.append(np.full(len(array), column in rule.withhold_first))
                start += len(array)
        self.values = np.concatenate([np.zeros(0, np.int64), *values])
        self.present = np.concatenate([np.zeros(0, bool), *present])
        self.first = np.concatenate([np.zeros(0, bool), *first])
        self.alias = np.arange(start)  # a copy cell points at the cell it copies
        self._relations: list[np.ndarray] = []
        self._members: list[np.ndarray] = []
        self._signs: list[np.ndarray] = []
        self.relations = 0

    def cells(self, table: str, column: str, rows: np.ndarray) -> np.ndarray:
        """Cell ids of some rows of one column."""
        return self.offset[(table, column)] + rows

    def add(self, local: np.ndarray, members: np.ndarray, signs: np.ndarray, count: int) -> None:
        """`count` new relations; cell `members[i]` is a term of new relation `local[i]`, on
        the side `signs[i]` (+1 left, -1 right)."""
        self._relations.append(self.relations + local)
        self._members.append(members)
        self._signs.append(signs)
        self.relations += count

    def add_rowwise(self, terms: list[np.ndarray], signs: list[int]) -> None:
        """One relation per position i, whose terms are `terms[0][i]`, `terms[1][i]`, ...
        on the sides `signs[0]`, `signs[1]`, ..."""
        count = len(terms[0])
        self.add(
            np.tile(np.arange(count), len(terms)),
            np.concatenate(terms),
            np.repeat(signs, count),
            count,
        )

    def pairs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(relation, cell, sign) of every term, copies resolved, relations touching NULL left
        out."""
        if not self._relations:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
        relation = np.concatenate(self._relations)
        cell = self.alias[np.concatenate(self._members)]
        absent = np.bincount(relation, weights=~self.present[cell], minlength=self.relations)
        keep = absent[relation] == 0
        return relation[keep], cell[keep], np.concatenate(self._signs)[keep]


def _row_lookup(left: pd.DataFrame, right: pd.DataFrame, on: list[str]) -> np.ndarray:
    """For every row of `left`, the row number in `right` with equal `on` values (or -1)."""
    target = right[on].assign(_row=np.arange(len(right)))
    merged = left[on].merge(target, on=on, how="left", validate="many_to_one")
    return merged["_row"].fillna(-1).to_numpy(dtype=np.int64)


def _previous_rows(table: pa.Table, key: tuple[str, ...]) -> np.ndarray:
    """For every row, the row of the same region in its previous_quarter (or -1)."""
    frame = table.select([*key, "previous_quarter"]).to_pandas()
    asked = frame.drop(columns=key[0]).rename(columns={"previous_quarter": key[0]})
    return _row_lookup(asked, frame, list(key))


def _add_table(cells: _Cells, name: str, rule: Rules) -> None:
    table = cells.tables[name]
    rows = np.arange(table.num_rows)
    uses_previous = bool(rule.previous) or any(
        t.startswith(PREVIOUS) for terms in rule.relations for t, _ in terms
    )
    if uses_previous and "previous_quarter" not in table.column_names:
        raise ValueError(f"{name}: rules refer to the previous quarter but it has no column for it")
    before = _previous_rows(table, rule.key) if uses_previous else np.full(len(rows), -1)
    has_before = rows[before >= 0]
    for copy, source in rule.previous.items():
        cells.alias[cells.cells(name, copy, has_before)] = cells.cells(
            name, source, before[has_before]
        )
    for terms in rule.relations:
        at = has_before if any(t.startswith(PREVIOUS) for t, _ in terms) else rows
        cells.add_rowwise(
            [
                cells.cells(name, t.removeprefix(PREVIOUS), before[at])
                if t.startswith(PREVIOUS)
                else cells.cells(name, t, at)
                for t, _ in terms
            ],
            [sign for _, sign in terms],
        )
    if rule.rollup_into:
        parent = cells.tables[rule.rollup_into]
        parent_rule = cells.rules[rule.rollup_into]
        on = list(parent_rule.key)
        into = _row_lookup(table.select(on).to_pandas(), parent.select(on).to_pandas(), on)
        if (into < 0).any():
            raise ValueError(f"{name}: rows with no {rule.rollup_into} row to add up to")
        parent_rows = np.arange(parent.num_rows)
        for column in (c for c in rule.counts if c in parent_rule.counts):
            cells.add(
                np.r_[into, parent_rows],
                np.r_[
                    cells.cells(name, column, rows),
                    cells.cells(rule.rollup_into, column, parent_rows),
                ],
                np.r_[np.ones(len(rows), np.int64), -np.ones(len(parent_rows), np.int64)],
                parent.num_rows,
            )


def _pinnable(
    cells: _Cells, withheld: np.ndarray, relation: np.ndarray, cell: np.ndarray, sign: np.ndarray
) -> np.ndarray:
    """Which cells (a mask) are 0 and would be pinned to 0 if withheld: a relation has them as a
    term and its withheld terms, if any, are all zeros on their side of `=`, so its published
    terms would sum to 0 (audit.zero_pinned). Such a cell protects nothing. A relation with no
    withheld term counts too: cells withheld in the same round may join the cell there."""
    zero, held, on_left = cells.values[cell] == 0, withheld[cell], sign > 0

    def per_term(weights: np.ndarray) -> np.ndarray:
        return np.bincount(relation, weights=weights, minlength=cells.relations)[relation]

    other_side = np.where(on_left, per_term(held & ~on_left), per_term(held & on_left))
    forced = zero & (per_term(held & ~zero) == 0) & (other_side == 0)
    mask = np.zeros(cells.values.size, bool)
    mask[cell[forced]] = True
    return mask


def _secondary(
    cells: _Cells, withheld: np.ndarray, relation: np.ndarray, cell: np.ndarray, sign: np.ndarray
) -> None:
    """Withhold more cells (in place) until no relation has exactly one withheld cell."""
    values = cells.values
    while relation.size:
        unknown = np.bincount(relation, weights=withheld[cell], minlength=cells.relations)
        candidate = (
            (unknown[relation] == 1) & ~withheld[cell] & ((values[cell] > 0) | cells.first[cell])
        )
        if not candidate.any():
            break
        pinnable = _pinnable(cells, withheld, relation, cell, sign)
        r, c = relation[candidate], cell[candidate]
        order = np.lexsort((c, values[c], ~cells.first[c], pinnable[c], r))
        r, c = r[order], c[order]
        withheld[c[np.unique(r, return_index=True)[1]]] = True


def _unpin(
    cells: _Cells,
    withheld: np.ndarray,
    pinned: tuple[np.ndarray, np.ndarray, np.ndarray],
    relation: np.ndarray,
    cell: np.ndarray,
    sign: np.ndarray,
) -> np.ndarray:
    """For every pinned cell, one published cell of the relations that pin it: never a zero
    that would itself be pinned (it would protect nothing) unless nothing else is left, then
    preferring relations that hold the cell: a flow first, then the smallest non-zero count (a
    zero count only when nothing else is left)."""
    pinnable = _pinnable(cells, withheld, relation, cell, sign)
    by = pd.DataFrame(dict(zip(("pinned", "relation", "holds"), pinned, strict=True)))
    terms = pd.DataFrame({"relation": relation, "cell": cell})[~withheld[cell]]
    options = by.merge(terms, on="relation")
    p, c = options["pinned"].to_numpy(), options["cell"].to_numpy()
    values, first, holds = cells.values[c], cells.first[c], options["holds"].to_numpy()
    order = np.lexsort((c, values, ~first, (values == 0) & ~first, ~holds, pinnable[c], p))
    p, c = p[order], c[order]
    return c[np.unique(p, return_index=True)[1]]


def _withhold(cells: _Cells, min_cell_size: int) -> np.ndarray:
    """Which cells to withhold: primary, then secondary and the audit until no withheld cell
    can be worked out from the published ones."""
    withheld = cells.present & (cells.values > 0) & (cells.values < min_cell_size)
    relation, cell, sign = cells.pairs()
    audited = None  # the first audit checks every group, later ones only the groups that grew
    while True:
        _secondary(cells, withheld, relation, cell, sign)
        changed = None if audited is None else withheld & ~audited
        pinned = determined(withheld, cells.values, relation, cell, sign, changed)
        audited = withheld.copy()
        if not pinned[0].size:
            return withheld[cells.alias]
        more = _unpin(cells, withheld, pinned, relation, cell, sign)
        if not more.size:
            raise RuntimeError(
                "disclosure control: the declared relations alone determine a withheld count "
                "(check the suppression relations in the marts' schema.yaml)"
            )
        withheld[more] = True


def suppress(
    tables: dict[str, pa.Table], rules: dict[str, Rules], min_cell_size: int
) -> dict[str, pa.Table]:
    """The tables with withheld counts set to NULL and a `<count>_suppressed` flag per count.

    Cells are numbered in key order (rows keep their order in the output): which cell a tie
    withholds must not depend on the order a query happened to return rows in, or rebuilding
    the same inputs would hide other cells.
    """
    orders = {
        name: pc.sort_indices(tables[name], [(column, "ascending") for column in rule.key])
        for name, rule in rules.items()
    }
    tables = {
        name: table.take(orders[name]) if name in orders else table
        for name, table in tables.items()
    }
    cells = _Cells(tables, rules)
    for name, rule in rules.items():
        _add_table(cells, name, rule)
    withheld = _withhold(cells, min_cell_size)
    out = {}
    for name, rule in rules.items():
        table = tables[name]
        rows = np.arange(table.num_rows)
        flags = []
        for column in rule.counts:
            hide = pa.array(withheld[cells.cells(name, column, rows)], type=pa.bool_())
            kept = pc.if_else(hide, pa.scalar(None, pa.int64()), table.column(column))
            table = table.set_column(table.schema.get_field_index(column), column, kept)
            flags.append((column + FLAG_SUFFIX, hide))
        for flag, hide in flags:
            table = table.append_column(flag, hide)
        out[name] = table.take(np.argsort(orders[name].to_numpy()))
    return out
