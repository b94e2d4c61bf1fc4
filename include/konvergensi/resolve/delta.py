"""Incremental pass: link only the new records against the register kept in the state file.

The pass works on a scope: the new records plus the existing records they could link to (same
valid NIK, a tier-2 block, a blocking-rule block), renumbered 0..m-1 in the `features` table
the tiers use. Each existing person in scope starts as one cluster and brings a summary of its
records outside the scope (source-periods, NIKs, sexes, birth years for the merge checks, and
its record count for the ID vote), so a person untouched by new data is never loaded.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from konvergensi.resolve.blocking import RULES, join_condition
from konvergensi.resolve.clustering import Outside, start_labels
from konvergensi.resolve.components import connected_components, group_edges
from konvergensi.resolve.features import clan_share_join, derive
from konvergensi.resolve.link import CODES, Register, code_sql
from konvergensi.resolve.sql import sql
from konvergensi.resolve.state import ALIAS, stamp

REGISTER = f"{ALIAS}.records"
# every record of the register (state plus new records), for the counts tiers make over it
COUNTED = "name_match, nik16, nik_valid, village_code, clan"
EVERY = f"(select {COUNTED} from {REGISTER} union all select {COUNTED} from fresh)"
WHOLE = Register(names=EVERY, niks=EVERY, conflicts="select nik from delta_conflicts")

# what makes a tier-2 combination (tier2_combos.sql), plus the record id
TIER2_FIELDS = ", ".join(
    f"r.{c}"
    for c in (
        "rid",
        "nik16",
        "nik_valid",
        "name_match",
        "name_sorted",
        "given",
        "dob",
        "sex",
        "village_code",
    )
)


@dataclass
class Scope:
    """The scope's start clusters and what its persons hold outside it."""

    start: np.ndarray  # start label (representative rid) per scope rid
    outside: Outside  # representative -> codes of its person's records outside the scope
    weights: np.ndarray  # records each scope row stands for in the ID vote
    new_records: int


def derive_new(con: duckdb.DuckDBPyConnection, files: list[str]) -> int:
    """Create `fresh`: features of the records in `files`, rids after the register's; count."""
    first = con.execute(f"select coalesce(max(rid) + 1, 0) from {REGISTER}").fetchall()[0][0]
    derive(con, files, "fresh", first)
    return con.execute("select count(*) from fresh").fetchall()[0][0]


def _partners_sql(separated_keys: str) -> str:
    """Rids of the existing records the scope needs.

    Tier 1 needs one anchor per new record's NIK (its smallest rid), and every record of a NIK
    held as a conflict; tier 2 needs, per combination of NIK and person fields in a new record's
    block that no new record repeats, the combination's first record (and every record of an
    invalid NIK, whose repeats it counts); tier 3 needs the records in a blocking-rule block of
    a new record that may be residue, and the existing records without a valid NIK in a new
    record's block. Records a reviewer separated come with their NIKs.
    """
    blocked = []
    for _, columns in RULES:
        blocked.append(
            f"select r.rid from {REGISTER} r semi join residue_new f "
            f"on {join_condition(columns, 'r', 'f')}"
        )
        blocked.append(
            f"select r.rid from {REGISTER} r semi join fresh f "
            f"on {join_condition(columns, 'r', 'f')} where r.nik_valid is null"
        )
    return f"""
        with residue_new as (
            select * from fresh
            where nik_valid is null or nik_valid in (select nik from delta_conflicts)
        ),
        usable_new as (select * from fresh where nik16 is not null),
        tier2_block as (
            select {TIER2_FIELDS} from {REGISTER} r
            semi join usable_new f on r.village_code = f.village_code and r.dob = f.dob
            where r.nik16 is not null
            union
            select {TIER2_FIELDS} from {REGISTER} r
            semi join usable_new f
                on r.village_code = f.village_code and r.name_match = f.name_match
            where r.nik16 is not null
        ),
        separated_niks as (
            select nik_valid from {REGISTER} where record_key in ({separated_keys})
        )
        select min(rid) as rid from {REGISTER}
        where nik_valid in (select nik_valid from fresh)
        group by nik_valid
        union select rid from {REGISTER}
        where nik_valid in (select nik from delta_conflicts)
           or nik_valid in (select nik_valid from separated_niks)
           or record_key in ({separated_keys})
        union select min(rid) from tier2_block b
        -- a combination a new record repeats is represented by that record (tier 1 joins them)
        anti join fresh f
            on f.nik16 = b.nik16 and f.nik_valid = b.nik_valid
            and f.name_match is not distinct from b.name_match
            and f.name_sorted is not distinct from b.name_sorted
            and f.given is not distinct from b.given
            and f.dob is not distinct from b.dob
            and f.sex is not distinct from b.sex
            and f.village_code is not distinct from b.village_code
        where b.nik_valid is not null
        group by b.nik16, b.nik_valid, b.name_match, b.name_sorted, b.given, b.dob, b.sex,
                 b.village_code
        union select rid from tier2_block where nik_valid is null
        union {" union ".join(blocked)}
    """


