"""Catch-up DAG: every hour, start the ingest DAG for each landed file that was never loaded."""

from __future__ import annotations

from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
from airflow.sdk import DAG, task

from konvergensi.airflow_support import START_DATE, default_args

with DAG(
    dag_id="ingest_catchup",
    description="Load late and corrected deliveries: one ingest run per pending file",
    schedule="15 * * * *",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args("konvergensi"),
    tags=["konvergensi", "ingest"],
    doc_md="""
### Catch up on late and corrected deliveries

Every hour (and on demand) looks through `landing/<source>/` (or `<source>/` under
`KONVERGENSI_LANDING_URL` when the landing zone is on object storage) for files that were never
archived: a ministry that delivered after its scheduled run stopped waiting, or a corrected
re-delivery (`..._perbaikan.csv`). For each source and period it starts that source's
`ingest_<source>` DAG with `{"period": ...}`. The mapped `trigger_ingest` tasks are labelled
"ministry: file", so the grid shows which delivery each one started.

Triggering is idempotent: the run id is derived from the file (name, size, time), so a file
is never started twice, and the ingest DAG itself recognises bytes it has already archived.

A contract file that does not load is left out: `find_pending` logs a warning naming it, and
its stand-in `ingest_<file>` DAG fails until it is fixed (`docs/operations.md`).

**When it fails**: `find_pending` failed: the landing folder is unreadable (check the volume or
bucket). A `trigger_ingest` task failed: the ingest DAG is missing (a contract was removed) or
the metadata DB refused the run; read the log and clear the task.
""",
) as dag:

    @task
    def find_pending() -> list[dict]:
        """Landed files not yet archived, one per source and period."""
        from konvergensi.catchup import pending_deliveries
        from konvergensi.config import settings
        from konvergensi.storage import landing_root
        from konvergensi.valid_contracts import valid_contracts

        s = settings()
        return [
            {
                "trigger_dag_id": f"ingest_{p['source']}",
                "trigger_run_id": p["run_id"],
                "conf": {"period": p["period"], "file": p["file"], "ministry": p["ministry"]},
            }
            for p in pending_deliveries(
                valid_contracts(s.contracts_dir), landing_root(), s.zone("raw")
            )
        ]

    TriggerDagRunOperator.partial(
        task_id="trigger_ingest",
        skip_when_already_exists=True,
        map_index_template="{{ task.conf['ministry'] }}: {{ task.conf['file'] }}",
    ).expand_kwargs(find_pending())
