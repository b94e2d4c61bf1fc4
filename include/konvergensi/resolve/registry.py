"""The ID registry in the identity zone: every ID ever issued, its status and redirects.

identity/registry/<entity>.parquet  id, status (active | retired), redirect_to, first_run, last_run
identity/registry/events/run=<id>.parquet  run_id, entity, kind (new | merge | split), from_id,
                                           to_id (append-only, one part per run)
A retired ID redirects to the ID that absorbed it, so a reference kept by a ministry or an
analyst still leads to the person.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

ENTITIES = ("person", "household")


def registry_path(identity_root: Path, entity: str) -> Path:
    """Parquet file of one entity's registry."""
    return identity_root / "registry" / f"{entity}.parquet"


def events_path(identity_root: Path, run_id: str) -> Path:
    """Parquet part of one run's merge/split/new events."""
    return identity_root / "registry" / "events" / f"run={run_id}.parquet"


def read_registry(identity_root: Path, entity: str) -> pd.DataFrame:
    """The registry of one entity (empty when none was written yet)."""
    path = registry_path(identity_root, entity)
    if path.exists():
        return pd.read_parquet(path)
    return pd.DataFrame(
        {c: pd.Series(dtype="str") for c in ("id", "status", "redirect_to", "first_run")}
        | {"last_run": pd.Series(dtype="str")}
    )


def _member(values: pd.Series, wanted: set[str] | dict) -> np.ndarray:
    """values.isin(wanted), fast for large sets of strings."""
    return np.fromiter((v in wanted for v in values.tolist()), dtype=bool, count=len(values))


def update_registry(
    registry: pd.DataFrame, active: set[str], events: pd.DataFrame, run_id: str
) -> pd.DataFrame:
    """Registry after a run: active IDs seen, merged IDs retired with their redirect."""
    known = set(registry["id"])
    added = pd.DataFrame(
        {
            "id": sorted(active - known),
            "status": "active",
            "redirect_to": None,
            "first_run": run_id,
            "last_run": run_id,
        }
    )
    out = pd.concat([registry, added], ignore_index=True)
    seen = _member(out["id"], active)
    out.loc[seen, "last_run"] = run_id
    out.loc[seen, "status"] = "active"
    merges = events[events["kind"] == "merge"]
    redirect = dict(zip(merges["from_id"], merges["to_id"], strict=True))
    retired = _member(out["id"], redirect)
    out.loc[retired, "status"] = "retired"
    out.loc[retired, "redirect_to"] = out.loc[retired, "id"].map(redirect)
    return out.sort_values("id", ignore_index=True)


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
