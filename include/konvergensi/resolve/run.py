"""Resolve identities over the current batch of every source and write the identity zone.

A run is incremental when a previous run's links exist: existing persons are the starting
clusters and only pairs with a new record are scored, so a person untouched by new data keeps
their ID. Normally it is a delta pass (delta.py) over the new records and their neighbours in
the state file; it links the whole register instead when the state is missing or stale, a
batch was replaced, or reviewers' decisions changed. A full run (the first, `--full`, or when a
reviewer separated records that one person holds) links everything afresh and still inherits
IDs by overlap (see ids.py). Either pass ends in the same publication (publish.py).
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import numpy as np
import pandas as pd

from konvergensi.resolve import delta, registry
from konvergensi.resolve import model as person_model
from konvergensi.resolve import state as state_file
from konvergensi.resolve.clustering import start_labels
from konvergensi.resolve.features import PREVIOUS, heirs, load_features
from konvergensi.resolve.households import household_labels
from konvergensi.resolve.ids import assign_ids
from konvergensi.resolve.link import Linkage, link
from konvergensi.resolve.models_store import current_model, predict_query, save_model
from konvergensi.resolve.publication import MANIFEST, commit, exclusive, recover
from konvergensi.resolve.publish import EVIDENCE, Pass, publish, record_evidence
from konvergensi.resolve.review import (
    build_queue,
    carry_decisions,
    read_overrides,
    read_queue,
)
from konvergensi.resolve.sql import quiet_connection, sql
from konvergensi.staging_zone import current_batches

if TYPE_CHECKING:  # contracts (pydantic) load only where a run starts from them
    from konvergensi.contracts import Contract

PAIR_KEYS = ["record_key_l", "record_key_r"]
TIER_ORDER = ("nik_exact", "nik_near", "review_same", "probabilistic")


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
    columns = PREVIOUS
    return pd.DataFrame({c: pd.Series(dtype="str") for c in columns})


def _rids(keys: pd.Index, pairs: pd.DataFrame) -> list[tuple[int, int]]:
    left = keys.get_indexer(pairs["record_key_l"])
    right = keys.get_indexer(pairs["record_key_r"])
    return [(int(a), int(b)) for a, b in zip(left, right, strict=True) if a >= 0 and b >= 0]


def _predict_getter(con: duckdb.DuckDBPyConnection, identity_root: Path, used: dict):
    """Callback for link(): the current model's scoring query, trained first if there is none."""

    def get() -> str:
        found = current_model(identity_root)
        if found is None:
            trained = person_model.train(con, "tier1")
            records = con.execute("select count(*) from features").fetchall()[0][0]
            version = save_model(
                identity_root, trained, {"trained_on_records": int(records), "trigger": "first run"}
            )
            found = (version, trained)
        used["model_version"] = found[0]
        return predict_query(identity_root, *found)

    return get


