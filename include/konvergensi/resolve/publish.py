"""The identity zone's outputs after a pass: links, registries, events, evidence, queue, summary.

A pass collects its evidence rows in the DuckDB table EVIDENCE as it goes (record_evidence);
publish() then writes every output from the state the pass left, so the whole and the delta
pass publish alike. The outputs become current together when the run commits its
publication (publication.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from konvergensi.resolve import model as person_model
from konvergensi.resolve import registry
from konvergensi.resolve import state as state_file
from konvergensi.resolve.link import Linkage
from konvergensi.resolve.publication import Publication
from konvergensi.resolve.review import overrides_path, queue_path
from konvergensi.resolve.sql import sql

log = logging.getLogger(__name__)

EVIDENCE = "evidence"  # table of this run's evidence rows (evidence.sql), one part per run


@dataclass
class Pass:
    """What one linking pass produced, for the outputs every pass writes alike."""

    mode: str  # full | incremental
    new_records: int
    evidence_rows: int
    queue: pd.DataFrame
    events: pd.DataFrame  # entity, kind, from_id, to_id
    linkage: Linkage | None
    model_version: str | None
    linked_at: float
    extra: dict = field(default_factory=dict)
    # reviewers' decisions, when the pass restated some for corrected records (carry_decisions)
    overrides: pd.DataFrame | None = None


def record_evidence(
    con: duckdb.DuckDBPyConnection, edges: pd.DataFrame, run_id: str, version: str | None
) -> int:
    """Append the evidence rows (evidence.sql) of `edges` to table EVIDENCE; how many."""
    for column in ("reason", "match_weight", "match_probability", *person_model.WEIGHT_COLUMNS):
        if column not in edges:
            edges[column] = None
    con.register("edges", edges)
    rows = (
        f"select *, $run::varchar as run_id, $version::varchar as model_version "
        f"from ({sql('evidence')})"
    )
    values = {"run": run_id, "version": version}
    con.execute(f"create table if not exists {EVIDENCE} as {rows} limit 0", values)
    con.execute(f"insert into {EVIDENCE} {rows}", values)
    con.unregister("edges")
    return len(edges)


def _write_evidence(
    con: duckdb.DuckDBPyConnection, publication: Publication, run_id: str, full: bool
) -> None:
    """Evidence is append-only, one part per run (table EVIDENCE); a full run starts afresh."""
    folder = publication.root / EVIDENCE
    if full:
        publication.obsolete += sorted(folder.glob("*.parquet"))
    path = publication.stage(folder / f"run={run_id}.parquet")
    con.execute(f"copy {EVIDENCE} to '{path}' (format parquet, compression zstd)")


def publish(
    con: duckdb.DuckDBPyConnection, identity_root: Path, run_id: str, outcome: Pass
) -> tuple[dict, Publication]:
    """Write links, registry, events, evidence and the queue from the state, staged to commit.

    Returns the summary and the publication (publication.commit makes it current).
    """
    publication = Publication(identity_root)
    records = f"{state_file.ALIAS}.records"
    links = publication.stage(identity_root / "links.parquet")
    # the register is kept in rid order (state.replace, delta.apply): no sort needed
    con.execute(
        f"copy (select {state_file.LINK_COLUMNS} from {records}) "
        f"to '{links}' (format parquet, compression zstd)"
    )
    events = outcome.events.assign(run_id=run_id)
    for entity in registry.ENTITIES:
        registry.write_registry(
            con,
            identity_root,
            entity,
            f"select {entity}_id as id from {records}",
            events[events["entity"] == entity],
            run_id,
            publication.stage(registry.registry_path(identity_root, entity)),
        )
    publication.parquet(events, registry.events_path(identity_root, run_id))
    if outcome.evidence_rows or outcome.mode == "full":
        _write_evidence(con, publication, run_id, full=outcome.mode == "full")
    publication.parquet(outcome.queue, queue_path(identity_root))
    if outcome.overrides is not None:
        publication.parquet(outcome.overrides, overrides_path(identity_root))
    n, persons, households = con.execute(
        f"select count(*), count(distinct person_id), count(distinct household_id) from {records}"
    ).fetchall()[0]
    tiers = dict(con.execute(f"select match_tier, count(*) from {records} group by 1").fetchall())
    linkage = outcome.linkage
    summary = {
        "run_id": run_id,
        "mode": outcome.mode,
        "model_version": outcome.model_version,
        "records": int(n),
        "new_records": outcome.new_records,
        "persons": int(persons),
        "households": int(households),
        "tiers": {tier: int(tiers[tier]) for tier in sorted(tiers)},
        "nik_conflicts": len(linkage.conflicts) if linkage else 0,
        "blocking_pairs": linkage.blocking if linkage else {},
        "review_queue": len(outcome.queue),
        "events": {
            f"{entity}/{kind}": int(count)
            for (entity, kind), count in events.groupby(["entity", "kind"]).size().items()
        },
        "oversized_persons": _oversized(con, records),
        **outcome.extra,
    }
    return summary, publication


def _oversized(con: duckdb.DuckDBPyConnection, records: str) -> int:
    """Persons holding more records than there are source files: an alarm, logged."""
    limit, count, largest = con.execute(
        f"""
        with sizes as (select person_id, count(*) as n from {records} group by all),
             files as (select count(distinct source_period) as n from {records})
        select files.n, count(*) filter (where sizes.n > files.n), max(sizes.n)
        from sizes, files group by files.n
        """
    ).fetchall()[0]
    if count:
        log.warning(
            "%d persons hold more records than there are source files (%d); largest %d: "
            "check the review queue and `konvergensi explain`",
            count,
            limit,
            largest,
        )
    return int(count)
