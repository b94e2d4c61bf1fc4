"""The models on a hand-made story of five people over two quarters: moves between villages,
register entries and exits, a decile change and a tie between two villages.

The generated sample cannot tell these stories (its people never move and the register hardly
churns), so the change columns are checked here number by number.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from konvergensi.config import PROJECT_ROOT
from konvergensi.contracts import load_contracts
from konvergensi.staging_zone import batch_dir, publish_batch
from konvergensi.warehouse.build import build_snapshot
from konvergensi.warehouse.publish import current_snapshot, publish, table_glob

A, B, C = "53.01.24.2002", "53.01.24.2003", "53.01.05.1001"  # A, B in one kecamatan
KEY = b"story-key-0123456789abcdef"

# (source, period, person, household, village, decile, extreme_poor)
RECORDS = [
    ("p3ke", "2026-Q2", "p1", "h1", A, 1, True),
    ("p3ke", "2026-Q2", "p2", "h1", A, 1, True),
    ("p3ke", "2026-Q2", "p3", "h3", A, 4, False),
    ("p3ke", "2026-Q2", "p5", "h5", C, 2, True),
    ("kemensos_pkh", "2026-Q2", "p1", "h1", A, None, None),
    ("kemensos_pkh", "2026-Q2", "p2", "h1", A, None, None),
    ("p3ke", "2026-Q3", "p1", "h1", A, 1, True),
    ("p3ke", "2026-Q3", "p2", "h1", B, 1, True),  # p2 moved from A to B
    ("p3ke", "2026-Q3", "p4", "h4", B, 3, False),  # p4 entered the register
    ("p3ke", "2026-Q3", "p5", "h5", C, 1, True),  # p5's decile went from 2 to 1
    ("kemensos_pkh", "2026-Q3", "p2", "h1", B, None, None),
    ("kemendes_bltdd", "2026-07", "p3", "h3", B, None, None),  # p3 left the register;
    ("kemendes_bltdd", "2026-08", "p3", "h3", A, None, None),  # A and B tie: the lower code
    ("kemendes_bltdd", "2026-09", "p5", "h5", C, None, None),
    ("kementan_erdkk", "2026-Q3", "p5", "h5", C, None, None),
]


def _stage(root: Path) -> None:
    """Write RECORDS as current staged batches and their identity links."""
    frame = pd.DataFrame(
        RECORDS,
        columns=["_source", "_period", "person", "household", "village_code", "decile", "xp"],
    )
    links = []
    for (source, period), rows in frame.groupby(["_source", "_period"]):
        batch = f"b{source[:4]}{period}"
        staged = pd.DataFrame(
            {
                "_source": source,
                "_period": period,
                "_batch_id": batch,
                "_row_number": range(1, len(rows) + 1),
                "village_code": rows["village_code"].to_numpy(),
                "sex": "P",
                "birth_date": pd.Timestamp("1980-05-17"),
                "intervention_date": pd.Timestamp("2026-08-01"),
                "amount": 300000.0,
                "quantity": None,
                "welfare_decile": rows["decile"].astype("Int8").to_numpy(),
                "extreme_poor": rows["xp"].astype("boolean").to_numpy(),
            }
        )
        folder = batch_dir(root / "staging", source, period, batch)
        folder.mkdir(parents=True)
        staged.to_parquet(folder / "accepted.parquet")
        publish_batch(root / "staging", source, period, batch)
        links.append(
            staged[["_source", "_period", "_batch_id", "_row_number"]].assign(
                person_id=rows["person"].to_numpy(),
                household_id=rows["household"].to_numpy(),
                match_tier="nik_exact",
            )
        )
    (root / "identity").mkdir()
    pd.concat(links).to_parquet(root / "identity" / "links.parquet")


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    root = tmp_path_factory.mktemp("story")
    _stage(root)
    contracts = load_contracts(PROJECT_ROOT / "contracts")
    warehouse = root / "warehouse"
    manifest = build_snapshot(
        contracts, root / "staging", root / "identity", warehouse, KEY, min_cell_size=1
    )
    publish(warehouse, manifest["build_id"])
    snapshot = current_snapshot(warehouse)
    connection = duckdb.connect()
    for table in manifest["tables"]:
        connection.execute(
            f"create view {table} as select * from "
            f"read_parquet('{table_glob(snapshot, table)}', hive_partitioning = true)"
        )
    return connection


def _village(con: duckdb.DuckDBPyConnection, village: str, columns: list[str]) -> dict:
    row = con.execute(
        f"select {', '.join(columns)} from mart_convergence_village "
        "where quarter = '2026-Q3' and village_code = ?",
        [village],
    ).fetchone()
    return dict(zip(columns, row, strict=True))


CHANGE = [
    "register_people",
    "register_people_previous",
    "entered_register",
    "left_register",
    "people_reached",
    "people_reached_previous",
    "newly_reached",
    "no_longer_reached",
    "extreme_poor_reached",
    "extreme_poor_reached_previous",
    "extreme_poor_newly_reached",
    "extreme_poor_no_longer_reached",
]


def test_a_move_leaves_one_village_and_enters_another(con) -> None:
    assert _village(con, A, CHANGE) == {
        "register_people": 1,  # p1 (p2 moved to B, p3 left the register)
        "register_people_previous": 3,
        "entered_register": 0,
        "left_register": 2,
        "people_reached": 1,  # p3, now outside the register, located at A by the tie rule
        "people_reached_previous": 2,
        "newly_reached": 1,
        "no_longer_reached": 2,
        "extreme_poor_reached": 0,
        "extreme_poor_reached_previous": 2,
        "extreme_poor_newly_reached": 0,
        "extreme_poor_no_longer_reached": 2,
    }
    assert _village(con, B, CHANGE) == {
        "register_people": 2,  # p2 moved in, p4 entered the register
        "register_people_previous": 0,
        "entered_register": 2,
        "left_register": 0,
        "people_reached": 1,  # p2 (p3's tie went to A)
        "people_reached_previous": 0,
        "newly_reached": 1,
        "no_longer_reached": 0,
        "extreme_poor_reached": 1,
        "extreme_poor_reached_previous": 0,
        "extreme_poor_newly_reached": 1,
        "extreme_poor_no_longer_reached": 0,
    }


def test_kecamatan_counts_moves_within_it_as_village_moves(con) -> None:
    row = con.execute(
        "select register_people, register_people_previous, entered_register, left_register "
        "from mart_convergence_kecamatan where quarter = '2026-Q3' and kecamatan_code = ?",
        [A[:8]],
    ).fetchone()
    assert row == (3, 3, 2, 2)


def test_every_region_reconciles_with_the_previous_quarter(con) -> None:
    for table in ("mart_convergence_village", "mart_convergence_kecamatan"):
        broken = con.execute(
            f"select count(*) from {table} where previous_quarter is not null and ("
            "register_people <> register_people_previous + entered_register - left_register "
            "or people_reached <> people_reached_previous + newly_reached - no_longer_reached "
            "or extreme_poor_reached <> extreme_poor_reached_previous "
            "+ extreme_poor_newly_reached - extreme_poor_no_longer_reached)"
        ).fetchone()[0]
        assert broken == 0, table


def test_first_quarter_has_no_change_columns(con) -> None:
    nulls = con.execute(
        "select count(*) filter (where entered_register is null), count(*) "
        "from mart_convergence_village where quarter = '2026-Q2'"
    ).fetchone()
    assert nulls[0] == nulls[1] > 0


def test_two_ministries_and_the_tie_rule(con) -> None:
    assert _village(con, C, ["reached_by_two_plus_ministries", "reached_by_one_ministry"]) == {
        "reached_by_two_plus_ministries": 1,  # p5: Kemendes and Kementan
        "reached_by_one_ministry": 0,
    }
    assert _village(con, A, ["reached_outside_register"]) == {"reached_outside_register": 1}


def test_decile_change_is_visible_in_register_membership(con) -> None:
    rows = con.execute(
        "select welfare_decile, welfare_decile_previous, in_register_previous "
        "from fact_register_membership where quarter = '2026-Q3' order by village_code, "
        "welfare_decile"
    ).fetchall()
    assert sorted(rows, key=repr) == sorted(
        [(1, 1, True), (1, 1, True), (3, None, False), (1, 2, True)], key=repr
    )


def test_household_reached_by_either_member(con) -> None:
    q2 = con.execute(
        "select members_in_register, members_reached, ministries, reached_previous_quarter "
        "from mart_convergence_household where quarter = '2026-Q2' and village_code = ? "
        "and in_register and extreme_poor",
        [A],
    ).fetchall()
    assert q2 == [(2, 2, 1, None)]  # h1: p1 and p2, both reached by Kemensos


def test_age_band_is_taken_at_the_end_of_the_latest_quarter(con) -> None:
    bands = con.execute("select distinct age_band from dim_beneficiary").fetchall()
    assert bands == [("45-59",)]  # born 17 May 1980: 46 on 30 Sep 2026
