"""Disclosure control: no count under the minimum cell size is published unmarked, and no
withheld count can be worked back out from the relations the marts publish."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
    key=("quarter", "region"), counts=("total", "a", "b"), relations=(("total", "a", "b"),)
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
        relations=(("now", "left", "before", "entered"),),
        withhold_first=("entered", "left"),
    )
    out = _out(table, rules, 5)
    assert out[["now", "before"]].values.tolist() == [[468, 469]]
    assert out[["entered", "left"]].isna().values.tolist() == [[True, True]]


def test_relations_and_settings_are_checked() -> None:
    assert parse_relation("a + b = previous.c") == ("a", "b", "previous.c")
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
        relations=(("total", "a", "b", "c"), ("ab", "a", "b"), ("total", "ab", "c")),
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
    terms = [[t for t in r if not t.startswith("previous.")] for r in rules.relations]
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
