"""One linking pass over the `features` table: tiers 1-3, then constrained clustering.

Tier 1 joins records sharing a valid NIK (groups whose name and birth date both strongly
disagree are held as conflicts); tier 2 joins NIKs one edit apart with agreeing person fields;
tier 3 scores the residue (no usable NIK, or a held conflict) with the splink model. Only
pairs with a new record are considered, so an incremental run scores only new-to-existing and
new-to-new pairs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd

from konvergensi.resolve import model as person_model
from konvergensi.resolve.blocking import build_candidates
from konvergensi.resolve.clustering import FORCED, NEAR_NIK, Constraints, Outside, cluster
from konvergensi.resolve.sql import sql

ACCEPT = 0.90  # probability at which the probabilistic tier links two records
REVIEW = 0.50  # from here up to ACCEPT a pair goes to clerical review instead
PROBABILISTIC = "probabilistic"
NAMES_DIFFER = "only a clan name agrees"  # review reason (model.names_differ), whatever the score
TIER_NAMES = {FORCED: "review_same", NEAR_NIK: "nik_near", PROBABILISTIC: "probabilistic"}
# what makes a tier-2 combination (tier2_combos.sql), plus the record id
TIER2_FIELDS = "rid, nik16, nik_valid, name_match, name_sorted, dob, sex, village_code"


@dataclass
class Linkage:
    """Result of one pass: a cluster label per rid plus the edges and why they were used."""

    labels: np.ndarray
    edges: pd.DataFrame  # rid_l, rid_r, tier, match_weight, match_probability, gammas, status
    conflicts: list[str]  # NIKs held for review
    blocking: dict[str, int]  # candidate pairs first found by each blocking rule


def code_sql(expr: str) -> str:
    """SQL: a non-negative integer code of a nullable value (-1 where null), equal for equals.

    A hash, not a rank, so that codes agree between a pass's records and summaries of records
    outside it (an incremental pass).
    """
    return f"case when {expr} is null then -1 else cast(hash({expr}) >> 1 as bigint) end"


CODES = {
    "source_period": code_sql("source_period"),
    "nik": code_sql(
        "case when nik_valid not in (select nik from nik_conflicts) then nik_valid end"
    ),
    "sex": code_sql("sex"),
    "birth_year": "coalesce(year(dob), -1)",
}


def _codes(con: duckdb.DuckDBPyConnection) -> dict[str, np.ndarray]:
    """The merge checks' codes per rid (see CODES)."""
    columns = ", ".join(f"cast({expr} as bigint) as {name}" for name, expr in CODES.items())
    found = con.execute(f"select {columns} from features order by rid").fetchnumpy()
    return {name: np.asarray(found[name], dtype=np.int64) for name in CODES}


@dataclass(frozen=True)
class Register:
    """Where a pass finds what it counts over the whole register (SQL relations).

    A pass over every record counts in `features`; an incremental pass's `features` holds only
    its scope, so it points these at the register and gives what it found against the register
    (NIK conflicts, tier-2 edges, scored tier-3 pairs) instead of searching its scope.
    """

    names: str = "features"  # name_match of every record: name frequencies
    niks: str = "features"  # nik16, nik_valid of every record: tier 2's NIK use counts
    conflicts: str | None = None  # the NIK conflicts, if not computed from `features`
    # tier-2 edges and tier-3 pairs (from REVIEW up) found against the whole register, by
    # rid of `features`, and the pairs per blocking rule that scoring found
    tier2: str | None = None
    scored: str | None = None
    blocking: dict[str, int] = field(default_factory=dict)


