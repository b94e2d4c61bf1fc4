"""Expected warehouse numbers computed independently from the generator's ground truth.

Uses only the truth files and the contracts (never the pipeline's own tables or SQL), so a test
that compares the two catches errors in ingestion, resolution and the models alike. Every person
is placed at their true village and household; register membership, deciles and the
extreme-poverty flag come from who the register files really list.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from konvergensi.contracts import Contract
from konvergensi.periods import period_bounds, quarter_of

# The convergence strategy's intervention types (docs/domain.md): access to jobs, skills
# training, UMKM mentoring, access to financing.
STRATEGY = {"job_access", "skills_training", "umkm_mentoring", "financing"}
LEVELS = {"village": "village_code", "kecamatan": "kecamatan_code", "regency": "regency_code"}
PEOPLE_COUNTS = [
    "register_people",
    "register_extreme_poor",
    "people_reached",
    "reached_by_one_ministry",
    "reached_by_two_plus_ministries",
    "register_reached",
    "extreme_poor_reached",
    "extreme_poor_not_reached",
    "reached_outside_register",
]
HOUSEHOLD_COUNTS = [
    "register_households",
    "extreme_poor_households",
    "extreme_poor_households_reached",
    "extreme_poor_households_not_reached",
    "register_households_reached",
    "households_reached",
    "households_all_strategy_types",
]
CHANGE_COUNTS = [
    "register_people_previous",
    "people_reached_previous",
    "extreme_poor_reached_previous",
    "entered_register",
    "left_register",
    "newly_reached",
    "no_longer_reached",
    "extreme_poor_newly_reached",
    "extreme_poor_no_longer_reached",
]
INTERVENTION_COUNTS = [
    "people_reached",
    "register_reached",
    "extreme_poor_reached",
    "reached_outside_register",
    "households_reached",
    "extreme_poor_households_reached",
]


def source_rows(truth_root: Path, contracts: list[Contract]) -> pd.DataFrame:
    """Every written row with its true person and household, quarter and programme."""
    rows = pd.read_parquet(truth_root / "source_rows.parquet")
    by_source = {c.source: c for c in contracts}
    return rows.assign(
        quarter=rows["period"].map(quarter_of),
        role=rows["source"].map(lambda s: by_source[s].role),
        ministry=rows["source"].map(lambda s: by_source[s].ministry),
        intervention_type=rows["source"].map(lambda s: by_source[s].intervention_type),
    )


def _previous_quarter(quarter: str, present: set[str]) -> str | None:
    start, _ = period_bounds(quarter)
    before = quarter_of(date.fromordinal(start.toordinal() - 1).strftime("%Y-%m"))
    return before if before in present else None


def quarters(truth_root: Path, contracts: list[Contract]) -> pd.DataFrame:
    """One row per quarter in the data: its previous quarter (if present), sources, records."""
    rows = source_rows(truth_root, contracts)
    out = rows.groupby("quarter").agg(
        sources_delivered=("source", "nunique"), records=("source", "size")
    )
    out = out.reset_index()
    present = set(out["quarter"])
    out["previous_quarter"] = out["quarter"].map(lambda q: _previous_quarter(q, present))
    return out


def person_quarters(truth_root: Path, contracts: list[Contract]) -> pd.DataFrame:
    """One row per (quarter, person) with a record: where they live, register status, reach."""
    rows = source_rows(truth_root, contracts)
    people = pd.read_parquet(truth_root / "people.parquet")
    households = pd.read_parquet(truth_root / "households.parquet")
    register = rows[rows["role"] == "target_register"]
    listed = register[["quarter", "person_id"]].drop_duplicates().assign(in_register=True)
    given = rows[rows["role"] == "intervention"]
    received = (
        given.groupby(["quarter", "person_id"])
        .agg(
            intervention_records=("source", "size"),
            ministries=("ministry", "nunique"),
            ministry_list=("ministry", lambda s: tuple(sorted(set(s)))),
            intervention_type_list=("intervention_type", lambda s: tuple(sorted(set(s)))),
        )
        .reset_index()
    )
    out = rows[["quarter", "person_id"]].drop_duplicates()
    out = out.merge(listed, how="left").merge(received, how="left")
    out["in_register"] = out["in_register"].fillna(False).astype(bool)
    out["intervention_records"] = out["intervention_records"].fillna(0).astype(int)
    out["ministries"] = out["ministries"].fillna(0).astype(int)
    for column in ("ministry_list", "intervention_type_list"):
        out[column] = out[column].map(lambda v: v if isinstance(v, tuple) else ())
    out["intervention_types"] = out["intervention_type_list"].map(len)
    out["strategy_types"] = out["intervention_type_list"].map(lambda t: len(STRATEGY & set(t)))
    out["reached"] = out["ministries"] >= 1
    out = out.merge(people[["person_id", "household_id", "village_code", "sex", "birth_date"]])
    out = out.merge(
        households[["household_id", "welfare_decile", "extreme_poor"]].rename(
            columns={"welfare_decile": "decile", "extreme_poor": "household_extreme_poor"}
        )
    )
    out["extreme_poor"] = out["in_register"] & out["household_extreme_poor"]
    out["welfare_decile"] = out["decile"].where(out["in_register"]).astype("Int64")
    out["kecamatan_code"] = out["village_code"].str[:8]
    out["regency_code"] = out["village_code"].str[:5]
    previous = quarters(truth_root, contracts).set_index("quarter")["previous_quarter"]
    out["previous_quarter"] = out["quarter"].map(previous)
    before = out[["quarter", "person_id", "reached", "in_register", "extreme_poor"]].rename(
        columns={
            "quarter": "previous_quarter",
            "reached": "reached_before",
            "in_register": "in_register_before",
            "extreme_poor": "extreme_poor_before",
        }
    )
    out = out.merge(before, on=["previous_quarter", "person_id"], how="left")
    has_before = out["previous_quarter"].notna()
    out["reached_previous_quarter"] = (
        out["reached_before"].fillna(False).astype(bool).where(has_before).astype("boolean")
    )
    return out.drop(columns=["decile", "household_extreme_poor"])


def household_quarters(truth_root: Path, contracts: list[Contract]) -> pd.DataFrame:
    """One row per (quarter, true household) with a member record."""
    persons = person_quarters(truth_root, contracts)
    households = pd.read_parquet(truth_root / "households.parquet")
    out = (
        persons.groupby(["quarter", "household_id"])
        .agg(
            members_seen=("person_id", "size"),
            members_in_register=("in_register", "sum"),
            members_reached=("reached", "sum"),
            in_register=("in_register", "any"),
            extreme_poor=("extreme_poor", "any"),
            ministry_list=("ministry_list", lambda s: tuple(sorted(set().union(*s)))),
            intervention_type_list=(
                "intervention_type_list",
                lambda s: tuple(sorted(set().union(*s))),
            ),
        )
        .reset_index()
    )
    out = out.merge(households[["household_id", "village_code", "welfare_decile"]])
    out["welfare_decile"] = out["welfare_decile"].where(out["in_register"]).astype("Int64")
    out["ministries"] = out["ministry_list"].map(len)
    out["intervention_types"] = out["intervention_type_list"].map(len)
    out["strategy_types"] = out["intervention_type_list"].map(lambda t: len(STRATEGY & set(t)))
    out["all_strategy_types"] = out["strategy_types"] == len(STRATEGY)
    out["reached"] = out["members_reached"] >= 1
    out["kecamatan_code"] = out["village_code"].str[:8]
    out["regency_code"] = out["village_code"].str[:5]
    return out


def _flags(persons: pd.DataFrame, households: pd.DataFrame, level: str) -> pd.DataFrame:
    """Per (quarter, region): every convergence count of that level."""
    key = ["quarter", LEVELS[level]]
    reg, xp, m = persons["in_register"], persons["extreme_poor"], persons["ministries"]
    people = pd.DataFrame(
        {
            "register_people": reg,
            "register_extreme_poor": xp,
            "people_reached": m >= 1,
            "reached_by_one_ministry": m == 1,
            "reached_by_two_plus_ministries": m >= 2,
            "register_reached": reg & (m >= 1),
            "extreme_poor_reached": xp & (m >= 1),
            "extreme_poor_not_reached": xp & (m == 0),
            "reached_outside_register": ~reg & (m >= 1),
        }
    ).join(persons[key])
    hreg, hxp, hr = households["in_register"], households["extreme_poor"], households["reached"]
    homes = pd.DataFrame(
        {
            "register_households": hreg,
            "extreme_poor_households": hxp,
            "extreme_poor_households_reached": hxp & hr,
            "extreme_poor_households_not_reached": hxp & ~hr,
            "register_households_reached": hreg & hr,
            "households_reached": hr,
            "households_all_strategy_types": households["all_strategy_types"],
        }
    ).join(households[key])
    counts = people.groupby(key).sum().join(homes.groupby(key).sum(), how="outer")
    return counts.fillna(0).astype("int64")


def _change(persons: pd.DataFrame, level: str, levels: pd.DataFrame) -> pd.DataFrame:
    """Per (quarter, region): last quarter's levels and the flows since (people never move)."""
    key = ["quarter", LEVELS[level]]
    p = persons[persons["previous_quarter"].notna()]
    now_reg, now_r = p["in_register"], p["reached"]
    before_reg = p["in_register_before"].fillna(False).astype(bool)
    before_r = p["reached_before"].fillna(False).astype(bool)
    now_xr = p["extreme_poor"] & now_r
    before_xr = p["extreme_poor_before"].fillna(False).astype(bool) & before_r
    present = pd.DataFrame(
        {
            "entered_register": now_reg & ~before_reg,
            "newly_reached": now_r & ~before_r,
            "extreme_poor_newly_reached": now_xr & ~before_xr,
            "no_longer_reached_now": ~now_r & before_r,
            "left_register_now": ~now_reg & before_reg,
            "extreme_poor_no_longer_reached_now": ~now_xr & before_xr,
        }
    ).join(p[key])
    flows = present.groupby(key).sum()
    # People with a record last quarter and none this quarter also left / are no longer reached.
    pairs = persons.groupby("quarter")["previous_quarter"].first().dropna()
    following = {before: quarter for quarter, before in pairs.items()}
    gone = persons[persons["quarter"].isin(following)].copy()
    gone["quarter"] = gone["quarter"].map(following)
    now_keys = set(zip(persons["quarter"], persons["person_id"], strict=True))
    still_here = [
        (q, i) in now_keys for q, i in zip(gone["quarter"], gone["person_id"], strict=True)
    ]
    gone = gone.loc[~np.array(still_here, dtype=bool)]
    absent = pd.DataFrame(
        {
            "left_register_gone": gone["in_register"],
            "no_longer_reached_gone": gone["reached"],
            "extreme_poor_no_longer_reached_gone": gone["extreme_poor"] & gone["reached"],
        }
    ).join(gone[key])
    flows = flows.join(absent.groupby(key).sum(), how="outer").fillna(0)
    out = pd.DataFrame(index=flows.index)
    for name in ("entered_register", "newly_reached", "extreme_poor_newly_reached"):
        out[name] = flows[name]
    for name in ("left_register", "no_longer_reached", "extreme_poor_no_longer_reached"):
        out[name] = flows[f"{name}_now"] + flows[f"{name}_gone"]
    previous = levels[["register_people", "people_reached", "extreme_poor_reached"]]
    previous = previous.add_suffix("_previous").reset_index()
    previous["quarter"] = previous["quarter"].map(following)
    previous = previous.dropna(subset=["quarter"]).set_index(key)
    return out.join(previous, how="outer").fillna(0).astype("int64")


