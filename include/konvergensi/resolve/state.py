"""The resolver's state between runs: every linked record's features and IDs in one DuckDB file.

identity/state/records.duckdb holds `records` (one row per linked record: rid, the features
matching compares, person_id, household_id, match_tier) and `meta` (the run that wrote it, its
files and a fingerprint of the reviewer decisions it applied). It lets an incremental run
derive and score only the new records. It is a cache: trusted only while its run is the one
manifest.json names, and written anew by every run that links the whole register.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

STATE = Path("state") / "records.duckdb"
ALIAS = "state"
# the layout of `records`; a state of another layout is stale (the next run relinks the register)
FORMAT = 2
LINK_COLUMNS = (
    "_source, _period, _batch_id, _row_number, record_key, person_id, household_id, match_tier"
)


@dataclass(frozen=True)
class State:
    """What the attached state was built from."""

    files: frozenset[str]
    overrides: str  # fingerprint of the reviewers' decisions (see `decisions_fingerprint`)


def attach(con: duckdb.DuckDBPyConnection, identity_root: Path, run_id: str | None) -> State | None:
    """Attach the state as `state` if it belongs to run `run_id`; None (not attached) if not."""
    path = identity_root / STATE
    if run_id is None or not path.exists():
        return None
    con.execute(f"attach '{path}' as {ALIAS}")
    try:
        row = con.execute(f"select run_id, files, overrides, format from {ALIAS}.meta").fetchone()
    except duckdb.Error:  # no meta, or the meta of an older layout
        row = None
    if row is None or row[0] != run_id or row[3] != FORMAT:
        con.execute(f"detach {ALIAS}")
        return None
    return State(files=frozenset(row[1]), overrides=str(row[2]))


def replace(
    con: duckdb.DuckDBPyConnection,
    identity_root: Path,
    records_sql: str,
    run_id: str,
    files: list[str],
    overrides: str,
) -> None:
    """Write a new state from the rows of `records_sql` and attach it as `state`."""
    path = identity_root / STATE
    tmp = path.with_name(path.name + ".tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp.unlink(missing_ok=True)
    con.execute(f"attach '{tmp}' as new_state")
    con.execute(f"create table new_state.records as {records_sql}")
    con.execute(
        "create table new_state.meta (run_id varchar, files varchar[], overrides varchar, "
        "format integer)"
    )
    con.execute(
        "insert into new_state.meta values (?, ?, ?, ?)", [run_id, sorted(files), overrides, FORMAT]
    )
    con.execute("detach new_state")
    tmp.replace(path)
    con.execute(f"attach '{path}' as {ALIAS}")


def stamp(con: duckdb.DuckDBPyConnection, run_id: str, files: list[str], overrides: str) -> None:
    """Record in the attached state which run it now reflects (inside the caller's transaction)."""
    con.execute(
        f"update {ALIAS}.meta set run_id = ?, files = ?, overrides = ?",
        [run_id, sorted(files), overrides],
    )


def decisions_fingerprint(overrides: pd.DataFrame) -> str:
    """A digest of every (pair, decision): a changed or added decision changes it."""
    columns = (overrides["record_key_l"], overrides["record_key_r"], overrides["decision"])
    rows = sorted(zip(*columns, strict=True))
    return hashlib.sha256(repr(rows).encode()).hexdigest()
