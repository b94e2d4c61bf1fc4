"""Load the current accepted records into DuckDB as the `features` table matching works on.

Features of records already linked are cached in identity/state/features/ (one Parquet part
per run), so an incremental run derives features only for the files it has not seen.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd

from konvergensi.resolve.sql import sql

STATE = Path("state") / "features"
PREVIOUS = ["record_key", "person_id", "household_id", "match_tier"]


def _accepted(con: duckdb.DuckDBPyConnection, files: list[str]) -> None:
    listed = ", ".join(f"'{f}'" for f in sorted(files))
    con.execute(
        f"create or replace view accepted as "
        f"select * from read_parquet([{listed}], union_by_name = true)"
    )


def load_features(
    con: duckdb.DuckDBPyConnection,
    files: list[str],
    previous: pd.DataFrame,
    identity_root: Path,
    cached_files: list[str],
    incremental: bool,
) -> bool:
    """Create `features` (rid, features, is_new, prev_* of the last run) for `files`.

    An incremental run reuses the cache when every cached file is still current (returns
    True); otherwise all features are derived anew. `is_new` marks the records to link: those
    without a previous link in an incremental run, all records in a full run.
    """
    cache = identity_root / STATE
    reuse = incremental and bool(cached_files) and set(cached_files) <= set(files)
    reuse = reuse and cache.exists()
    new_files = sorted(set(files) - set(cached_files)) if reuse else sorted(files)
    parts = []
    start = 0
    if reuse:
        parts.append(f"select * exclude (clan_share) from read_parquet('{cache}/*.parquet')")
        start = con.execute(
            f"select coalesce(max(rid) + 1, 0) from read_parquet('{cache}/*.parquet')"
        ).fetchall()[0][0]
    if new_files:
        _accepted(con, new_files)
        parts.append(
            f"select {start} + row_number() over (order by record_key) - 1 as rid, * "
            f"from ({sql('record_features')})"
        )
    con.execute(f"create or replace table records as {' union all by name '.join(parts)}")
    con.register("previous_links", previous[PREVIOUS])
    is_new = "p.person_id is null" if incremental else "true"
    con.execute(
        f"""
        create or replace table features as
        select
            r.*,
            -- share of the village's records with this clan name: a common clan is weak evidence
            count(*) over (partition by r.village_code, r.clan)
                / count(*) over (partition by r.village_code) as clan_share,
            {is_new} as is_new,
            p.person_id as prev_person_id,
            p.household_id as prev_household_id,
            p.match_tier as prev_tier
        from records r
        left join previous_links p using (record_key)
        """
    )
    con.unregister("previous_links")
    con.execute("drop table records")
    return reuse


def save_features(con: duckdb.DuckDBPyConnection, identity_root: Path, run_id: str, full: bool):
    """Add this run's new records to the cache (a full run replaces the cache)."""
    cache = identity_root / STATE
    if full:
        shutil.rmtree(cache, ignore_errors=True)
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / f"part-{run_id}.parquet"
    con.execute(
        f"""
        copy (
            select * exclude (is_new, residue, prev_person_id, prev_household_id, prev_tier)
            from features where {"true" if full else "is_new"} order by rid
        ) to '{target}' (format parquet, compression zstd)
        """
    )