def expected_convergence(truth_root: Path, contracts: list[Contract], level: str) -> pd.DataFrame:
    """mart_convergence_<level> as the ground truth gives it, for regions with anyone in them.

    Change columns are null in quarters whose previous quarter is not in the data.
    """
    persons = person_quarters(truth_root, contracts)
    households = household_quarters(truth_root, contracts)
    levels = _flags(persons, households, level)
    change = _change(persons, level, levels)
    out = levels.join(change, how="outer").reset_index()
    previous = quarters(truth_root, contracts).set_index("quarter")["previous_quarter"]
    has_before = out["quarter"].map(previous).notna()
    for column in PEOPLE_COUNTS + HOUSEHOLD_COUNTS:
        out[column] = out[column].fillna(0).astype("int64")
    for column in CHANGE_COUNTS:
        out[column] = out[column].fillna(0).astype("Int64").where(has_before)
    return out


def expected_village_convergence(truth_root: Path, contracts: list[Contract]) -> pd.DataFrame:
    """Per (quarter, village): register, extreme-poor and reach counts from the ground truth."""
    out = expected_convergence(truth_root, contracts, "village")
    return out[["quarter", "village_code", *PEOPLE_COUNTS]]


def expected_intervention(truth_root: Path, contracts: list[Contract], level: str) -> pd.DataFrame:
    """mart_intervention_<level> from the ground truth, for (quarter, region, type) with reach."""
    key = ["quarter", LEVELS[level], "intervention_type"]
    persons = person_quarters(truth_root, contracts)
    households = household_quarters(truth_root, contracts)
    given = source_rows(truth_root, contracts)
    given = given[given["role"] == "intervention"]
    person_type = given[["quarter", "person_id", "intervention_type"]].drop_duplicates()
    p = person_type.merge(persons, on=["quarter", "person_id"])
    people = pd.DataFrame(
        {
            "people_reached": True,
            "register_reached": p["in_register"],
            "extreme_poor_reached": p["extreme_poor"],
            "reached_outside_register": ~p["in_register"],
        }
    ).join(p[key])
    home_type = given[["quarter", "household_id", "intervention_type"]].drop_duplicates()
    h = home_type.merge(households, on=["quarter", "household_id"])
    homes = pd.DataFrame(
        {"households_reached": True, "extreme_poor_households_reached": h["extreme_poor"]}
    ).join(h[key])
    counts = people.groupby(key).sum().join(homes.groupby(key).sum(), how="outer")
    return counts.fillna(0).astype("int64").reset_index()


