"""Every worked question in docs/queries.md runs against a built sample, and its answer agrees
with the generator's ground truth (computed in tests/truth.py, without the warehouse)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from konvergensi.warehouse import open_warehouse
from konvergensi.warehouse.build import build_snapshot
from konvergensi.warehouse.publish import current_build, publish
from tests import truth as T
from tests.warehouse_sample import KEY, Sample, staged_sample

DOC = Path(__file__).resolve().parents[1] / "docs" / "queries.md"
LATEST = "2026-Q3"


def doc_queries() -> dict[int, str]:
    """Question number -> the first SQL block under its heading."""
    text = DOC.read_text(encoding="utf-8")
    sections = re.split(r"^## (\d+)\. .*$", text, flags=re.MULTILINE)
    queries = {}
    for number, body in zip(sections[1::2], sections[2::2], strict=True):
        block = re.search(r"```sql\n(.*?)```", body, flags=re.DOTALL)
        assert block, f"question {number} has no SQL block"
        queries[int(number)] = block.group(1)
    return queries


QUERIES = doc_queries()


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    return staged_sample(tmp_path_factory.getbasetemp())


def _run(warehouse: Path, sql: str) -> pd.DataFrame:
    con = open_warehouse(warehouse)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


@pytest.fixture(scope="module")
def answers(sample: Sample, tmp_path_factory: pytest.TempPathFactory) -> dict[int, pd.DataFrame]:
    """Every query's answer on the sample built without suppression (exact counts)."""
    warehouse = tmp_path_factory.mktemp("queries") / "warehouse"
    sample.build(warehouse, min_cell_size=1)
    return {n: _run(warehouse, sql) for n, sql in QUERIES.items()}


@pytest.fixture(scope="module")
def persons(sample: Sample) -> pd.DataFrame:
    return T.person_quarters(sample.truth, sample.contracts)


def _latest(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["quarter"] == LATEST]


def check_1(got, sample, persons) -> None:
    villages = _latest(T.expected_convergence(sample.truth, sample.contracts, "village"))
    villages = villages[villages["register_extreme_poor"] > 0]
    expected = 100 * villages["extreme_poor_reached"] / villages["register_extreme_poor"]
    mine = got.set_index("village_code")["coverage_pct"]
    truth = pd.Series(expected.to_numpy(), index=villages["village_code"])
    assert sorted(mine.index) == sorted(truth.index)
    assert ((mine - truth.loc[mine.index]).abs() <= 0.05 + 1e-9).all()  # rounded to 0.1
    assert got["coverage_pct"].is_monotonic_increasing


def check_2(got, sample, persons) -> None:
    villages = _latest(T.expected_convergence(sample.truth, sample.contracts, "village"))
    top = villages[villages["extreme_poor_not_reached"] > 0].sort_values(
        ["extreme_poor_not_reached", "village_code"], ascending=[False, True]
    )
    assert got["extreme_poor_not_reached"].tolist() == top["extreme_poor_not_reached"][:10].tolist()
    assert got["village_code"].tolist() == top["village_code"][:10].tolist()


def check_3(got, sample, persons) -> None:
    kecamatan = _latest(T.expected_convergence(sample.truth, sample.contracts, "kecamatan"))
    expected = kecamatan.set_index("kecamatan_code")
    got = got.set_index("kecamatan_code")
    columns = [
        "extreme_poor_reached",
        "extreme_poor_newly_reached",
        "extreme_poor_reached_previous",
    ]
    pd.testing.assert_frame_equal(
        got[columns], expected.loc[got.index, columns], check_dtype=False, check_names=False
    )
    assert (
        got["change"] == got["extreme_poor_reached"] - got["extreme_poor_reached_previous"]
    ).all()
    assert (got["quarter"] == LATEST).all() and got["extreme_poor_newly_reached"].sum() > 0


def check_4(got, sample, persons) -> None:
    p = _latest(persons)
    sosial = p["ministry_list"].map(lambda m: "Kementerian Sosial" in m)
    desa = p["ministry_list"].map(lambda m: "Kementerian Desa PDTT" in m)
    expected = (
        pd.DataFrame({"kemensos": sosial, "kemendes": desa, "both_ministries": sosial & desa})
        .groupby(p["kecamatan_code"])
        .sum()
    )
    got = got.set_index("kecamatan_code")
    assert got["both_ministries"].sum() > 0
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, check_names=False)


