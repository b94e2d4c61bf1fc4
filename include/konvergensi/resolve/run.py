"""Resolve identities over the current batch of every source and write the identity zone.

A run is incremental when a previous run's links exist: existing persons are the starting
clusters and only pairs with a new record are scored, so a person untouched by new data keeps
their ID. A full run (the first, `--full`, or when a reviewer separated records that one person
holds) links everything afresh and still inherits IDs by overlap (see ids.py).
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from konvergensi.contracts import Contract
from konvergensi.resolve import model as person_model
from konvergensi.resolve import registry
from konvergensi.resolve.features import load_features, save_features
from konvergensi.resolve.households import household_labels
from konvergensi.resolve.ids import assign_ids
from konvergensi.resolve.link import Linkage, link
from konvergensi.resolve.models_store import current_model, save_model
from konvergensi.resolve.review import (
    build_queue,
    queue_path,
    read_overrides,
    read_queue,
    write_parquet,
)
from konvergensi.resolve.sql import quiet_connection, sql
from konvergensi.staging_zone import current_batches

log = logging.getLogger(__name__)

RECORD_KEY = ["_source", "_period", "_batch_id", "_row_number"]
TIER_ORDER = ("nik_exact", "nik_near", "review_same", "probabilistic")
EVIDENCE = "evidence"


def batches_in_use(contracts: list[Contract], staging_root: Path) -> dict[str, dict[str, str]]:
    """Source -> period -> accepted.parquet path of the current (last good) batch."""
    return {
        c.source: {p: str(path) for p, path in current_batches(staging_root, c.source).items()}
        for c in contracts
    }


def read_links(identity_root: Path) -> pd.DataFrame:
    """The previous run's links (empty before the first run)."""
    path = identity_root / "links.parquet"
    if path.exists():
        return pd.read_parquet(path)
    columns = ["record_key", "person_id", "household_id", "match_tier"]
    return pd.DataFrame({c: pd.Series(dtype="str") for c in columns})


def _rids(keys: pd.Index, pairs: pd.DataFrame) -> list[tuple[int, int]]:
    left = keys.get_indexer(pairs["record_key_l"])
    right = keys.get_indexer(pairs["record_key_r"])
    return [(int(a), int(b)) for a, b in zip(left, right, strict=True) if a >= 0 and b >= 0]


def _model_getter(con: duckdb.DuckDBPyConnection, identity_root: Path, used: dict):
    """Callback for link(): the current model, trained and stored first if there is none."""

    def get() -> dict:
        found = current_model(identity_root)
        if found is None:
            trained = person_model.train(con, "tier1")
            records = con.execute("select count(*) from features").fetchall()[0][0]
            version = save_model(
                identity_root, trained, {"trained_on_records": int(records), "trigger": "first run"}
            )
            found = (version, trained)
        used["model_version"] = found[0]
        return found[1]

    return get


