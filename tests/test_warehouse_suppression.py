"""Disclosure control: no count under the minimum cell size is published unmarked, and no
withheld count can be worked back out from the relations the marts publish."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from konvergensi.demo import COUNT_COLUMNS, WITHHELD, village_table
from konvergensi.privacy.audit import determined
from konvergensi.privacy.suppression import (
    FLAG_SUFFIX,
    Rules,
    min_cell_size_from_env,
    parse_relation,
    suppress,
)
from konvergensi.warehouse.models import published_models
from konvergensi.warehouse.publish import current_snapshot, table_glob
from tests.warehouse_sample import Sample, staged_sample

ROW_RULES = Rules(
    key=("quarter", "region"),
    counts=("total", "a", "b"),
    relations=(parse_relation("total = a + b"),),
)


def _table(**columns) -> pa.Table:
    n = len(next(iter(columns.values())))
    return pa.table({"quarter": ["2026-Q3"] * n, "region": [f"r{i}" for i in range(n)], **columns})


def _out(table: pa.Table, rules: Rules, k: int) -> pd.DataFrame:
    return suppress({"t": table}, {"t": rules}, k)["t"].to_pandas()


def test_small_counts_are_withheld_zeros_are_published() -> None:
    rules = Rules(key=("quarter", "region"), counts=("n",))
    out = _out(_table(n=[0, 1, 4, 5, 9]), rules, 5)
    assert out["n"].tolist()[:1] + out["n"].tolist()[3:] == [0, 5, 9]
    assert out["n"].isna().tolist() == [False, True, True, False, False]
    assert out["n" + FLAG_SUFFIX].tolist() == [False, True, True, False, False]


def test_a_total_does_not_give_its_small_part_away() -> None:
    out = _out(_table(total=[20], a=[17], b=[3]), ROW_RULES, 5)
    assert out[["total", "a", "b"]].isna().values.tolist() == [[False, True, True]]


def test_previous_copy_is_withheld_with_its_source() -> None:
    table = pa.table(
        {
            "quarter": ["2026-Q2", "2026-Q3"],
            "region": ["r", "r"],
            "previous_quarter": [None, "2026-Q2"],
            "n": [3, 9],
            "n_previous": [None, 3],
        }
    )
    rules = Rules(
        key=("quarter", "region"), counts=("n", "n_previous"), previous={"n_previous": "n"}
    )
    out = _out(table, rules, 5)
    assert out["n"].isna().tolist() == [True, False]
    assert out["n_previous"].isna().tolist() == [True, True]
    assert out["n_previous" + FLAG_SUFFIX].tolist() == [False, True]  # row 1: none to copy


def test_a_parent_does_not_give_its_only_small_child_away() -> None:
    child = pa.table(
        {"quarter": ["q"] * 3, "parent": ["p"] * 3, "child": ["x", "y", "z"], "n": [2, 7, 30]}
    )
    parent = pa.table({"quarter": ["q"], "parent": ["p"], "n": [39]})
    rules = {
        "child": Rules(key=("quarter", "child"), counts=("n",), rollup_into="parent"),
        "parent": Rules(key=("quarter", "parent"), counts=("n",)),
    }
    out = suppress({"child": child, "parent": parent}, rules, 5)
    assert out["child"].column("n").to_pylist() == [None, None, 30]
    assert out["parent"].column("n").to_pylist() == [39]


def test_flows_are_given_up_before_levels() -> None:
    table = _table(now=[468], before=[469], entered=[0], left=[1])
    rules = Rules(
        key=("quarter", "region"),
        counts=("now", "before", "entered", "left"),
        relations=(parse_relation("now + left = before + entered"),),
        withhold_first=("entered", "left"),
    )
    out = _out(table, rules, 5)
    assert out[["now", "before"]].values.tolist() == [[468, 469]]
    assert out[["entered", "left"]].isna().values.tolist() == [[True, True]]


def test_relations_and_settings_are_checked() -> None:
    assert parse_relation("a + b = previous.c") == (("a", 1), ("b", 1), ("previous.c", -1))
    with pytest.raises(ValueError, match="exactly one"):
        parse_relation("a = b = c")
    with pytest.raises(ValueError, match="not counts"):
        Rules.from_spec({"key": ["quarter"], "counts": ["a"], "relations": ["a = b"]})


def test_min_cell_size_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KONVERGENSI_MIN_CELL_SIZE", raising=False)
    assert min_cell_size_from_env() == 5
    monkeypatch.setenv("KONVERGENSI_MIN_CELL_SIZE", "10")
    assert min_cell_size_from_env() == 10
    monkeypatch.setenv("KONVERGENSI_MIN_CELL_SIZE", "ten")
    with pytest.raises(ValueError, match="KONVERGENSI_MIN_CELL_SIZE"):
        min_cell_size_from_env()


def _exposed(values: pd.DataFrame, terms: list[list[str]]) -> int:
    """Relations (one per row and term list) with exactly one NULL term."""
    return sum(int((values[t].isna().sum(axis=1) == 1).sum()) for t in terms)


@settings(max_examples=60, deadline=None)
@given(
    parts=st.lists(
        st.tuples(st.integers(0, 12), st.integers(0, 12), st.integers(0, 12)),
        min_size=1,
        max_size=12,
    ),
    k=st.integers(0, 8),
)
def test_property_no_relation_gives_a_withheld_count_away(parts, k) -> None:
    a, b, c = (np.array(x) for x in zip(*parts, strict=True))
    table = _table(total=a + b + c, a=a, b=b, c=c, ab=a + b)
    rules = Rules(
        key=("quarter", "region"),
        counts=("total", "a", "b", "c", "ab"),
        relations=tuple(
            parse_relation(r) for r in ("total = a + b + c", "ab = a + b", "total = ab + c")
        ),
    )
    out = _out(table, rules, k)
    original = table.to_pandas()
    for column in rules.counts:
        shown = out[column].dropna()
        assert ((shown == 0) | (shown >= k)).all()
        assert (shown == original.loc[shown.index, column]).all()
        assert out[column].isna().equals(out[column + FLAG_SUFFIX])
    terms = [["total", "a", "b", "c"], ["ab", "a", "b"], ["total", "ab", "c"]]
    assert _exposed(out, terms) == 0


# The audit as the tests see it, independent of konvergensi.privacy.audit: equations assembled
# from the tables and the relations' text, zeros pinned by non-negativity equation by equation,
# and a floating-point rank test per connected group (the code row-reduces exactly, modulo a
# prime).
Cell = tuple[str, tuple, str]  # (table, key values, column)


def _terms(text: str) -> list[tuple[str, int]]:
    left, right = text.split("=")
    return [(t.strip(), 1) for t in left.split("+")] + [(t.strip(), -1) for t in right.split("+")]


def _cells(tables: dict[str, pd.DataFrame], specs: dict[str, dict]) -> dict[Cell, int]:
    """Every non-NULL count, by cell; a `_previous` copy resolves to the cell it copies."""
    values: dict[Cell, int] = {}
    for name, frame in tables.items():
        for row in frame.to_dict("records"):
            key = tuple(row[k] for k in specs[name]["key"])
            values.update(
                {(name, key, c): int(row[c]) for c in specs[name]["counts"] if pd.notna(row[c])}
            )
    return values


def _resolve(cell: Cell, previous: dict[tuple, str], specs: dict[str, dict]) -> Cell:
    name, key, column = cell
    source = specs[name].get("previous", {}).get(column)
    if column.startswith("previous."):
        source = column.removeprefix("previous.")
    if source is None:
        return cell
    return (name, (previous.get((name, key)), *key[1:]), source)


def _equations(tables: dict[str, pd.DataFrame], specs: dict[str, dict]) -> list[dict[Cell, int]]:
    """Every declared relation as {cell: coefficient} (coefficients sum the cells to zero),
    wherever all its cells have a value: rows, previous quarters, children -> parent."""
    values = _cells(tables, specs)
    previous = {}
    for name, frame in tables.items():
        if "previous_quarter" in frame.columns:
            for row in frame.to_dict("records"):
                if pd.notna(row["previous_quarter"]):
                    key = tuple(row[k] for k in specs[name]["key"])
                    previous[(name, key)] = row["previous_quarter"]
    equations = []
    for name, frame in tables.items():
        spec = specs[name]
        keys = [tuple(row) for row in frame[spec["key"]].itertuples(index=False)]
        for text in spec.get("relations", []):
            for key in keys:
                equation: dict[Cell, int] = defaultdict(int)
                for term, sign in _terms(text):
                    equation[_resolve((name, key, term), previous, specs)] += sign
                equations.append(dict(equation))
        if parent := spec.get("rollup_into"):
            parent_key = specs[parent]["key"]
            children = defaultdict(list)
            for row, key in zip(frame[parent_key].itertuples(index=False), keys, strict=True):
                children[tuple(row)].append(key)
            for column in set(spec["counts"]) & set(specs[parent]["counts"]):
                for up, below in children.items():
                    equation = defaultdict(int)
                    for key in [*below, None]:
                        cell = (name, key, column) if key else (parent, up, column)
                        equation[_resolve(cell, previous, specs)] += 1 if key else -1
                    equations.append(dict(equation))
    return [e for e in equations if all(c in values for c in e)]


def _zero_pinned(
    equations: list[dict[Cell, int]], withheld: set[Cell], values: dict[Cell, int]
) -> set[Cell]:
    """Withheld cells a reader knows are 0 because counts are never negative: an equation
    whose published terms sum to 0 and whose other terms all have one sign, repeated with the
    cells pinned so far as known zeros."""
    pinned: set[Cell] = set()
    while True:
        more = set()
        for e in equations:
            unknown = {c: k for c, k in e.items() if k and c in withheld and c not in pinned}
            published = sum(k * values[c] for c, k in e.items() if c not in withheld)
            if unknown and published == 0 and len({k > 0 for k in unknown.values()}) == 1:
                more |= set(unknown)
        if not more:
            return pinned
        pinned |= more


def _determined(
    equations: list[dict[Cell, int]], withheld: set[Cell], values: dict[Cell, int]
) -> set[Cell]:
    """Withheld cells a reader can work out: the zeros non-negativity pins, then, with those
    known, per connected group of the other withheld cells, a cell is determined when every
    vector of the null space is zero there (numpy SVD)."""
    zeros = _zero_pinned(equations, withheld, values)
    withheld = withheld - zeros
    parent = {c: c for c in withheld}

    def root(c: Cell) -> Cell:
        while parent[c] != c:
            c = parent[c]
        return c

    restricted = [{c: k for c, k in e.items() if c in withheld} for e in equations]
    restricted = [e for e in restricted if e]
    for e in restricted:
        first, *rest = e
        for c in rest:
            parent[root(c)] = root(first)
    by_group = defaultdict(list)
    for e in restricted:
        by_group[root(next(iter(e)))].append(e)
    pinned = set()
    for group in by_group.values():
        cells = sorted({c for e in group for c in e}, key=str)
        at = {c: i for i, c in enumerate(cells)}
        matrix = np.zeros((len(group), len(cells)))
        for i, e in enumerate(group):
            for c, k in e.items():
                matrix[i, at[c]] += k
        null_space = np.linalg.svd(matrix)[2][np.linalg.matrix_rank(matrix) :]
        pinned |= {c for c in cells if np.abs(null_space[:, at[c]]).max(initial=0) < 1e-8}
    return zeros | pinned


FLOW_SPEC = {
    "counts": ["n", "n_previous", "new", "gone"],
    "relations": ["n + gone = n_previous + new"],
    "withhold_first": ["new", "gone"],
    "previous": {"n_previous": "n"},
}
FLOW_SPECS = {
    "village": {**FLOW_SPEC, "key": ["quarter", "village"], "rollup_into": "kecamatan"},
    "kecamatan": {**FLOW_SPEC, "key": ["quarter", "kecamatan"]},
}


def _two_quarters(villages: list[tuple[int, int, int]]) -> dict[str, pa.Table]:
    """One kecamatan's villages in 2026-Q2 and Q3, from (count in Q2, entered, left)."""
    rows = []
    for i, (before, new, gone) in enumerate(villages):
        now = before + new - min(gone, before)
        rows.append(("2026-Q2", f"v{i}", None, before, None, None, None))
        rows.append(("2026-Q3", f"v{i}", "2026-Q2", now, before, new, min(gone, before)))
    columns = ["quarter", "village", "previous_quarter", "n", "n_previous", "new", "gone"]
    village = pd.DataFrame(rows, columns=columns).assign(kecamatan="k")
    village[columns[3:]] = village[columns[3:]].astype("Int64")
    sums = village.groupby("quarter", as_index=False)[["n", "n_previous", "new", "gone"]].sum(
        min_count=1
    )
    kecamatan = sums.assign(kecamatan="k", previous_quarter=[None, "2026-Q2"])
    return {
        "village": pa.Table.from_pandas(village, preserve_index=False),
        "kecamatan": pa.Table.from_pandas(kecamatan, preserve_index=False),
    }


