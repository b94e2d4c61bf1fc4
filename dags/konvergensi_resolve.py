"""Identity resolution DAG: runs whenever any source publishes a validated batch."""

from __future__ import annotations

from airflow.sdk import DAG, AssetAny, task

from konvergensi.airflow_support import (
    HEAVY_POOL,
    IDENTITY_ASSET,
    START_DATE,
    default_args,
    staged_asset,
)
from konvergensi.config import settings
from konvergensi.valid_contracts import load_each

with DAG(
    dag_id="resolve_identities",
    description="Link every accepted record to one person and one household",
    # Valid contracts only: an invalid one has its own failing `ingest_<file>` DAG.
    schedule=AssetAny(*(staged_asset(c.source) for c in load_each(settings().contracts_dir)[0])),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args("konvergensi"),
    tags=["konvergensi", "identity"],
    doc_md="""
### Resolve identities

Triggered when any source's ingest DAG publishes a validated batch. Reads the current (last
good) batch of every source and period from `staging/` and links records to persons in tiers:
the same valid NIK (a NIK shared by clearly different people is held for review), NIKs one
edit apart with agreeing name, birth date and village, then a splink model for records
without a usable NIK. Households link through KK, register family and shared members. Writes
the restricted `identity/` zone (links, stable-ID registry, evidence, review queue, models) and
updates the asset `konvergensi_identity`, which triggers the warehouse build. A source that
has not delivered does not block the others. Details: `docs/resolution.md`.

By hand: `python -m konvergensi explain KEY KEY` (why two records are one person),
`review export PATH` / `review import PATH --reviewer NAME` (clerical review),
`retrain` (deliberate model retraining), `resolve --full` (relink everything).

A contract file that does not load stops this task: it fails naming the file and the problem
(the stand-in `ingest_<file>` DAG shows the same), because resolving without that source would
drop its records from the links. The previous links stay; fix the file and clear the task.

**When it fails**: "no validated batch" means no ingest DAG has succeeded yet: run them first.
A warning about an oversized person points at a bad NIK or a weak link: export the review
queue. Memory errors on large runs: see `docs/benchmarks.md`. Clear and re-run after fixing:
the task is idempotent (a run killed while publishing is finished by the next one). A task
that runs much longer than usual may be waiting for the identity zone's lock
(`identity/.lock`), held by a `resolve`, `review import` or `retrain` started by hand.
""",
) as dag:

    @task(pool=HEAVY_POOL, outlets=[IDENTITY_ASSET])
    def resolve() -> dict:
        """Resolve identities over all current batches."""
        from konvergensi.pipeline import resolve as run_resolve

        return run_resolve()

    resolve()
