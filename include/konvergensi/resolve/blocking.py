"""Blocking for the probabilistic tier: which record pairs splink scores.

Only pairs with a residue record (no usable NIK, or a held NIK conflict) on at least one side
are scored, and in an incremental run only pairs with a new record. Each rule is an equi-join;
a pair found by several rules is kept once, under the first. Pair counts per rule are measured
by the benchmark and recorded in docs/resolution.md.
"""

from __future__ import annotations

import duckdb

# (name, join columns): locus and birth date first, as the domain notes advise
RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("village+dob", ("village_code", "dob")),
    ("village+name", ("village_code", "name_match")),
    ("kecamatan+birth_year+given", ("kecamatan_code", "year(dob)", "given")),
    ("kk", ("kk_valid",)),
    ("name+dob", ("name_match", "dob")),
)
# the record columns the rules read
RULE_COLUMNS = ("village_code", "dob", "name_match", "kecamatan_code", "given", "kk_valid")


def join_condition(columns: tuple[str, ...], left: str = "a", right: str = "b") -> str:
    """SQL: the rule's columns (or expressions such as year(dob)) equal on both sides."""

    def side(expr: str, alias: str) -> str:
        return expr.replace("(", f"({alias}.") if "(" in expr else f"{alias}.{expr}"

    return " and ".join(f"{side(c, left)} = {side(c, right)}" for c in columns)


def rule_pairs_sql(number: int, columns: tuple[str, ...]) -> str:
    """Pairs one rule finds: a residue record `a` against any record `b` in its block."""
    return f"""
        select least(a.rid, b.rid) as rid_l, greatest(a.rid, b.rid) as rid_r, {number} as rule
        from features a
        join features b on {join_condition(columns)}
        where a.residue
          and a.rid <> b.rid
          and (not b.residue or a.rid < b.rid)
          and (a.is_new or b.is_new)
    """


def candidate_pairs_sql() -> str:
    """All rules' pairs, each pair once with the first rule that found it."""
    union = " union all ".join(rule_pairs_sql(i, cols) for i, (_, cols) in enumerate(RULES))
    return f"select rid_l, rid_r, min(rule) as rule from ({union}) group by rid_l, rid_r"


def new_to_register_sql(new: str, existing: str) -> str:
    """The rules' pairs of new records with the register and with each other, each pair once.

    `new` and `existing` are relations of (rid, residue, the rules' columns); the same pairs
    as candidate_pairs_sql over both, without joining the register with itself.
    """
    parts = []
    for number, (_, columns) in enumerate(RULES):
        on = join_condition(columns)
        parts.append(
            f"""
            select least(a.rid, b.rid) as rid_l, greatest(a.rid, b.rid) as rid_r,
                   {number} as rule
            from {new} a
            join (select * from {new} union all select * from {existing}) b on {on}
            where a.residue and a.rid <> b.rid and (not b.residue or a.rid < b.rid)
            union all
            select a.rid, b.rid, {number} from {existing} a join {new} b on {on}
            where a.residue
            """
        )
    union = " union all ".join(parts)
    return f"select rid_l, rid_r, min(rule) as rule from ({union}) group by rid_l, rid_r"


def build_candidates(con: duckdb.DuckDBPyConnection, query: str | None = None) -> dict[str, int]:
    """Create table `candidates` (default: candidate_pairs_sql); the pairs each rule found first."""
    con.execute(f"create or replace table candidates as {query or candidate_pairs_sql()}")
    counts = dict(con.execute("select rule, count(*) from candidates group by rule").fetchall())
    return {name: int(counts.get(i, 0)) for i, (name, _) in enumerate(RULES)}