def _solvable(tables: dict[str, pa.Table], k: int) -> set[Cell]:
    rules = {name: Rules.from_spec(spec) for name, spec in FLOW_SPECS.items()}
    out = {name: t.to_pandas() for name, t in suppress(tables, rules, k).items()}
    withheld = {
        (name, key, c)
        for name, frame in out.items()
        for c in FLOW_SPEC["counts"]
        for key in frame.loc[frame[c + FLAG_SUFFIX], FLOW_SPECS[name]["key"]].itertuples(
            index=False, name=None
        )
    }
    exact = {name: t.to_pandas() for name, t in tables.items()}
    return _determined(_equations(exact, FLOW_SPECS), withheld, _cells(exact, FLOW_SPECS))


def test_relations_combined_do_not_give_a_withheld_count_away() -> None:
    # Greedy secondary suppression alone leaves v1's Q3 `gone` solvable here: the kecamatan's
    # change minus v0's (published) and v2's (published zero flows) pins v1's flows.
    tables = _two_quarters([(6, 0, 1), (4, 0, 1), (1, 0, 0)])
    assert _solvable(tables, 5) == set()


def test_a_count_pinned_through_relations_it_is_not_in_is_protected() -> None:
    # j = a + b has no published cell, but s = a + b + c gives a + b, hence j, away: the cell
    # to give up must come from the relation j is not in.
    rules = Rules.from_spec(
        {
            "key": ["quarter", "region"],
            "counts": ["j", "a", "b", "c", "s"],
            "relations": ["j = a + b", "s = a + b + c"],
        }
    )
    out = _out(_table(j=[3], a=[1], b=[2], c=[10], s=[13]), rules, 5)
    assert out[["j", "a", "b", "c", "s"]].isna().values.tolist() == [[True] * 4 + [False]]


