"""The warehouse built from a generated two-quarter sample against the generator's ground truth.

Every mart is checked against numbers computed independently in tests/truth.py. Suppression is
off (minimum cell size 1) so that every count can be compared exactly; the sample is clean, so
persons resolve exactly. Households the data cannot link (members of a family outside the
register who appear in sources without a KK number) are the one known gap: for those counts
the warehouse may show more households than the truth, never fewer.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from konvergensi.warehouse.publish import current_snapshot, table_glob
from tests import truth as T
from tests.warehouse_sample import Sample, staged_sample

SPLIT_HOUSEHOLD_COUNTS = {"households_reached"}  # may exceed the truth, see module docstring
FEWER_OR_EQUAL = {"households_all_strategy_types"}  # split households may lose the full set


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    return staged_sample(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="module")
def snapshot(sample: Sample, tmp_path_factory: pytest.TempPathFactory) -> Path:
    warehouse = tmp_path_factory.mktemp("exact") / "warehouse"
    sample.build(warehouse, min_cell_size=1)
    return current_snapshot(warehouse)


def read(snapshot: Path, table: str) -> pd.DataFrame:
    return duckdb.sql(
        f"select * from read_parquet('{table_glob(snapshot, table)}', hive_partitioning = true)"
    ).df()


def _compare(got: pd.DataFrame, expected: pd.DataFrame, key: list[str], columns: list[str]):
    merged = got.merge(expected, on=key, how="outer", suffixes=("", "_truth"), indicator=True)
    assert (merged["_merge"] != "right_only").all(), "truth has regions the mart lacks"
    return merged


@pytest.mark.parametrize("level", ["village", "kecamatan", "regency"])
def test_convergence_marts_match_truth(sample: Sample, snapshot: Path, level: str) -> None:
    key = ["quarter", T.LEVELS[level]]
    got = read(snapshot, f"mart_convergence_{level}")
    expected = T.expected_convergence(sample.truth, sample.contracts, level)
    merged = _compare(got, expected, key, T.PEOPLE_COUNTS)
    has_before = merged["previous_quarter"].notna()
    assert has_before.any() and (~has_before).any(), "the sample must span two quarters"
    for column in T.PEOPLE_COUNTS + T.HOUSEHOLD_COUNTS + T.CHANGE_COUNTS:
        ours = merged[column].astype("Float64")
        truth = merged[f"{column}_truth"].astype("Float64")
        if column in T.CHANGE_COUNTS:
            assert ours[~has_before].isna().all(), f"{column} must be null without a prior quarter"
            ours, truth = ours[has_before], truth[has_before].fillna(0)
        else:
            truth = truth.fillna(0)
        if column in SPLIT_HOUSEHOLD_COUNTS:
            assert (ours >= truth).all() and ours.sum() <= 1.3 * truth.sum(), column
        elif column in FEWER_OR_EQUAL:
            assert (ours <= truth).all(), column
        else:
            diff = merged.loc[ours.index][ours != truth]
            assert diff.empty, f"{level}.{column} differs from the truth:\n{diff[key].head()}"


def test_change_columns_are_not_vacuous(sample: Sample) -> None:
    regency = T.expected_convergence(sample.truth, sample.contracts, "regency").iloc[-1]
    for column in ("newly_reached", "no_longer_reached", "extreme_poor_newly_reached"):
        assert regency[column] > 0, column
    assert regency["households_all_strategy_types"] > 0


@pytest.mark.parametrize("level", ["village", "kecamatan", "regency"])
def test_intervention_marts_match_truth(sample: Sample, snapshot: Path, level: str) -> None:
    key = ["quarter", T.LEVELS[level], "intervention_type"]
    got = read(snapshot, f"mart_intervention_{level}")
    expected = T.expected_intervention(sample.truth, sample.contracts, level)
    merged = _compare(got, expected, key, T.INTERVENTION_COUNTS)
    assert set(got["intervention_type"]) == {
        c.intervention_type for c in sample.contracts if c.role == "intervention"
    }
    for column in T.INTERVENTION_COUNTS:
        ours, truth = merged[column], merged[f"{column}_truth"].fillna(0)
        if column in SPLIT_HOUSEHOLD_COUNTS:
            assert (ours >= truth).all(), column
        else:
            assert (ours == truth).all(), f"{level}.{column} differs from the truth"


def _rows(frame: pd.DataFrame, columns: list[str]) -> list[tuple]:
    """The rows as a sorted list of tuples (lists as tuples, missing values as None)."""
    values = frame[columns].astype(object).where(frame[columns].notna(), None)
    rows = [
        tuple(tuple(v) if hasattr(v, "__len__") and not isinstance(v, str) else v for v in row)
        for row in values.itertuples(index=False)
    ]
    return sorted(rows, key=repr)


def test_beneficiary_mart_matches_truth(sample: Sample, snapshot: Path) -> None:
    columns = [
        "quarter",
        "village_code",
        "in_register",
        "extreme_poor",
        "welfare_decile",
        "reached",
        "intervention_records",
        "ministries",
        "ministry_list",
        "intervention_types",
        "intervention_type_list",
        "strategy_types",
        "reached_previous_quarter",
    ]
    got = read(snapshot, "mart_convergence_beneficiary")
    expected = T.person_quarters(sample.truth, sample.contracts)
    assert got["beneficiary_key"].str.fullmatch(r"B[0-9a-f]{24}").all()
    assert _rows(got, columns) == _rows(expected, columns)


def test_household_mart_matches_truth_for_register_households(
    sample: Sample, snapshot: Path
) -> None:
    columns = [
        "quarter",
        "village_code",
        "extreme_poor",
        "welfare_decile",
        "members_seen",
        "members_in_register",
        "members_reached",
        "ministries",
        "intervention_type_list",
        "strategy_types",
        "all_strategy_types",
    ]
    got = read(snapshot, "mart_convergence_household")
    expected = T.household_quarters(sample.truth, sample.contracts)
    assert _rows(got[got["in_register"]], columns) == _rows(
        expected[expected["in_register"]], columns
    )
    outside, truth_outside = got[~got["in_register"]], expected[~expected["in_register"]]
    assert outside["members_seen"].sum() == truth_outside["members_seen"].sum()
    assert len(outside) >= len(truth_outside)


def test_dim_beneficiary_matches_truth(sample: Sample, snapshot: Path) -> None:
    columns = [
        "village_code",
        "sex",
        "age_band",
        "first_quarter",
        "last_quarter",
        "quarters_present",
        "ever_in_register",
        "ever_extreme_poor",
        "ever_reached",
        "source_records",
        "sources",
    ]
    got = read(snapshot, "dim_beneficiary")
    expected = T.expected_beneficiaries(sample.truth, sample.contracts)
    assert got["beneficiary_key"].is_unique
    assert _rows(got, columns) == _rows(expected, columns)


def test_dim_household_counts_register_households_exactly(sample: Sample, snapshot: Path):
    got = read(snapshot, "dim_household")
    expected = T.household_quarters(sample.truth, sample.contracts)
    assert got["household_key"].is_unique
    ever = expected.groupby("household_id")["in_register"].any()
    assert int(got["ever_in_register"].sum()) == int(ever.sum())
    assert len(got) >= expected["household_id"].nunique()


def test_fact_intervention_matches_truth(sample: Sample, snapshot: Path) -> None:
    key = ["quarter", "period", "source", "ministry", "intervention_type", "village_code"]
    got = read(snapshot, "fact_intervention")
    rows = T.source_rows(sample.truth, sample.contracts)
    rows = rows[rows["role"] == "intervention"]
    people = pd.read_parquet(sample.truth / "people.parquet")[["person_id", "village_code"]]
    rows = rows.merge(people, on="person_id")
    assert got.groupby(key).size().sort_index().equals(rows.groupby(key).size().sort_index())
    per_source = got.groupby(["source", "period"])["beneficiary_key"].nunique().sort_index()
    truth = rows.groupby(["source", "period"])["person_id"].nunique().sort_index()
    assert per_source.equals(truth)
    with_amount = {c.source for c in sample.contracts if "amount" in c.columns}
    assert got.loc[got["source"].isin(with_amount), "amount"].notna().all()
    assert got.loc[~got["source"].isin(with_amount), "amount"].isna().all()


def test_fact_register_membership_matches_truth(sample: Sample, snapshot: Path) -> None:
    columns = ["quarter", "village_code", "welfare_decile", "extreme_poor"]
    got = read(snapshot, "fact_register_membership")
    persons = T.person_quarters(sample.truth, sample.contracts)
    expected = persons[persons["in_register"]]
    assert _rows(got, columns) == _rows(expected, columns)
    has_before = got["quarter"] > got["quarter"].min()
    assert got.loc[~has_before, "in_register_previous"].isna().all()
    stayed = expected["in_register_before"].fillna(False).astype(bool)
    assert int(got.loc[has_before, "in_register_previous"].sum()) == int(stayed.sum())


def test_small_dimensions_match_truth_and_contracts(sample: Sample, snapshot: Path) -> None:
    from konvergensi.synthetic.geography import load_geography

    period = read(snapshot, "dim_period").sort_values("quarter")
    quarters = T.quarters(sample.truth, sample.contracts).sort_values("quarter")
    assert period["quarter"].tolist() == quarters["quarter"].tolist()
    assert period["previous_quarter"].tolist() == [
        None if q is None else q for q in quarters["previous_quarter"]
    ]
    assert period["records"].tolist() == quarters["records"].tolist()
    assert period["sources_delivered"].tolist() == quarters["sources_delivered"].tolist()
    assert period["is_latest"].tolist() == [False] * (len(period) - 1) + [True]
    programme = read(snapshot, "dim_programme")
    assert sorted(programme["source"]) == sorted(c.source for c in sample.contracts)
    assert programme.set_index("source")["convergence_strategy"].sum() == 4
    region = read(snapshot, "dim_region")
    assert sorted(region["village_code"]) == sorted(load_geography("53.01").village_codes)
