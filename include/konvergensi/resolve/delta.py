"""Incremental pass: link only the new records against the register kept in the state file.

1. `search`: the new records' NIK conflicts, tier-2 edges and tier-3 pairs (scored from REVIEW
   up) are found against the whole register, with counts over the whole register.
2. `settle`: a new record that only tier 1 joins, to a NIK one person holds, is set aside as
   that person's record (it changes nothing but that person's summary).
3. `build_scope`: the other new records plus the existing records the edges need (one anchor
   per NIK, conflicts, the other ends of tier-2 and tier-3 edges), renumbered 0..m-1 in the
   `features` table the tiers use. Each existing person in scope starts as one cluster and
   brings a summary of its records outside the scope (source-periods, NIKs, sexes, birth
   years for the merge checks, and its record count for the ID vote), so a person untouched
   by new data is never loaded.
4. `apply`: settled records and the pass's results go into the register in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from konvergensi.resolve import model as person_model
from konvergensi.resolve.blocking import RULE_COLUMNS, build_candidates, new_to_register_sql
from konvergensi.resolve.clustering import Outside, start_labels
from konvergensi.resolve.components import connected_components, group_edges
from konvergensi.resolve.features import clan_share_join, clan_shares_sql, derive
from konvergensi.resolve.link import CODES, REVIEW, Register, code_sql, tier2_edges
from konvergensi.resolve.sql import sql
from konvergensi.resolve.state import ALIAS, stamp

REGISTER = f"{ALIAS}.records"
# every record of the register (state plus new records), for the counts tiers make over it
COUNTED = "name_match, nik16, nik_valid, village_code, clan"
SETTLED = "settled_rows"  # new records settled by their NIK (see settle), with their IDs
EVERY = (
    f"(select {COUNTED} from {REGISTER} union all select {COUNTED} from fresh "
    f"union all select {COUNTED} from {SETTLED})"
)
# the register as the pass sees it: the state plus the settled records
LINKED = (
    f"(select *, false as settled from {REGISTER} "
    f"union all by name select *, true as settled from {SETTLED})"
)
# what a pass reads from its scope's search against the register
CONFLICTS = "delta_conflicts"  # NIKs held as conflicts, and NIKs a reviewer separated
TIER2 = "scope_tier2"  # tier-2 edges by scope rid
SCORED = "scope_scored"  # tier-3 pairs from REVIEW up by scope rid
SEPARATED = "separated_rids"  # records of pairs a reviewer called different


@dataclass
class Scope:
    """The scope's start clusters and what its persons hold outside it."""

    start: np.ndarray  # start label (representative rid) per scope rid
    outside: Outside  # representative -> codes of its person's records outside the scope
    records: np.ndarray  # records each scope row stands for
    votes: np.ndarray  # of those, the ones holding a previous person ID (the ID vote)
    new_records: int


def derive_new(con: duckdb.DuckDBPyConnection, files: list[str]) -> int:
    """Create `fresh`: features of the records in `files`, rids after the register's; count.

    Also the (empty) tables settle() fills, so that EVERY and LINKED read before settling.
    """
    first = con.execute(f"select coalesce(max(rid) + 1, 0) from {REGISTER}").fetchall()[0][0]
    derive(con, files, "fresh", first)
    con.execute(
        f"create or replace table {SETTLED} as select *, "
        "null::varchar as person_id, null::varchar as household_id, null::varchar as match_tier "
        "from fresh where false"
    )
    con.execute("create or replace table settled_anchors (anchor bigint)")
    return con.execute("select count(*) from fresh").fetchall()[0][0]


def _tier2_against_register(con: duckdb.DuckDBPyConnection) -> None:
    """Table `tier2` (by register rid): tier-2 edges of new records against the register.

    The eligible records (tier2_eligible.sql) are the new records with a usable 16-digit NIK
    and the register's records in their blocks (village with birth date or name); the pass's
    NIK conflicts hold.
    """
    con.execute(f"create or replace table nik_conflicts as select nik from {CONFLICTS}")
    tier2_edges(con, EVERY, "fresh", REGISTER)


