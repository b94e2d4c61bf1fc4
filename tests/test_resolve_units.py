"""Pure parts of the resolver: accuracy metrics, stable ID assignment, constrained clustering."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from konvergensi.resolve.clustering import FORCED, NEAR_NIK, Constraints, cluster
from konvergensi.resolve.evaluate import cluster_metrics
from konvergensi.resolve.ids import assign_ids


def issued(ids) -> Callable[[list[str]], set[str]]:
    """A registry look-up over the IDs `ids`."""
    return lambda asked: set(ids) & set(asked)


def test_metrics_of_one_false_merge() -> None:
    # truth: {0,1}, {2}, {3}; predicted: {0,1,2}, {3}
    scores = cluster_metrics(np.array([0, 0, 0, 3]), np.array(["a", "a", "b", "c"]))
    assert scores["pairwise_precision"] == pytest.approx(1 / 3)
    assert scores["pairwise_recall"] == 1.0
    assert scores["pairwise_f1"] == pytest.approx(0.5)
    assert scores["bcubed_precision"] == pytest.approx((2 / 3 + 2 / 3 + 1 / 3 + 1) / 4)
    assert scores["bcubed_recall"] == 1.0


def test_ids_survive_growth_and_record_merges_and_splits() -> None:
    keys = np.array(["k0", "k1", "k2", "k3", "k4", "k5"])
    previous = np.array(["P1", "P1", "P2", "P3", "P3", None], dtype=object)
    # P1 and P2 merge (P1 has more records), P3 splits, k5 is new and joins P3's first part
    labels = np.array([0, 0, 0, 3, 4, 3])
    ids, events = assign_ids(keys, labels, previous, "P", issued({"P1", "P2", "P3"}))
    assert list(ids[:3]) == ["P1"] * 3
    assert ids[3] == ids[5] == "P3"
    assert ids[4] not in {"P1", "P2", "P3"}
    kinds = {(k, f, t) for k, f, t in events.itertuples(index=False)}
    assert ("merge", "P2", "P1") in kinds and ("split", "P3", ids[4]) in kinds


def test_fresh_ids_never_reuse_an_issued_id() -> None:
    keys = np.array(["k0"])
    first, _ = assign_ids(keys, np.array([0]), np.array([None], dtype=object), "P", issued(set()))
    again, _ = assign_ids(keys, np.array([0]), np.array([None], dtype=object), "P", issued(first))
    assert again[0] != first[0]
    # the salted ID was issued too (say, split off and retired): the next salt is taken
    third, _ = assign_ids(
        keys, np.array([0]), np.array([None], dtype=object), "P", issued({*first, *again})
    )
    assert third[0] not in {first[0], again[0]}


def constraints(**overrides) -> Constraints:
    base = {
        "source_period": np.array([0, 1, 0, 2]),
        "nik": np.array([-1, -1, -1, -1]),
        "sex": np.array([0, 0, 0, 0]),
        "birth_year": np.array([1980, 1980, 1980, 1980]),
    }
    return Constraints(**{**base, **overrides})


def run(edges, c: Constraints, group=((), ())) -> np.ndarray:
    left, right = (np.array(g, dtype=np.int64) for g in group)
    return cluster(np.arange(4), left, right, edges, c).labels


def test_one_record_per_source_and_period_stops_chaining() -> None:
    labels = run([(0, 1, "probabilistic"), (1, 2, "probabilistic")], constraints())
    assert labels[0] == labels[1] != labels[2]


def test_two_valid_niks_are_two_people_unless_one_edit_apart() -> None:
    c = constraints(nik=np.array([5, 6, -1, -1]))
    assert len(set(run([(0, 1, "probabilistic")], c)[:2])) == 2
    assert len(set(run([(0, 1, NEAR_NIK)], c)[:2])) == 1


def test_sex_and_birth_year_conflicts_refuse_probabilistic_links() -> None:
    c = constraints(sex=np.array([0, 1, 0, 0]), birth_year=np.array([1980, 1980, 1980, 2020]))
    labels = run([(0, 1, "probabilistic"), (0, 3, "probabilistic")], c)
    assert len(set(labels)) == 4


def test_reviewers_different_beats_everything_but_same_is_forced() -> None:
    c = constraints(cannot_link={(0, 1)})
    outcome = cluster(np.arange(4), np.array([0]), np.array([1]), [], c)
    assert outcome.labels[0] == outcome.labels[1]  # NIK groups are joined before the checks
    labels = run([(0, 1, "probabilistic"), (0, 2, FORCED)], c)
    assert labels[0] != labels[1] and labels[0] == labels[2]


def test_rule_columns_cover_every_blocking_rule() -> None:
    """An incremental run blocks on RULE_COLUMNS only, so every rule must read from them."""
    import re

    from konvergensi.resolve.blocking import RULE_COLUMNS, RULES

    read = {re.sub(r"^\w+\((\w+)\)$", r"\1", c) for _, columns in RULES for c in columns}
    assert read == set(RULE_COLUMNS)


def test_settled_records_count_for_their_person_but_do_not_vote() -> None:
    """A delta scope row stands for its person's records outside the scope, settled ones too,
    but only records with a previous ID vote for that ID (as in a whole-register pass)."""
    import duckdb

    from konvergensi.resolve import delta

    con = duckdb.connect()
    con.execute("attach ':memory:' as state")
    columns = "rid bigint, person_id varchar, source_period varchar, nik_valid varchar, "
    columns += "sex varchar, dob date"
    con.execute(f"create table state.records ({columns})")
    con.execute(f"create table {delta.SETTLED} ({columns})")
    con.execute(
        "insert into state.records values (0, 'P1', 'a|2026-07', null, 'L', '1980-03-12'), "
        "(1, 'P1', 'b|2026-07', null, 'L', '1980-03-12')"
    )
    con.execute(f"insert into {delta.SETTLED} values (5, 'P1', 'c|2026-08', null, 'L', null)")
    con.execute(
        "create table features as select * from (values (0, 0, 'P1'), (1, 9, null)) "
        "t(rid, grid, prev_person_id)"
    )
    scope = delta.summarise(con)
    assert scope.records.tolist() == [3, 1]
    assert scope.votes.tolist() == [2, 1]
    assert scope.new_records == 1
    source_periods = scope.outside.get(0)[0]
    assert len(source_periods) == 2  # b|2026-07 and the settled c|2026-08