def _tiers(linkage: Linkage, previous_tier: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Match tier per record: the strongest tier that linked it, else its previous one."""
    linked = linkage.edges[linkage.edges["status"] == "linked"]
    rank = linked["tier"].map({t: i for i, t in enumerate(TIER_ORDER)}).to_numpy()
    rids = np.r_[linked["rid_l"].to_numpy(), linked["rid_r"].to_numpy()]
    best = pd.Series(np.r_[rank, rank]).groupby(rids).min()
    tiers = previous_tier.copy()
    where = best.index.to_numpy(dtype=np.int64)
    tiers[where] = np.asarray(TIER_ORDER, dtype=object)[best.to_numpy(dtype=np.int64)]
    sizes = pd.Series(labels).map(pd.Series(labels).value_counts()).to_numpy()
    tiers[sizes == 1] = "singleton"
    tiers[pd.isna(tiers)] = "singleton"
    return tiers


def _evidence(
    con: duckdb.DuckDBPyConnection, linkage: Linkage, run_id: str, version
) -> pd.DataFrame:
    edges = linkage.edges
    for column in ("reason", "match_weight", "match_probability", *person_model.WEIGHT_COLUMNS):
        if column not in edges:
            edges[column] = None
    con.register("edges", edges)
    frame = con.execute(sql("evidence")).df()
    con.unregister("edges")
    return frame.assign(run_id=run_id, model_version=version)


def _review_candidates(con: duckdb.DuckDBPyConnection, evidence: pd.DataFrame) -> pd.DataFrame:
    uncertain = evidence[
        (evidence["status"] == "review")
        | ((evidence["status"] == "refused") & (evidence["tier"] == "probabilistic"))
    ]
    uncertain = uncertain.assign(
        reason=np.where(uncertain["status"] == "review", "uncertain match", uncertain["reason"])
    )
    conflicts = con.execute(
        f"""
        select l.record_key as record_key_l, r.record_key as record_key_r,
               'NIK shared by records whose name and birth date or village disagree' as reason,
               cast(null as double) as match_probability
        from ({sql("conflict_pairs")}) c
        join features l on l.rid = c.rid_l
        join features r on r.rid = c.rid_r
        """
    ).df()
    columns = ["record_key_l", "record_key_r", "reason", "match_probability"]
    return pd.concat([uncertain[columns], conflicts], ignore_index=True)


def resolve_identities(
    contracts: list[Contract], staging_root: Path, identity_root: Path, full: bool = False
) -> dict:
    """Link every accepted record to a person and a household; returns a small summary."""
    used = batches_in_use(contracts, staging_root)
    files = [path for periods in used.values() for path in periods.values()]
    if not files:
        raise RuntimeError("no validated batch of any source exists yet: run the ingest DAGs first")
    return resolve_files(files, identity_root, used, full=full)


def _previous_files(identity_root: Path) -> list[str]:
    manifest = identity_root / "manifest.json"
    return json.loads(manifest.read_text()).get("files", []) if manifest.exists() else []


def _write_evidence(identity_root: Path, evidence: pd.DataFrame, run_id: str, full: bool) -> None:
    """Evidence is append-only, one part per run; a full run starts it afresh."""
    folder = identity_root / EVIDENCE
    if full:
        shutil.rmtree(folder, ignore_errors=True)
    write_parquet(evidence, folder / f"run={run_id}.parquet")


def _write_registry(
    identity_root: Path, events: pd.DataFrame, ids: dict, tables: dict, run_id: str
) -> None:
    for entity in registry.ENTITIES:
        updated = registry.update_registry(
            tables[entity], set(ids[entity]), events[events["entity"] == entity], run_id
        )
        write_parquet(updated, registry.registry_path(identity_root, entity))
    write_parquet(events, registry.events_path(identity_root, run_id))


def resolve_files(
    files: list[str], identity_root: Path, batches: dict | None = None, full: bool = False
) -> dict:
    """Resolve the records of `files` against the identity zone's previous state."""
    started = time.perf_counter()
    run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    previous = read_links(identity_root)
    overrides = read_overrides(identity_root)
    incremental = not full and len(previous) > 0 and current_model(identity_root) is not None
    con = quiet_connection()
    reused = load_features(
        con, files, previous, identity_root, _previous_files(identity_root), incremental
    )
    del previous
    prior = con.execute(
        "select record_key, prev_person_id, prev_household_id, prev_tier from features order by rid"
    ).df()
    n = len(prior)
    keys = pd.Index(prior["record_key"])
    same = _rids(keys, overrides[overrides["decision"] == "same"])
    different = set(_rids(keys, overrides[overrides["decision"] == "different"]))
    prev_person = prior["prev_person_id"].to_numpy(dtype=object, na_value=None)
    if incremental and any(prev_person[a] == prev_person[b] for a, b in different):
        incremental = False  # a reviewer separated records one person holds: relink all
        con.execute("update features set is_new = true")
    start = np.arange(n, dtype=np.int64)
    if incremental:
        codes = pd.factorize(prior["prev_person_id"])[0]
        known = codes >= 0
        first = pd.Series(start[known]).groupby(codes[known]).transform("min").to_numpy()
        start[known] = first

    model_info: dict = {}
    linkage = link(con, start, _model_getter(con, identity_root, model_info), same, different)
    linked_at = time.perf_counter()

    tables = {e: registry.read_registry(identity_root, e) for e in registry.ENTITIES}
    person_ids, person_events = assign_ids(
        keys.to_numpy(), linkage.labels, prev_person, "P", set(tables["person"]["id"])
    )
    household_ids, household_events = assign_ids(
        keys.to_numpy(),
        household_labels(con, linkage.labels),
        prior["prev_household_id"].to_numpy(dtype=object, na_value=None),
        "H",
        set(tables["household"]["id"]),
    )
    links = con.execute(
        f"select {', '.join(RECORD_KEY)}, record_key from features order by rid"
    ).df()
    links["person_id"] = person_ids
    links["household_id"] = household_ids
    links["match_tier"] = _tiers(
        linkage, prior["prev_tier"].to_numpy(dtype=object, na_value=None), linkage.labels
    )
    evidence = _evidence(con, linkage, run_id, model_info.get("model_version"))
    current = set(keys)
    queue = build_queue(
        _review_candidates(con, evidence),
        read_queue(identity_root) if incremental else read_queue(identity_root).iloc[:0],
        overrides,
        current,
        run_id,
    )
    save_features(con, identity_root, run_id, full=not reused)
    con.close()

    events = pd.concat(
        [person_events.assign(entity="person"), household_events.assign(entity="household")],
        ignore_index=True,
    ).assign(run_id=run_id)
    oversized = _oversized(links, person_ids)
    identity_root.mkdir(parents=True, exist_ok=True)
    write_parquet(links, identity_root / "links.parquet")
    _write_evidence(identity_root, evidence, run_id, full=not incremental)
    write_parquet(queue, queue_path(identity_root))
    _write_registry(
        identity_root, events, {"person": person_ids, "household": household_ids}, tables, run_id
    )

    summary = {
        "run_id": run_id,
        "mode": "incremental" if incremental else "full",
        "model_version": model_info.get("model_version"),
        "records": n,
        "new_records": int(prior["prev_person_id"].isna().sum()) if incremental else n,
        "persons": int(pd.Series(person_ids).nunique()),
        "households": int(pd.Series(household_ids).nunique()),
        "tiers": links["match_tier"].value_counts().sort_index().to_dict(),
        "nik_conflicts": len(linkage.conflicts),
        "blocking_pairs": linkage.blocking,
        "review_queue": len(queue),
        "events": {
            f"{entity}/{kind}": int(count)
            for (entity, kind), count in events.groupby(["entity", "kind"]).size().items()
        },
        "oversized_persons": oversized,
        "seconds": {
            "link": round(linked_at - started, 1),
            "total": round(time.perf_counter() - started, 1),
        },
        "periods": {source: sorted(periods) for source, periods in (batches or {}).items()},
    }
    (identity_root / "manifest.json").write_text(
        json.dumps({**summary, "batches": batches or {}, "files": sorted(files)}, indent=2)
    )
    return summary


def _oversized(links: pd.DataFrame, person_ids: np.ndarray) -> int:
    """Persons holding more records than there are source files: an alarm, logged."""
    sizes = pd.Series(person_ids).value_counts()
    limit = links["_source"].str.cat(links["_period"], sep="|").nunique()
    oversized = sizes[sizes > limit]
    if len(oversized):
        log.warning(
            "%d persons hold more records than there are source files (%d); largest %d: "
            "check the review queue and `konvergensi explain`",
            len(oversized),
            limit,
            int(oversized.max()),
        )
    return len(oversized)


def retrain(contracts: list[Contract], staging_root: Path, identity_root: Path) -> str:
    """Train a new model version on the current records and make it current (no relinking)."""
    used = batches_in_use(contracts, staging_root)
    files = [path for periods in used.values() for path in periods.values()]
    if not files:
        raise RuntimeError("no validated batch of any source exists yet: run the ingest DAGs first")
    con = quiet_connection()
    try:
        load_features(con, files, read_links(identity_root).iloc[:0], identity_root, [], False)
        con.execute(f"create or replace table nik_conflicts as {sql('nik_conflicts')}")
        con.execute(f"create or replace table tier1 as {sql('tier1_edges')}")
        trained = person_model.train(con, "tier1")
    finally:
        con.close()
    return save_model(
        identity_root, trained, {"trained_on_files": len(files), "trigger": "retrain"}
    )