def check_5(got, sample, persons) -> None:
    households = T.household_quarters(sample.truth, sample.contracts)
    full = households[households["all_strategy_types"]].groupby(["quarter", "village_code"]).size()
    mine = got.set_index(["quarter", "village_code"])["households"]
    assert mine.sum() > 0 and set(mine.index) <= set(full.index)
    assert (mine <= full.loc[mine.index]).all()  # households split by missing KK lose the set
    xp = households[households["all_strategy_types"] & households["extreme_poor"]]
    assert got["extreme_poor_households"].sum() == len(xp)  # register families link exactly


def check_6(got, sample, persons) -> None:
    p = _latest(persons)
    one = p[p["ministries"] == 1].assign(ministry=lambda d: d["ministry_list"].str[0])
    expected = one.groupby("ministry").agg(
        people=("person_id", "size"),
        in_register=("in_register", "sum"),
        extreme_poor=("extreme_poor", "sum"),
    )
    pd.testing.assert_frame_equal(
        got.set_index("ministry").sort_index(), expected, check_dtype=False, check_names=False
    )


def check_7(got, sample, persons) -> None:
    rows = T.source_rows(sample.truth, sample.contracts)
    given = rows[rows["role"] == "intervention"].merge(
        persons[["quarter", "person_id", "in_register"]], on=["quarter", "person_id"]
    )
    programme = {c.source: c.programme for c in sample.contracts}
    given["programme"] = given["source"].map(programme)
    people = given.drop_duplicates(["quarter", "ministry", "programme", "person_id"])
    expected = people.groupby(["quarter", "ministry", "programme"]).agg(
        people=("person_id", "size"), outside_register=("in_register", lambda s: int((~s).sum()))
    )
    got = got.set_index(["quarter", "ministry", "programme"])
    pd.testing.assert_frame_equal(
        got[["people", "outside_register"]], expected, check_dtype=False, check_names=False
    )


def check_8(got, sample, persons) -> None:
    expected = _latest(T.expected_intervention(sample.truth, sample.contracts, "kecamatan"))
    table = expected.pivot_table(
        index="kecamatan_code",
        columns="intervention_type",
        values="extreme_poor_reached",
        fill_value=0,
    )
    got = got.set_index("kecamatan_code")
    types = {c.intervention_type for c in sample.contracts if c.role == "intervention"}
    assert set(got.columns) == types
    for column in table.columns:
        assert (got[column] == table[column].reindex(got.index, fill_value=0)).all(), column


def check_9(got, sample, persons) -> None:
    members = persons[persons["in_register"] & persons["previous_quarter"].notna()]
    entered = ~members["in_register_before"].fillna(False).astype(bool)
    assert got[["quarter", "members", "entered"]].values.tolist() == [
        [LATEST, len(members), int(entered.sum())]
    ]
    # The generator keeps every family's decile and flag: none may change.
    assert got[["decile_fell", "decile_rose", "became_extreme_poor"]].sum().sum() == 0


def check_10(got, sample, persons) -> None:
    rows = T.source_rows(sample.truth, sample.contracts)
    people = pd.read_parquet(sample.truth / "people.parquet")[["person_id", "kecamatan_code"]]
    paid = rows[rows["source"] == "kemendes_bltdd"].merge(people, on="person_id")
    expected = paid.groupby(["period", "kecamatan_code"]).size()
    got = got.set_index(["period", "kecamatan_code"])
    assert got["payments"].to_dict() == expected.to_dict()
    assert (got["rupiah"] == 300_000 * got["payments"]).all()  # the contract's fixed amount


def check_11(got, sample, persons) -> None:
    households = _latest(T.household_quarters(sample.truth, sample.contracts))
    families = households[
        households["in_register"] & households["extreme_poor"] & (households["ministries"] == 1)
    ]
    expected = families.groupby("village_code").size()
    assert dict(zip(got["village_code"], got["families"], strict=True)) == expected.to_dict()