def test_a_zero_that_non_negativity_pins_protects_nothing() -> None:
    # v0's and v1's Q3 `gone` (3 and 2) are small. A zero `new` beside each is no cover when
    # the kecamatan publishes `new` = 0: two withheld non-negative counts adding up to 0 are
    # both 0, and then `gone` = 10 - 7 and 10 - 8.
    tables = _two_quarters([(10, 0, 3), (10, 0, 2), (20, 0, 0)])
    assert _solvable(tables, 5) == set()


def test_a_zero_a_total_would_pin_is_not_chosen_as_cover() -> None:
    # The same case: each small `gone` is covered by its village's count, not by a zero `new`.
    rules = {name: Rules.from_spec(spec) for name, spec in FLOW_SPECS.items()}
    out = suppress(_two_quarters([(10, 0, 3), (10, 0, 2), (20, 0, 0)]), rules, 5)
    village = out["village"].to_pandas().query("quarter == '2026-Q3'")
    flags = village[[c + FLAG_SUFFIX for c in ("n", "new", "gone")]].values.tolist()
    assert flags == [[True, False, True]] * 2 + [[False, False, False]]


def test_the_audit_pins_zeros_then_solves_with_them() -> None:
    # cells a, b, c withheld (0, 0, 3), s and t published (0, 3); relations s = a + b and
    # t = a + c. Linear algebra alone determines none; s = 0 pins a and b to 0, then c = t.
    values = np.array([0, 0, 3, 0, 3])
    withheld = np.array([True, True, True, False, False])
    relation = np.array([0, 0, 0, 1, 1, 1])
    cell = np.array([3, 0, 1, 4, 0, 2])
    sign = np.array([1, -1, -1, 1, -1, -1])
    found, via, holds = determined(withheld, values, relation, cell, sign)
    assert sorted(zip(found.tolist(), via.tolist(), holds.tolist(), strict=True)) == [
        (0, 0, True),
        (1, 0, True),
        (2, 1, True),
    ]


