"""Expected warehouse numbers computed independently from the generator's ground truth.

Uses only the truth files and the contracts (never the pipeline's own tables), so a test that
compares the two catches errors in ingestion, resolution and the models alike.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from konvergensi.contracts import Contract
from konvergensi.periods import quarter_of


def expected_village_convergence(truth_root: Path, contracts: list[Contract]) -> pd.DataFrame:
    """Per (quarter, village): register, extreme-poor and reach counts from the ground truth."""
    rows = pd.read_parquet(truth_root / "source_rows.parquet")
    people = pd.read_parquet(truth_root / "people.parquet")
    households = pd.read_parquet(truth_root / "households.parquet")
    role = {c.source: c.role for c in contracts}
    ministry = {c.source: c.ministry for c in contracts}
    rows = rows.assign(
        quarter=rows["period"].map(quarter_of),
        role=rows["source"].map(role),
        ministry=rows["source"].map(ministry),
    )
    register = rows[rows["role"] == "target_register"][["quarter", "person_id", "household_id"]]
    register = register.drop_duplicates(["quarter", "person_id"]).merge(
        households[["household_id", "extreme_poor"]], on="household_id"
    )
    reach = (
        rows[rows["role"] == "intervention"]
        .groupby(["quarter", "person_id"])["ministry"]
        .nunique()
        .rename("ministries")
        .reset_index()
    )
    persons = register[["quarter", "person_id", "extreme_poor"]].merge(
        reach, on=["quarter", "person_id"], how="outer"
    )
    persons["in_register"] = persons["extreme_poor"].notna()
    persons["extreme_poor"] = persons["extreme_poor"].fillna(False).astype(bool)
    persons["ministries"] = persons["ministries"].fillna(0).astype(int)
    persons = persons.merge(people[["person_id", "village_code"]], on="person_id")
    reg, xp, m = persons["in_register"], persons["extreme_poor"], persons["ministries"]
    flags = pd.DataFrame(
        {
            "quarter": persons["quarter"],
            "village_code": persons["village_code"],
            "register_people": reg,
            "register_extreme_poor": reg & xp,
            "people_reached": m >= 1,
            "reached_by_one_ministry": m == 1,
            "reached_by_two_plus_ministries": m >= 2,
            "register_reached": reg & (m >= 1),
            "extreme_poor_reached": reg & xp & (m >= 1),
            "extreme_poor_not_reached": reg & xp & (m == 0),
            "reached_outside_register": ~reg & (m >= 1),
        }
    )
    return flags.groupby(["quarter", "village_code"]).sum().astype("int64").reset_index()