def build_scope(con: duckdb.DuckDBPyConnection, separated: pd.DataFrame) -> None:
    """Create `features` for the scope: new records and the existing records they need."""
    con.execute(
        f"""
        create or replace table features as
        select rid, nik_valid, given, name_sorted, dob, dob_placeholder, village_code,
               true as is_new
        from fresh
        union all
        select rid, nik_valid, given, name_sorted, dob, dob_placeholder, village_code, false
        from {REGISTER} where nik_valid in (select nik_valid from fresh)
        """
    )
    con.execute(f"create or replace table delta_conflicts as {sql('nik_conflicts')}")
    con.register("separated_keys", separated)
    keys = "select record_key from separated_keys"
    con.execute(f"create or replace table partners as {_partners_sql(keys)}")
    con.unregister("separated_keys")
    con.execute(
        f"""
        create or replace table features as
        with scope as (
            select *, true as is_new, null::varchar as prev_person_id,
                   null::varchar as prev_household_id, null::varchar as prev_tier
            from fresh
            union all by name
            select * exclude (person_id, household_id, match_tier), false as is_new,
                   person_id as prev_person_id, household_id as prev_household_id,
                   match_tier as prev_tier
            from {REGISTER} where rid in (select rid from partners)
        )
        select row_number() over (order by s.rid) - 1 as rid, s.rid as grid, s.* exclude (rid),
               clans.clan_share
        from scope s
        {clan_share_join(EVERY, "s")}
        """
    )
    con.execute("drop table partners")


def summarise(con: duckdb.DuckDBPyConnection) -> Scope:
    """Start clusters of the scope (one per existing person) and their outside summaries."""
    rows = con.execute("select prev_person_id from features order by rid").df()
    previous = rows["prev_person_id"].to_numpy(dtype=object, na_value=None)
    start = start_labels(previous)
    con.execute(
        f"""
        create or replace temp table outside as
        with reps as (
            select prev_person_id as person_id, min(rid) as rep
            from features where prev_person_id is not null group by all
        )
        select p.rep, r.source_period, r.nik_valid, r.sex, r.dob
        from {REGISTER} r join reps p using (person_id)
        where r.rid not in (select grid from features)
        """
    )
    counts = con.execute("select rep, count(*) as n from outside group by rep").fetchnumpy()
    weights = np.ones(len(rows), dtype=np.int64)
    weights[np.asarray(counts["rep"], dtype=np.int64)] += np.asarray(counts["n"], dtype=np.int64)
    found = con.execute(
        f"""
        select rep, 0 as kind, {CODES["source_period"]} as code from outside
        union all select rep, 1, {code_sql("nik_valid")} from outside where nik_valid is not null
        union all select rep, 2, {CODES["sex"]} from outside where sex is not null
        union all select rep, 3, year(dob) from outside where dob is not null
        """
    ).fetchnumpy()
    con.execute("drop table outside")
    outside = Outside(*(np.asarray(found[c], dtype=np.int64) for c in ("rep", "kind", "code")))
    return Scope(start, outside, weights, int(pd.isna(previous).sum()))