def _tier3_against_register(con: duckdb.DuckDBPyConnection, predict: str) -> dict[str, int]:
    """Table `prescored`: tier-3 pairs of a new record scored against the whole register.

    Only pairs from REVIEW up count in a pass, so only their existing records join the scope.
    Residue here is every record without a valid NIK or with a held one, a superset of the
    pass's (tier 2 may still link some); the pass keeps the pairs its own residue finds.
    Returns the pairs each blocking rule found.
    """
    columns = ", ".join(("rid", "nik_valid", *RULE_COLUMNS))
    compared = ", ".join(person_model.RECORD_COMPARED)
    residue = f"(nik_valid is null or nik_valid in (select nik from {CONFLICTS})) as residue"
    con.execute(f"create or replace table new_blocks as select {columns}, {residue} from fresh")
    con.execute(
        f"create or replace view register_blocks as select {columns}, {residue} from {REGISTER}"
    )
    counts = build_candidates(con, new_to_register_sql("new_blocks", "register_blocks"))
    con.execute(
        f"""
        create or replace table pair_records as
        with wanted as (select rid_l as rid from candidates union select rid_r from candidates),
        rows as (
            select rid, {compared} from fresh where rid in (select rid from wanted)
            union all
            select rid, {compared} from {REGISTER} where rid in (select rid from wanted)
        )
        select s.*, clans.clan_share from rows s
        {clan_share_join("select * from clans", "s")}
        """
    )
    person_model.score(con, predict, "candidates", EVERY, "pair_records")
    con.execute(
        f"create or replace table prescored as "
        f"select * from scored where match_probability >= {REVIEW}"
    )
    for table in ("scored", "pair_records", "candidates", "new_blocks"):
        con.execute(f"drop table {table}")
    con.execute("drop view register_blocks")
    return counts


def search(con: duckdb.DuckDBPyConnection, separated: pd.DataFrame, predict: str) -> dict[str, int]:
    """Search the register for what the new records link to; the pairs per blocking rule.

    Creates the NIK conflicts (with any NIK a reviewer-separated pair of record keys in
    `separated` shares), tier-2 edges `tier2` and tier-3 pairs `prescored` by register rid.
    """
    con.execute(
        f"""
        create or replace table features as
        select rid, nik_valid, given, name_sorted, dob, dob_placeholder, village_code, sex,
               true as is_new
        from fresh
        union all
        select rid, nik_valid, given, name_sorted, dob, dob_placeholder, village_code, sex, false
        from {REGISTER} where nik_valid in (select nik_valid from fresh)
        """
    )
    con.execute(f"create or replace table {CONFLICTS} as {sql('nik_conflicts')}")
    _separated(con, separated)
    con.execute(f"create or replace table clans as {clan_shares_sql(EVERY)}")
    _tier2_against_register(con)
    return _tier3_against_register(con, predict)


def _separated(con: duckdb.DuckDBPyConnection, separated: pd.DataFrame) -> None:
    """Table SEPARATED: the rids of pairs a reviewer called different; a NIK they share is held.

    Both records must exist (in the register or among the new records), as in a whole pass.
    """
    con.execute(f"create or replace table {SEPARATED} (rid bigint)")
    if separated.empty:  # the usual case: no need to read the register's record keys
        return
    con.register("separated", separated)
    con.execute(
        f"""
        create or replace temp table separated_records as
        with keyed as (
            select rid, record_key, nik_valid from {REGISTER}
            union all select rid, record_key, nik_valid from fresh
        )
        select l.rid as rid_l, r.rid as rid_r, l.nik_valid as nik_l, r.nik_valid as nik_r
        from separated p
        join keyed l on l.record_key = p.record_key_l
        join keyed r on r.record_key = p.record_key_r
        """
    )
    con.unregister("separated")
    con.execute(
        f"insert into {SEPARATED} "
        "select rid_l from separated_records union select rid_r from separated_records"
    )
    con.execute(
        f"""
        insert into {CONFLICTS}
        select distinct nik_l from separated_records
        where nik_l = nik_r and nik_l not in (select nik from {CONFLICTS})
        """
    )
    con.execute("drop table separated_records")


