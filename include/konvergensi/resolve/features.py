"""Derive what matching compares from the accepted records, as DuckDB tables.

`derive` turns accepted.parquet files into feature rows with a record id (rid); `load_features`
builds the `features` table a whole-register pass links (every current record, with the
previous run's links beside it). The incremental pass (delta.py) derives only the new files.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from konvergensi.resolve.sql import sql

PREVIOUS = ["record_key", "person_id", "household_id", "match_tier"]
# what a record of a replaced batch passes on to its correction (see heirs)
HEIR_KEY = ["_source", "_period", "source_record_id"]


def clan_shares_sql(records: str) -> str:
    """SQL: (village_code, clan, clan_share) counted over `records`, every record of the register.

    The share of a village's records that carry this clan name: a common clan is weak evidence.
    """
    return f"""
        select village_code, clan, n / sum(n) over (partition by village_code) as clan_share
        from (select village_code, clan, count(*) as n from {records} group by all)
    """


def clan_share_join(shares: str, alias: str) -> str:
    """SQL: a left join adding `clan_share` to the rows of `alias` from `shares` (a relation)."""
    return f"""
        left join ({shares}) clans
            on clans.village_code is not distinct from {alias}.village_code
            and clans.clan is not distinct from {alias}.clan
    """


def derive(con: duckdb.DuckDBPyConnection, files: list[str], table: str, first_rid: int) -> None:
    """Create `table`: one feature row per accepted record of `files`, rids from `first_rid`."""
    listed = ", ".join(f"'{f}'" for f in sorted(files))
    con.execute(
        f"create or replace view accepted as "
        f"select * from read_parquet([{listed}], union_by_name = true)"
    )
    con.execute(
        f"create or replace table {table} as "
        f"select {first_rid} + row_number() over (order by record_key) - 1 as rid, * "
        f"from ({sql('record_features')})"
    )
    con.execute("drop view accepted")


def load_features(
    con: duckdb.DuckDBPyConnection, files: list[str], previous: pd.DataFrame, incremental: bool
) -> None:
    """Create `features` (rid, features, clan_share, is_new, prev_* of the last run) for `files`.

    `is_new` marks the records to link: those without a previous link in an incremental run,
    all records in a full run.
    """
    derive(con, files, "records", 0)
    con.register("previous_links", previous[PREVIOUS])
    is_new = "p.person_id is null" if incremental else "true"
    con.execute(
        f"""
        create or replace table features as
        select
            r.*,
            clans.clan_share,
            {is_new} as is_new,
            p.person_id as prev_person_id,
            p.household_id as prev_household_id,
            p.match_tier as prev_tier
        from records r
        {clan_share_join(clan_shares_sql("records"), "r")}
        left join previous_links p using (record_key)
        order by r.rid
        """
    )
    con.unregister("previous_links")
    con.execute("drop table records")


def heirs(con: duckdb.DuckDBPyConnection, old_state: Path | None) -> pd.DataFrame:
    """The previous IDs a corrected re-delivery's records inherit, by rid of `features`.

    A batch that replaces another for the same source and period (a correction) brings new
    record keys. Its record inherits the IDs of the replaced record (read from the previous
    run's state file, `old_state`) with the same source_record_id when the two describe one
    person: the same valid NIK, or the same birth date (or none) and a close name. It is still
    linked afresh (its fields may have changed); the inherited IDs only vote for its cluster's
    ID, so a person seen only in the corrected batch keeps their ID. Returns rid, person_id,
    household_id and both record keys (for reviewers' decisions); none without a state.
    """
    columns = ["rid", "person_id", "household_id", "old_key", "new_key"]
    if old_state is None:
        return pd.DataFrame(columns=columns)
    con.execute(f"attach '{old_state}' as replaced (read_only)")
    try:
        return con.execute(
            f"""
            with gone as (
                select * from replaced.records
                where record_key not in (select record_key from features)
                  and source_record_id is not null
            ),
            arrived as (
                select * from features
                where prev_person_id is null and source_record_id is not null
            )
            select a.rid, g.person_id, g.household_id, g.record_key as old_key,
                   a.record_key as new_key
            from arrived a join gone g using ({", ".join(HEIR_KEY)})
            where g.nik_valid = a.nik_valid
               or (g.dob is not distinct from a.dob
                   and jaro_winkler_similarity(g.name_sorted, a.name_sorted) >= 0.85)
            qualify count(*) over (partition by a.rid) = 1
                and count(*) over (partition by g.record_key) = 1
            order by a.rid
            """
        ).df()[columns]
    finally:
        con.execute("detach replaced")