def check_12(got, sample, persons) -> None:
    quarters = T.quarters(sample.truth, sample.contracts)
    assert got["records"].tolist() == quarters["records"].tolist()
    assert (got["sources_delivered"] == got["sources_expected"]).all()
    rows = T.source_rows(sample.truth, sample.contracts)
    periods = rows.drop_duplicates(["source", "period"]).groupby("quarter").size()
    assert got["periods_delivered"].tolist() == periods.tolist()
    cadence = {"monthly": 3, "quarterly": 1}
    assert (got["periods_expected"] == sum(cadence[c.cadence] for c in sample.contracts)).all()
    assert got["complete"].all()  # the generator sends every period of both quarters


def check_13(got, sample, persons) -> None:
    assert got["is_current"].tolist() == [True]
    assert got["schema_name"][0] == "snapshot_" + got["build_id"][0]


CHECKS: dict[int, Callable] = {
    int(name.removeprefix("check_")): f
    for name, f in globals().items()
    if name.startswith("check_")
}


def test_the_doc_has_at_least_ten_questions_each_with_a_check() -> None:
    assert len(QUERIES) >= 10
    assert set(QUERIES) == set(CHECKS)


@pytest.mark.parametrize("number", sorted(QUERIES))
def test_query_answers_match_the_truth(answers, sample, persons, number: int) -> None:
    got = answers[number]
    assert len(got) > 0, f"question {number} returned nothing"
    CHECKS[number](got, sample, persons)


def test_queries_run_on_a_protected_build(sample: Sample, tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    sample.build(warehouse, min_cell_size=5)
    for number, sql in QUERIES.items():
        assert _run(warehouse, sql) is not None, number


@pytest.fixture(scope="module")
def protected(sample: Sample, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample built with the default minimum cell size: what analysts actually query."""
    warehouse = tmp_path_factory.mktemp("queries-protected") / "warehouse"
    sample.build(warehouse, min_cell_size=5)
    return warehouse


def test_query_1_keeps_villages_whose_counts_are_withheld(protected: Path) -> None:
    """The doc says withheld counts show as NULL: the villages must be there, not dropped."""
    got = _run(protected, QUERIES[1])
    village = _run(
        protected,
        "select village_code, register_extreme_poor, register_extreme_poor_suppressed, "
        "extreme_poor_reached_suppressed from mart_convergence_village v "
        "join dim_period p on p.quarter = v.quarter and p.is_latest",
    )
    shown = village[
        village["register_extreme_poor_suppressed"] | (village["register_extreme_poor"] > 0)
    ]
    assert village["register_extreme_poor_suppressed"].any()  # else this test proves nothing
    assert sorted(got["village_code"]) == sorted(shown["village_code"])
    withheld = shown["register_extreme_poor_suppressed"] | shown["extreme_poor_reached_suppressed"]
    assert sorted(got.loc[got["coverage_pct"].isna(), "village_code"]) == sorted(
        shown.loc[withheld, "village_code"]
    )


def test_query_12_flags_a_quarter_a_monthly_source_sent_one_month_of(
    sample: Sample, tmp_path: Path
) -> None:
    """Without two of BLT Dana Desa's three months of 2026-Q3, the source still counts as
    delivered, but the quarter is not complete."""
    identity = tmp_path / "identity"
    identity.mkdir()
    links = pd.read_parquet(sample.root / "identity" / "links.parquet")
    dropped = (links["_source"] == "kemendes_bltdd") & links["_period"].isin(["2026-08", "2026-09"])
    assert dropped.any()
    links[~dropped].to_parquet(identity / "links.parquet")
    warehouse = tmp_path / "warehouse"
    manifest = build_snapshot(
        sample.contracts, sample.root / "staging", identity, warehouse, KEY, min_cell_size=1
    )
    publish(warehouse, manifest["build_id"])
    assert current_build(warehouse) == manifest["build_id"]
    got = _run(warehouse, QUERIES[12]).set_index("quarter")
    assert got.loc["2026-Q3", "sources_delivered"] == got.loc["2026-Q3", "sources_expected"]
    assert got.loc["2026-Q3", "periods_delivered"] == got.loc["2026-Q3", "periods_expected"] - 2
    assert got["complete"].tolist() == [True, False]