def _split_households(column: str) -> str:
    """SQL CTE split_<column>: the values the register and `candidates` give two households."""
    return f"""
        split_{column} as (
            select {column} from (
                select {column}, household_id from {REGISTER}
                where {column} in (select {column} from candidates)
                union all select {column}, household_id from candidates
            )
            where {column} is not null
            group by {column} having count(distinct household_id) > 1
        )
    """


def settle(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Move from `fresh` to SETTLED the new records whose NIK settles them; their tier-1 edges.

    A new record with a valid, unconflicted NIK that the register holds for one person joins
    that person by tier 1 whatever else happens. When no other tier pairs it and its KK and
    register family lead to that person's household only, nothing in the pass depends on it
    but its person's summary, so it counts as one of that person's records outside the scope
    (apply() adds it to the register and makes the NIK's anchor `nik_exact`, as tier 1 would).
    Returns the edges (new rid, anchor rid) and leaves both ends in `features` for evidence.
    """
    con.execute(
        f"""
        create or replace table settled as
        with paired as (
            select rid_l as rid from tier2 union select rid_r from tier2
            union select rid_l from prescored union select rid_r from prescored
        ),
        holders as (
            select nik_valid, min(rid) as anchor, any_value(person_id) as person_id,
                   any_value(household_id) as household_id
            from {REGISTER}
            where nik_valid in (select nik_valid from fresh)
              and nik_valid not in (select nik from {CONFLICTS})
            group by nik_valid
            having count(distinct person_id) = 1
        ),
        candidates as (
            select f.rid, f.kk_valid, f.family_key, h.anchor, h.person_id, h.household_id
            from fresh f join holders h using (nik_valid)
            where f.rid not in (select rid from paired)
              and f.rid not in (select rid from {SEPARATED})
        ),
        -- a KK or register family that leads to two households would merge them
        {_split_households("kk_valid")},
        {_split_households("family_key")}
        select rid, anchor, person_id, household_id from candidates
        where coalesce(kk_valid not in (select kk_valid from split_kk_valid), true)
          and coalesce(family_key not in (select family_key from split_family_key), true)
        """
    )
    con.execute(
        f"""
        insert into {SETTLED}
        select f.*, s.person_id, s.household_id, 'nik_exact' as match_tier
        from fresh f join settled s using (rid)
        """
    )
    con.execute("create or replace table settled_anchors as select distinct anchor from settled")
    con.execute("delete from fresh where rid in (select rid from settled)")
    con.execute(
        f"""
        create or replace table features as
        select * exclude (person_id, household_id, match_tier) from {SETTLED}
        union all
        select * exclude (person_id, household_id, match_tier) from {REGISTER}
        where rid in (select anchor from settled)
        """
    )
    edges = con.execute(
        "select rid as rid_l, anchor as rid_r, 'nik_exact' as tier, 'linked' as status "
        "from settled order by rid"
    ).df()
    con.execute("drop table settled")
    return edges


def build_scope(con: duckdb.DuckDBPyConnection, blocking: dict[str, int]) -> Register:
    """Create `features` for the scope: the new records and the existing records they need.

    Tier 1 needs one anchor per new record's NIK (its smallest rid) and every record of a
    NIK held as a conflict; tiers 2 and 3 need the existing records they join to a new
    record; records a reviewer separated come in too. Returns where the pass finds what it
    counts over the register and the edges `search` found, by scope rid.
    """
    con.execute(
        f"""
        create or replace table partners as
        select min(rid) as rid from {REGISTER}
        where nik_valid in (select nik_valid from fresh)
        group by nik_valid
        union select rid from {REGISTER}
        where nik_valid in (select nik from {CONFLICTS})
           or rid in (select rid from {SEPARATED})
        union select rid_r from tier2 where rid_r < (select min(rid) from fresh)
        union select rid_l from prescored union select rid_r from prescored
        """
    )
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
        {clan_share_join("select * from clans", "s")}
        """
    )
    # the pass reads the edges found against the register by scope rid
    for found, table in (("tier2", TIER2), ("prescored", SCORED)):
        con.execute(
            f"""
            create or replace table {table} as
            select l.rid as rid_l, r.rid as rid_r, s.* exclude (rid_l, rid_r)
            from {found} s
            join features l on l.grid = s.rid_l
            join features r on r.grid = s.rid_r
            """
        )
    for table in ("prescored", "partners", "tier2", "clans", SEPARATED):
        con.execute(f"drop table {table}")
    return Register(
        names=EVERY,
        niks=EVERY,
        conflicts=f"select nik from {CONFLICTS}",
        tier2=TIER2,
        scored=SCORED,
        blocking=blocking,
    )


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
        select p.rep, r.source_period, r.nik_valid, r.sex, r.dob, r.settled
        from {LINKED} r join reps p using (person_id)
        where r.rid not in (select grid from features)
        """
    )
    counts = con.execute(
        "select rep, count(*) as n, count(*) filter (where not settled) as voting "
        "from outside group by rep"
    ).fetchnumpy()
    reps = np.asarray(counts["rep"], dtype=np.int64)
    records = np.ones(len(rows), dtype=np.int64)
    records[reps] += np.asarray(counts["n"], dtype=np.int64)
    # settled records have no previous ID: like new records in a whole pass, they do not vote
    votes = np.ones(len(rows), dtype=np.int64)
    votes[reps] += np.asarray(counts["voting"], dtype=np.int64)
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
    return Scope(start, outside, records, votes, int(pd.isna(previous).sum()))


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
            select distinct kk_valid, household_id from {LINKED}
            where kk_valid in (select kk_valid from features where is_new)
        ),
        by_family as (
            select distinct family_key, household_id from {LINKED}
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
    assigned: pd.DataFrame | None,
    merges: pd.DataFrame | None,
    stamp_args: tuple[str, list[str], str],
) -> None:
    """Write the pass into the register in one transaction, and stamp the state with the run.

    New rows (settled records, and the scope's new records with their assigned IDs and tiers)
    are added in rid order, so the register stays in rid order and is published without a
    sort; then retired IDs redirect every record that held them, the scope's existing rows
    take their assigned IDs and tiers (`assigned`: scope rid, person_id, household_id,
    match_tier), and the anchors of settled records become `nik_exact`. `assigned` None:
    nothing but settled records.
    """
    scope_rows = (
        ""
        if assigned is None
        else """
            union all by name
            select n.*, a.person_id, a.household_id, a.match_tier
            from fresh n
            join features f on f.grid = n.rid and f.is_new
            join assigned a on a.rid = f.rid
        """
    )
    if assigned is not None:
        con.register("assigned", assigned)
        con.register("merges", merges.astype("object"))
    con.execute("begin transaction")
    try:
        con.execute(
            f"insert into {REGISTER} by name "
            f"select * from (select * from {SETTLED} {scope_rows}) order by rid"
        )
        if assigned is not None:
            _apply_scope(con)
        # last: tier 1 is the strongest tier, whatever else the pass linked an anchor by
        con.execute(
            f"""
            update {REGISTER} set match_tier = 'nik_exact'
            where rid in (select anchor from settled_anchors)
              and match_tier is distinct from 'nik_exact'
            """
        )
        stamp(con, *stamp_args)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    finally:
        if assigned is not None:
            con.unregister("assigned")
            con.unregister("merges")


def _apply_scope(con: duckdb.DuckDBPyConnection) -> None:
    """apply()'s updates of existing rows: redirects of retired IDs, the scope's new values."""
    for entity in ("person", "household"):
        con.execute(
            f"""
            update {REGISTER} r set {entity}_id = m.to_id
            from (select cast(from_id as varchar) as from_id, cast(to_id as varchar) as to_id
                  from merges where entity = '{entity}' and kind = 'merge') m
            where r.{entity}_id = m.from_id
            """
        )
    con.execute(
        f"""
        update {REGISTER} r
        set person_id = a.person_id, household_id = a.household_id, match_tier = a.match_tier
        from assigned a join features f using (rid)
        where r.rid = f.grid and not f.is_new
          -- rows that keep their values are left alone (less to write)
          and (r.person_id is distinct from a.person_id
               or r.household_id is distinct from a.household_id
               or r.match_tier is distinct from a.match_tier)
        """
    )