@settings(max_examples=40, deadline=None)
@given(
    villages=st.lists(
        st.tuples(st.integers(0, 12), st.integers(0, 4), st.integers(0, 4)),
        min_size=2,
        max_size=5,
    )
)
def test_property_no_withheld_flow_or_level_can_be_solved_for(villages) -> None:
    assert _solvable(_two_quarters(villages), 5) == set()


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    sample: Sample = staged_sample(tmp_path_factory.getbasetemp())
    base = tmp_path_factory.mktemp("suppression")
    sample.build(base / "exact", min_cell_size=1)
    sample.build(base / "protected", min_cell_size=5)
    return current_snapshot(base / "exact"), current_snapshot(base / "protected")


def _read(snapshot: Path, table: str) -> pd.DataFrame:
    return duckdb.sql(
        f"select * from read_parquet('{table_glob(snapshot, table)}', hive_partitioning = true)"
    ).df()


AGGREGATES = [m for m in published_models() if m.suppression]


@pytest.mark.parametrize("model", AGGREGATES, ids=lambda m: m.name)
def test_marts_publish_no_small_count_and_change_nothing_else(builds, model) -> None:
    exact, protected = (_read(s, model.name) for s in builds)
    rules = Rules.from_spec(model.suppression)
    key = list(rules.key)
    merged = protected.merge(exact, on=key, suffixes=("", "_exact"), validate="one_to_one")
    assert len(merged) == len(exact)
    withheld = 0
    for column in rules.counts:
        shown = merged[column].dropna()
        assert ((shown == 0) | (shown >= 5)).all(), column
        assert (shown == merged.loc[shown.index, f"{column}_exact"]).all(), column
        assert (
            merged[column]
            .isna()
            .equals(merged[column + FLAG_SUFFIX] | merged[f"{column}_exact"].isna())
        ), column
        withheld += int(merged[column + FLAG_SUFFIX].sum())
    if model.name.endswith("_village"):
        assert withheld > 0  # the sample is small: some village counts must be withheld
    terms = [[t for t, _ in r if not t.startswith("previous.")] for r in rules.relations]
    assert _exposed(protected, terms) == 0