def age_band(birth: pd.Series, on: date) -> pd.Series:
    """Age band (0-17, 18-29, 30-44, 45-59, 60+) in completed years on a day."""
    b = pd.to_datetime(birth)
    years = (
        on.year
        - b.dt.year
        - ((b.dt.month > on.month) | ((b.dt.month == on.month) & (b.dt.day > on.day))).astype(int)
    )
    bands = np.select(
        [years < 18, years < 30, years < 45, years < 60], ["0-17", "18-29", "30-44", "45-59"], "60+"
    )
    return pd.Series(bands, index=birth.index).where(birth.notna())


def expected_beneficiaries(truth_root: Path, contracts: list[Contract]) -> pd.DataFrame:
    """dim_beneficiary from the ground truth: one row per person with a record."""
    persons = person_quarters(truth_root, contracts)
    rows = source_rows(truth_root, contracts)
    last_day = max(period_bounds(q)[1] for q in persons["quarter"].unique())
    out = (
        persons.groupby("person_id")
        .agg(
            village_code=("village_code", "first"),
            sex=("sex", "first"),
            birth_date=("birth_date", "first"),
            first_quarter=("quarter", "min"),
            last_quarter=("quarter", "max"),
            quarters_present=("quarter", "size"),
            ever_in_register=("in_register", "any"),
            ever_extreme_poor=("extreme_poor", "any"),
            ever_reached=("reached", "any"),
        )
        .join(
            rows.groupby("person_id").agg(
                source_records=("source", "size"), sources=("source", "nunique")
            )
        )
        .reset_index()
    )
    out["age_band"] = age_band(out["birth_date"], last_day)
    return out.drop(columns=["birth_date"])