def household_nodes(
    con: duckdb.DuckDBPyConnection, person_labels: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Nodes for the household vote: scope records, then each existing household they touch.

    Returns (keys, labels, previous IDs, weights) over those nodes, for ids.assign_ids: a new
    record joins the households of the records sharing its KK or register family, every record
    joins its person's household, and an existing household votes with all its records.
    """
    scope = con.execute(
        "select record_key, kk_valid, family_key, prev_household_id, is_new "
        "from features order by rid"
    ).df()
    touching = con.execute(
        f"""
        with by_kk as (
            select distinct kk_valid, household_id from {REGISTER}
            where kk_valid in (select kk_valid from features where is_new)
        ),
        by_family as (
            select distinct family_key, household_id from {REGISTER}
            where family_key in (select family_key from features where is_new)
        )
        select f.rid, k.household_id from features f join by_kk k using (kk_valid)
        where f.is_new
        union
        select f.rid, x.household_id from features f join by_family x using (family_key)
        where f.is_new
        """
    ).df()
    households = pd.Index(
        pd.concat([scope["prev_household_id"].dropna(), touching["household_id"]]).unique()
    )
    con.register("touched_households", pd.DataFrame({"household_id": households}))
    sizes = con.execute(
        f"select household_id, count(*) as n from {REGISTER} "
        "where household_id in (select household_id from touched_households) group by all"
    ).df()
    con.unregister("touched_households")
    m, h = len(scope), len(households)
    node_of = pd.Series(np.arange(m, m + h), index=households)
    existing = scope["prev_household_id"].notna().to_numpy()
    edges = [
        (np.flatnonzero(existing), node_of[scope["prev_household_id"][existing]].to_numpy()),
        (touching["rid"].to_numpy(), node_of[touching["household_id"]].to_numpy()),
        group_edges(scope["kk_valid"].to_numpy(dtype=object, na_value=None)),
        group_edges(scope["family_key"].to_numpy(dtype=object, na_value=None)),
        (np.arange(m), person_labels),
    ]
    left = np.concatenate([np.asarray(e[0], dtype=np.int64) for e in edges])
    right = np.concatenate([np.asarray(e[1], dtype=np.int64) for e in edges])
    labels = connected_components(m + h, left, right)
    keys = np.r_[scope["record_key"].to_numpy(dtype=object), households.to_numpy(dtype=object)]
    previous = np.r_[np.full(m, None, dtype=object), households.to_numpy(dtype=object)]
    weights = np.r_[
        np.ones(m, dtype=np.int64),
        sizes.set_index("household_id")["n"].reindex(households).fillna(0).to_numpy(np.int64),
    ]
    return keys, labels, previous, weights


def apply(
    con: duckdb.DuckDBPyConnection,
    assigned: pd.DataFrame,
    merges: pd.DataFrame,
    stamp_args: tuple[str, list[str], int],
) -> None:
    """Write the pass into the register in one transaction, then stamp the state with the run.

    Retired IDs redirect every record that held them, scope rows take their assigned IDs and
    tiers (`assigned`: scope rid, person_id, household_id, match_tier), new rows are added.
    """
    con.register("assigned", assigned)
    con.register("merges", merges.astype("object"))
    con.execute("begin transaction")
    try:
        for entity in ("person", "household"):
            con.execute(
                f"""
                update {REGISTER} r set {entity}_id = m.to_id
                from (select cast(from_id as varchar) as from_id,
                             cast(to_id as varchar) as to_id
                      from merges where entity = '{entity}' and kind = 'merge') m
                where r.{entity}_id = m.from_id
                """
            )
        con.execute(
            f"""
            update {REGISTER} r
            set person_id = a.person_id, household_id = a.household_id,
                match_tier = a.match_tier
            from assigned a join features f using (rid)
            where r.rid = f.grid and not f.is_new
            """
        )
        con.execute(
            f"""
            insert into {REGISTER} by name
            select n.*, a.person_id, a.household_id, a.match_tier
            from fresh n
            join features f on f.grid = n.rid and f.is_new
            join assigned a on a.rid = f.rid
            """
        )
        stamp(con, *stamp_args)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    finally:
        con.unregister("assigned")
        con.unregister("merges")