@pytest.mark.parametrize(
    ("child", "parent", "on"),
    [
        ("mart_convergence_village", "mart_convergence_kecamatan", ["kecamatan_code"]),
        ("mart_convergence_kecamatan", "mart_convergence_regency", ["regency_code"]),
        ("mart_intervention_village", "mart_intervention_kecamatan", ["kecamatan_code"]),
        ("mart_intervention_kecamatan", "mart_intervention_regency", ["regency_code"]),
    ],
)
def test_region_totals_do_not_give_a_withheld_count_away(builds, child, parent, on) -> None:
    _, protected = builds
    children, parents = _read(protected, child), _read(protected, parent)
    key = ["quarter", *on, *(["intervention_type"] if "intervention" in child else [])]
    counts = Rules.from_spec(next(m for m in AGGREGATES if m.name == child).suppression).counts
    for column in counts:
        unknown = children[column].isna().groupby([children[k] for k in key]).sum()
        unknown += parents.set_index(key)[column].reindex(unknown.index).isna().astype(int)
        assert not (unknown == 1).any(), f"{child}.{column} -> {parent}"


def test_change_copies_follow_the_previous_quarter(builds) -> None:
    _, protected = builds
    village = _read(protected, "mart_convergence_village")
    before = village[["quarter", "village_code", "register_people"]].rename(
        columns={"quarter": "previous_quarter", "register_people": "copied"}
    )
    rows = village.dropna(subset=["previous_quarter"]).merge(
        before, on=["previous_quarter", "village_code"]
    )
    assert rows["register_people_previous"].isna().equals(rows["copied"].isna())
    shown = rows.dropna(subset=["copied"])
    assert (shown["register_people_previous"] == shown["copied"]).all()


def test_no_withheld_count_can_be_solved_for(builds) -> None:
    """The audit as a test, on both quarters of the sample: no withheld cell of any aggregate
    mart is determined by the published cells through the declared relations and the counts'
    being non-negative."""
    exact_snapshot, protected_snapshot = builds
    specs = {m.name: m.suppression for m in AGGREGATES}
    exact = {name: _read(exact_snapshot, name) for name in specs}
    values = _cells(exact, specs)
    equations = _equations(exact, specs)
    assert all(sum(k * values[c] for c, k in e.items()) == 0 for e in equations)
    withheld = set()
    for name, spec in specs.items():
        frame = _read(protected_snapshot, name)
        for column in spec["counts"]:
            keys = frame.loc[frame[column + FLAG_SUFFIX], spec["key"]]
            withheld |= {(name, key, column) for key in keys.itertuples(index=False, name=None)}
    assert len(withheld) > 1000 and len(equations) > 1000  # the sample's cells are small
    assert _determined(equations, withheld, values) == set()


def test_the_demo_table_marks_withheld_cells_without_claiming_their_size(builds) -> None:
    """A withheld cell may be withheld to protect another, at any size: "*", not "<5"."""
    exact_snapshot, protected_snapshot = builds
    table = village_table(protected_snapshot.parents[1])
    assert table.splitlines()[-1].startswith(f"{WITHHELD} = withheld: fewer than 5 people")
    columns = [c.strip() for c in COUNT_COLUMNS.split(",")]
    protected, exact = (
        _read(s, "mart_convergence_village").query("quarter == '2026-Q3'").set_index("village_code")
        for s in (protected_snapshot, exact_snapshot)
    )
    shown = {line.split()[1]: line.split()[-6:] for line in table.splitlines()[2:-3]}
    assert sorted(shown) == sorted(protected.index)
    large = 0
    for village, cells in shown.items():
        for column, cell in zip(columns, cells, strict=True):
            if protected.loc[village, column + FLAG_SUFFIX]:
                assert cell == WITHHELD, (village, column)
                large += int(exact.loc[village, column] >= 5)
            else:
                assert cell == str(int(protected.loc[village, column])), (village, column)
    assert large > 0  # cells withheld to protect others: "<5" would have misstated them