def _tiers(
    linkage: Linkage,
    previous_tier: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Match tier per record: the strongest tier that linked it, else its previous one.

    `weights`: records each row stands for, so a person's size counts records outside a pass.
    """
    linked = linkage.edges[linkage.edges["status"] == "linked"]
    rank = linked["tier"].map({t: i for i, t in enumerate(TIER_ORDER)}).to_numpy()
    rids = np.r_[linked["rid_l"].to_numpy(), linked["rid_r"].to_numpy()]
    best = pd.Series(np.r_[rank, rank]).groupby(rids).min()
    tiers = previous_tier.copy()
    where = best.index.to_numpy(dtype=np.int64)
    tiers[where] = np.asarray(TIER_ORDER, dtype=object)[best.to_numpy(dtype=np.int64)]
    rows = pd.Series(np.ones(len(labels), dtype=np.int64) if weights is None else weights)
    sizes = rows.groupby(labels).transform("sum").to_numpy()
    tiers[sizes == 1] = "singleton"
    tiers[pd.isna(tiers)] = "singleton"
    return tiers


def _review_candidates(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """This pass's uncertain pairs (from EVIDENCE) and the pairs of NIKs held as conflicts."""
    uncertain = con.execute(
        f"""
        select record_key_l, record_key_r,
               case when reason = 'uncertain' then 'uncertain match' else reason end as reason,
               match_probability
        from {EVIDENCE}
        where status = 'review' or (status = 'refused' and tier = 'probabilistic')
        """
    ).df()
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
    return pd.concat([uncertain, conflicts], ignore_index=True)


def resolve_identities(
    contracts: list[Contract], staging_root: Path, identity_root: Path, full: bool = False
) -> dict:
    """Link every accepted record to a person and a household; returns a small summary."""
    used = batches_in_use(contracts, staging_root)
    files = [path for periods in used.values() for path in periods.values()]
    if not files:
        raise RuntimeError("no validated batch of any source exists yet: run the ingest DAGs first")
    return resolve_files(files, identity_root, used, full=full)


def _manifest(identity_root: Path) -> dict:
    path = identity_root / MANIFEST
    return json.loads(path.read_text()) if path.exists() else {}


def _assigned(person_ids: np.ndarray, household_ids: np.ndarray, tiers: np.ndarray) -> pd.DataFrame:
    """What a pass gives each of its records (by rid): person, household and match tier."""
    return pd.DataFrame(
        {
            "rid": np.arange(len(person_ids), dtype=np.int64),
            "person_id": person_ids,
            "household_id": household_ids,
            "match_tier": tiers,
        }
    )


def _with_inherited(previous: np.ndarray, inherited: pd.DataFrame, column: str) -> np.ndarray:
    """Previous IDs per rid, with those a corrected record inherits (features.heirs)."""
    voting = previous.copy()
    voting[inherited["rid"].to_numpy(dtype=np.int64)] = inherited[column].to_numpy(dtype=object)
    return voting


def _inherited_votes_less(previous: np.ndarray) -> np.ndarray:
    """ID vote weights: a record that held its ID counts twice one that inherited it, so a
    continuing record wins a tie against a corrected record's inherited ID."""
    return np.where(pd.isna(previous), 1, 2)


def _events(person: pd.DataFrame, household: pd.DataFrame) -> pd.DataFrame:
    return pd.concat(
        [person.assign(entity="person"), household.assign(entity="household")],
        ignore_index=True,
    )


def _whole_pass(
    con: duckdb.DuckDBPyConnection,
    files: list[str],
    identity_root: Path,
    overrides: pd.DataFrame,
    decided: str,
    run_id: str,
    full: bool,
    old_state: Path | None,
) -> Pass:
    """Link every current record (previous persons as start clusters unless `full`).

    `old_state`: the previous run's state file (for features.heirs), if it is that run's and
    a batch it holds was replaced or withdrawn.
    """
    previous = read_links(identity_root)
    incremental = not full and len(previous) > 0 and current_model(identity_root) is not None
    load_features(con, files, previous, incremental)
    del previous
    inherited = heirs(con, old_state)
    renamed = dict(zip(inherited["old_key"], inherited["new_key"], strict=True))
    carried = carry_decisions(overrides, renamed)
    restated = len(carried) > len(overrides)
    if restated:  # kept with the pass's outputs, so that every later run respects them
        overrides = carried
        decided = state_file.decisions_fingerprint(overrides)
    prior = con.execute(
        "select record_key, prev_person_id, prev_household_id, prev_tier from features order by rid"
    ).df()
    n = len(prior)
    keys = pd.Index(prior["record_key"])
    same = _rids(keys, overrides[overrides["decision"] == "same"])
    different = set(_rids(keys, overrides[overrides["decision"] == "different"]))
    prev_person = prior["prev_person_id"].to_numpy(dtype=object, na_value=None)
    if incremental and any(
        prev_person[a] is not None and prev_person[a] == prev_person[b] for a, b in different
    ):
        incremental = False  # a reviewer separated records one person holds: relink all
        con.execute("update features set is_new = true")
    start = start_labels(prev_person) if incremental else np.arange(n, dtype=np.int64)

    model_info: dict = {}
    linkage = link(con, start, _predict_getter(con, identity_root, model_info), same, different)
    linked_at = time.perf_counter()
    person_ids, person_events = assign_ids(
        keys.to_numpy(),
        linkage.labels,
        _with_inherited(prev_person, inherited, "person_id"),
        "P",
        registry.issued_among(con, identity_root, "person"),
        _inherited_votes_less(prev_person),
    )
    prev_household = prior["prev_household_id"].to_numpy(dtype=object, na_value=None)
    household_ids, household_events = assign_ids(
        keys.to_numpy(),
        household_labels(con, linkage.labels),
        _with_inherited(prev_household, inherited, "household_id"),
        "H",
        registry.issued_among(con, identity_root, "household"),
        _inherited_votes_less(prev_household),
    )
    previous_tiers = prior["prev_tier"].to_numpy(dtype=object, na_value=None)
    tiers = _tiers(linkage, previous_tiers, linkage.labels)
    evidence_rows = record_evidence(con, linkage.edges, run_id, model_info.get("model_version"))
    queue = build_queue(
        _review_candidates(con),
        read_queue(identity_root) if incremental else read_queue(identity_root).iloc[:0],
        overrides,
        set(keys),
        run_id,
    )
    con.register("assigned", _assigned(person_ids, household_ids, tiers))
    state_file.replace(
        con,
        identity_root,
        """
        select f.* exclude (clan_share, is_new, residue, prev_person_id, prev_household_id,
                            prev_tier),
               a.person_id, a.household_id, a.match_tier
        from features f join assigned a using (rid)
        order by rid
        """,
        run_id,
        files,
        decided,
    )
    con.unregister("assigned")
    return Pass(
        mode="incremental" if incremental else "full",
        new_records=int(prior["prev_person_id"].isna().sum()) if incremental else n,
        evidence_rows=evidence_rows,
        queue=queue,
        events=_events(person_events, household_events),
        linkage=linkage,
        model_version=model_info.get("model_version"),
        linked_at=linked_at,
        overrides=overrides if restated else None,
    )


def _delta_pass(
    con: duckdb.DuckDBPyConnection,
    files: list[str],
    identity_root: Path,
    known: state_file.State,
    overrides: pd.DataFrame,
    decided: str,
    run_id: str,
) -> Pass:
    """Link only the records of files the state has not seen (see delta.py)."""
    new_files = sorted(set(files) - known.files)
    stamp_args = (run_id, files, decided)
    if new_files and delta.derive_new(con, new_files):
        return _link_new(con, identity_root, overrides, stamp_args)
    con.execute("begin transaction")
    state_file.stamp(con, *stamp_args)
    con.execute("commit")
    return _nothing_linked(identity_root, current_model(identity_root)[0])


def _nothing_linked(
    identity_root: Path,
    version: str,
    settled: int | None = None,
    evidence_rows: int = 0,
) -> Pass:
    """An incremental pass that linked no scope: nothing new, or only `settled` records."""
    return Pass(
        mode="incremental",
        new_records=settled or 0,
        evidence_rows=evidence_rows,
        queue=read_queue(identity_root),
        events=pd.DataFrame(columns=["kind", "from_id", "to_id", "entity"]),
        linkage=None,
        model_version=version,
        linked_at=time.perf_counter(),
        extra={} if settled is None else {"scope_records": 0, "settled_by_nik": settled},
    )


def _link_new(
    con: duckdb.DuckDBPyConnection,
    identity_root: Path,
    overrides: pd.DataFrame,
    stamp_args: tuple[str, list[str], str],
) -> Pass:
    """The delta pass over table `fresh`: search the register, settle, link the scope."""
    run_id = stamp_args[0]
    model_info: dict = {}
    predict = _predict_getter(con, identity_root, model_info)()
    version = model_info["model_version"]
    different = overrides[overrides["decision"] == "different"]
    blocking = delta.search(con, different[PAIR_KEYS], predict)
    settled = delta.settle(con)
    settled_evidence_rows = record_evidence(con, settled, run_id, version)
    if not con.execute("select count(*) from fresh").fetchall()[0][0]:
        delta.apply(con, None, None, stamp_args)
        return _nothing_linked(identity_root, version, len(settled), settled_evidence_rows)
    register = delta.build_scope(con, blocking)
    scope = delta.summarise(con)
    prior = con.execute("select record_key, prev_person_id, prev_tier from features order by rid")
    prior = prior.df()
    keys = pd.Index(prior["record_key"])
    linkage = link(
        con,
        scope.start,
        lambda: predict,
        [],
        set(_rids(keys, different)),
        outside=scope.outside,
        register=register,
    )
    linked_at = time.perf_counter()
    person_ids, person_events = assign_ids(
        keys.to_numpy(),
        linkage.labels,
        prior["prev_person_id"].to_numpy(dtype=object, na_value=None),
        "P",
        registry.issued_among(con, identity_root, "person"),
        scope.votes,
    )
    node_keys, node_labels, node_previous, node_weights = delta.household_nodes(con, linkage.labels)
    node_ids, household_events = assign_ids(
        node_keys,
        node_labels,
        node_previous,
        "H",
        registry.issued_among(con, identity_root, "household"),
        node_weights,
    )
    tiers = _tiers(
        linkage,
        prior["prev_tier"].to_numpy(dtype=object, na_value=None),
        linkage.labels,
        scope.records,
    )
    evidence_rows = settled_evidence_rows + record_evidence(con, linkage.edges, run_id, version)
    queue = build_queue(_review_candidates(con), read_queue(identity_root), overrides, None, run_id)
    events = _events(person_events, household_events)
    delta.apply(con, _assigned(person_ids, node_ids[: len(keys)], tiers), events, stamp_args)
    return Pass(
        mode="incremental",
        new_records=scope.new_records + len(settled),
        evidence_rows=evidence_rows,
        queue=queue,
        events=events,
        linkage=linkage,
        model_version=version,
        linked_at=linked_at,
        extra={"scope_records": len(keys), "settled_by_nik": len(settled)},
    )


def resolve_files(
    files: list[str], identity_root: Path, batches: dict | None = None, full: bool = False
) -> dict:
    """Resolve the records of `files` against the identity zone's previous state."""
    identity_root.mkdir(parents=True, exist_ok=True)
    with exclusive(identity_root):
        recover(identity_root)
        return _resolve_locked(files, identity_root, batches, full)


def _resolve_locked(
    files: list[str], identity_root: Path, batches: dict | None, full: bool
) -> dict:
    """resolve_files() with the identity zone to itself."""
    started = time.perf_counter()
    run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    overrides = read_overrides(identity_root)
    con = quiet_connection()
    decided = state_file.decisions_fingerprint(overrides)
    try:
        known = None
        if current_model(identity_root) is not None:
            known = state_file.attach(con, identity_root, _manifest(identity_root).get("run_id"))
        if not full and known and known.files <= set(files) and known.overrides == decided:
            outcome = _delta_pass(con, files, identity_root, known, overrides, decided, run_id)
        else:
            if known:
                con.execute(f"detach {state_file.ALIAS}")
            # records can only have been replaced when a file the state holds is gone
            replaced = known is not None and not known.files <= set(files)
            old_state = identity_root / state_file.STATE if replaced else None
            outcome = _whole_pass(
                con, files, identity_root, overrides, decided, run_id, full, old_state
            )
        summary, publication = publish(con, identity_root, run_id, outcome)
    finally:
        con.close()
    summary["seconds"] = {
        "link": round(outcome.linked_at - started, 1),
        "total": round(time.perf_counter() - started, 1),
    }
    summary["periods"] = {source: sorted(periods) for source, periods in (batches or {}).items()}
    commit(publication, {**summary, "batches": batches or {}, "files": sorted(files)})
    return summary


def retrain(contracts: list[Contract], staging_root: Path, identity_root: Path) -> str:
    """Train a new model version on the current records and make it current (no relinking)."""
    used = batches_in_use(contracts, staging_root)
    files = [path for periods in used.values() for path in periods.values()]
    if not files:
        raise RuntimeError("no validated batch of any source exists yet: run the ingest DAGs first")
    con = quiet_connection()
    try:
        load_features(con, files, read_links(identity_root).iloc[:0], False)
        con.execute(f"create or replace table nik_conflicts as {sql('nik_conflicts')}")
        con.execute(f"create or replace table tier1 as {sql('tier1_edges')}")
        trained = person_model.train(con, "tier1")
    finally:
        con.close()
    with exclusive(identity_root):  # not while a run reads the current model
        return save_model(
            identity_root, trained, {"trained_on_files": len(files), "trigger": "retrain"}
        )