def _tier3(
    con: duckdb.DuckDBPyConnection, get_predict: Callable[[], str], register: Register
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Scored candidate pairs from REVIEW up, strongest first, and the pairs per blocking rule."""
    if register.scored is not None:
        # scored against the whole register already: keep the pairs this pass's blocking
        # would find (a residue record and a new record), which the tiers only now know
        candidates = f"""
            select s.* from {register.scored} s
            join features l on l.rid = s.rid_l
            join features r on r.rid = s.rid_r
            where (l.residue or r.residue) and (l.is_new or r.is_new)
        """
        counts = register.blocking
    else:
        predict = get_predict()  # trained on a first run even if nothing needs scoring
        counts = build_candidates(con)
        if not con.execute("select count(*) from candidates").fetchall()[0][0]:
            return pd.DataFrame(), counts
        person_model.score(con, predict, "candidates", register.names)
        candidates = "select * from scored"
    scored = con.execute(
        f"select *, {person_model.names_differ()} as names_differ from ({candidates}) "
        f"where match_probability >= {REVIEW} order by match_probability desc, rid_l, rid_r"
    ).df()
    return scored, counts


def _split_scored(scored: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The scored pairs to link, and those for review (with their reason) as evidence rows."""
    if not len(scored):
        return scored, scored
    sure = scored["match_probability"].ge(ACCEPT) & ~scored["names_differ"].astype(bool)
    uncertain = scored[~sure].assign(tier=PROBABILISTIC, status="review")
    uncertain["reason"] = np.where(uncertain["names_differ"], NAMES_DIFFER, "uncertain")
    return scored[sure], uncertain


def tier2_edges(
    con: duckdb.DuckDBPyConnection,
    niks: str,
    new: str = "features where is_new",
    old: str = "features where not is_new",
) -> None:
    """Table `tier2` (rid_l new, rid_r) from the records tier 2 may link (tier2_eligible.sql).

    `niks`: nik16 and nik_valid of every record of the register, for the NIK use counts
    (with `nik_conflicts`); `new` and `old`: the pass's records to link and its other records.
    """
    con.execute(f"create or replace view nik_records as select nik16, nik_valid from {niks}")
    con.execute(f"create or replace table tier2_uses as {sql('tier2_uses')}")
    for name, relation in (("tier2_new", new), ("tier2_old", old)):
        con.execute(f"create or replace view {name} as select {TIER2_FIELDS} from {relation}")
    con.execute(f"create or replace table tier2_eligible as {sql('tier2_eligible')}")
    for step in ("tier2_combos", "tier2_candidates"):  # separate steps keep DuckDB's plan simple
        con.execute(f"create or replace table {step} as {sql(step)}")
    con.execute(f"create or replace table tier2 as {sql('tier2_edges')}")


def prepare_tiers(
    con: duckdb.DuckDBPyConnection,
    different: set[tuple[int, int]],
    register: Register = Register(),
) -> None:
    """Tables nik_conflicts, tier1 and tier2, and the `residue` flag on `features`."""
    conflicts = register.conflicts or sql("nik_conflicts")
    con.execute(f"create or replace table nik_conflicts as {conflicts}")
    if different:
        # a NIK whose records a reviewer called different people is held like a conflict
        con.register("different_pairs", pd.DataFrame(sorted(different), columns=["a", "b"]))
        con.execute(
            """
            insert into nik_conflicts
            select distinct l.nik_valid from different_pairs d
            join features l on l.rid = d.a
            join features r on r.rid = d.b
            where l.nik_valid = r.nik_valid
              and l.nik_valid not in (select nik from nik_conflicts)
            """
        )
        con.unregister("different_pairs")
    con.execute(f"create or replace table tier1 as {sql('tier1_edges')}")
    if register.tier2:
        con.execute(f"create or replace table tier2 as select rid_l, rid_r from {register.tier2}")
    else:
        tier2_edges(con, register.niks)
    con.execute("alter table features add column if not exists residue boolean default false")
    con.execute(
        """
        update features set residue = true
        where (nik_valid is null or nik_valid in (select nik from nik_conflicts))
          and rid not in (select rid_l from tier2)
        """
    )


def link(
    con: duckdb.DuckDBPyConnection,
    start: np.ndarray,
    get_predict: Callable[[], str],
    same: list[tuple[int, int]],
    different: set[tuple[int, int]],
    outside: Outside | None = None,
    register: Register = Register(),
) -> Linkage:
    """Cluster the records of `features` from `start` labels (rid of a cluster representative).

    `outside` adds, per representative, the codes of its person's records not in `features`;
    `register` says where counts over the whole register come from.
    """
    prepare_tiers(con, different, register)
    tier1 = con.execute("select rid_l, rid_r from tier1").fetchnumpy()
    tier2 = con.execute("select rid_l, rid_r from tier2 order by rid_l, rid_r").df()
    scored, blocking = _tier3(con, get_predict, register)
    accepted, uncertain = _split_scored(scored)

    sequence = (
        [(a, b, FORCED) for a, b in same]
        + [(int(a), int(b), NEAR_NIK) for a, b in zip(tier2["rid_l"], tier2["rid_r"], strict=True)]
        + [
            (int(a), int(b), PROBABILISTIC)
            for a, b in zip(accepted.get("rid_l", []), accepted.get("rid_r", []), strict=True)
        ]
    )
    constraints = Constraints(**_codes(con), cannot_link=different, outside=outside)
    outcome = cluster(start, tier1["rid_l"], tier1["rid_r"], sequence, constraints)

    status = np.where(outcome.applied, "linked", "refused").astype(object)
    reasons = np.full(len(sequence), None, dtype=object)
    for i, reason in outcome.refused:
        reasons[i] = reason
    edges = pd.DataFrame(
        {
            "rid_l": np.array([e[0] for e in sequence], dtype=np.int64),
            "rid_r": np.array([e[1] for e in sequence], dtype=np.int64),
            "tier": [TIER_NAMES[e[2]] for e in sequence],
            "status": status,
            "reason": reasons,
        }
    )
    tier1_frame = pd.DataFrame(
        {"rid_l": tier1["rid_l"], "rid_r": tier1["rid_r"], "tier": "nik_exact", "status": "linked"}
    )
    if len(accepted):
        edges = edges.merge(
            accepted, on=["rid_l", "rid_r"], how="left", validate="many_to_one"
        ).drop_duplicates(["rid_l", "rid_r", "tier"])
    edges = pd.concat([tier1_frame, edges, uncertain], ignore_index=True)
    conflicts = [r[0] for r in con.execute("select nik from nik_conflicts order by 1").fetchall()]
    return Linkage(outcome.labels, edges, conflicts, blocking)
