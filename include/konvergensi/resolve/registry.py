"""The ID registry in the identity zone: every ID ever issued, its status and redirects.

identity/registry/<entity>.parquet  id, status (active | retired | dormant), redirect_to,
                                    first_run, last_run
identity/registry/events/run=<id>.parquet  run_id, entity, kind (new | merge | split), from_id,
                                           to_id (append-only, one part per run)
A retired ID redirects to the ID that absorbed it, so a reference kept by a ministry or an
analyst still leads to the person.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd

ENTITIES = ("person", "household")


def registry_path(identity_root: Path, entity: str) -> Path:
    """Parquet file of one entity's registry."""
    return identity_root / "registry" / f"{entity}.parquet"


def events_path(identity_root: Path, run_id: str) -> Path:
    """Parquet part of one run's merge/split/new events."""
    return identity_root / "registry" / "events" / f"run={run_id}.parquet"


def issued_among(
    con: duckdb.DuckDBPyConnection, identity_root: Path, entity: str
) -> Callable[[list[str]], set[str]]:
    """A look-up: which of some IDs of `entity` the registry ever issued (active or retired)."""
    path = registry_path(identity_root, entity)

    def among(ids: list[str]) -> set[str]:
        if not ids or not path.exists():
            return set()
        con.register("asked_ids", pd.DataFrame({"id": ids}))
        found = con.execute(
            f"select id from read_parquet('{path}') where id in (select id from asked_ids)"
        ).fetchall()
        con.unregister("asked_ids")
        return {row[0] for row in found}

    return among


def read_registry(identity_root: Path, entity: str) -> pd.DataFrame:
    """The registry of one entity (empty when none was written yet)."""
    path = registry_path(identity_root, entity)
    if path.exists():
        return pd.read_parquet(path)
    return pd.DataFrame(
        {c: pd.Series(dtype="str") for c in ("id", "status", "redirect_to", "first_run")}
        | {"last_run": pd.Series(dtype="str")}
    )


def write_registry(
    con: duckdb.DuckDBPyConnection,
    identity_root: Path,
    entity: str,
    active_sql: str,
    events: pd.DataFrame,
    run_id: str,
    out: Path,
) -> None:
    """Write the registry after a run to `out`.

    IDs of `active_sql` (column id) are active, merged ones retired (redirected), and an
    active ID no record holds any more (its source withdrew its records) becomes dormant.
    """
    path = registry_path(identity_root, entity)
    old = (
        f"select id, status, redirect_to, first_run, last_run from read_parquet('{path}')"
        if path.exists()
        else "select ''::varchar as id, ''::varchar as status, ''::varchar as redirect_to, "
        "''::varchar as first_run, ''::varchar as last_run where false"
    )
    merges = events.loc[events["kind"] == "merge", ["from_id", "to_id"]]
    con.register("registry_merges", merges.astype("object"))
    con.execute(
        f"""
        copy (
            with old as ({old}),
            active as (select distinct id from ({active_sql}) where id is not null),
            every as (
                select * from old
                union all
                select id, 'active', null, $run, $run from active
                where id not in (select id from old)
            )
            select
                e.id,
                case when m.from_id is not null then 'retired'
                     when a.id is not null then 'active'
                     when e.status = 'active' then 'dormant'
                     else e.status end as status,
                case when m.from_id is not null then m.to_id else e.redirect_to end
                    as redirect_to,
                e.first_run,
                case when a.id is not null then $run else e.last_run end as last_run
            from every e
            left join active a on a.id = e.id
            left join (
                select cast(from_id as varchar) as from_id, cast(to_id as varchar) as to_id
                from registry_merges
            ) m on m.from_id = e.id
            order by e.id
        ) to '{out}' (format parquet, compression zstd)
        """,
        {"run": run_id},
    )
    con.unregister("registry_merges")


def follow(registry: pd.DataFrame, entity_id: str) -> str:
    """The active ID a (possibly retired) ID now stands for."""
    redirect = dict(zip(registry["id"], registry["redirect_to"], strict=True))
    seen = {entity_id}
    while isinstance(redirect.get(entity_id), str):
        entity_id = redirect[entity_id]
        if entity_id in seen:
            raise ValueError(f"redirect cycle at {entity_id}")
        seen.add(entity_id)
    return entity_id
