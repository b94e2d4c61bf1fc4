"""Ingest DAGs, one per source contract in contracts/: landing -> raw -> staging -> quality gate.

Adding a ministry is adding a contract file: this module turns every contract into a DAG named
`ingest_<source>`. Parsing reads only the small YAML contracts; all heavy work happens in tasks.
"""

from __future__ import annotations

from airflow.sdk import DAG, Param, task
from airflow.sdk.exceptions import AirflowSkipException

from konvergensi.airflow_support import (
    HEAVY_POOL,
    LANDING_WAIT_HOURS,
    START_DATE,
    default_args,
    staged_asset,
)
from konvergensi.config import settings
from konvergensi.contracts import Contract, load_contracts
from konvergensi.landing_wait import POKE_SECONDS, WaitForDelivery

SCHEDULES = {"monthly": "0 6 1 * *", "quarterly": "0 6 1 1,4,7,10 *"}

DOC = """
### Ingest `{source}`: {ministry}, {programme}

Runs {cadence} (and on demand). Takes the extract for the **previous {unit}** from
`landing/{source}/` (or `{source}/` under `KONVERGENSI_LANDING_URL` when the landing zone is on
object storage; file name `{pattern}`), archives it unchanged in `raw/` (content-addressed:
the same bytes are never loaded twice), stages it as typed Parquet with every value as sent
next to its standardised form, and runs the quality gate (Great Expectations).

**Tasks**: `wait_for_delivery` -> `archive` -> `stage` -> `validate` (publishes the batch;
updates the asset `konvergensi_staged_{source}`, which triggers identity resolution).
`wait_for_delivery` is deferred (purple, no worker slot used) while the file has not landed;
it waits up to `wait_hours` (param, default {wait_hours}) and then skips the run.

**When it fails**
- `wait_for_delivery` skipped: no file landed for the period within the wait. Nothing to do
  until the ministry delivers; other sources are not blocked, and `ingest_catchup` loads the
  file when it arrives.
- `stage` failed: the message names the file and the problem (missing or renamed column,
  empty/truncated/protected file). Fix the contract (`contracts/{source}.yaml`) if the ministry
  changed its layout, or ask them to resend; then clear the task.
- `validate` failed: a batch rule failed (too many unusable NIKs, Excel-damaged NIKs, volume
  change). The message links the HTML report under `reports/{source}/`. The warehouse keeps
  using the last good batch. Ask the ministry for a corrected file and drop it in landing.

Run for another period: trigger with `{{"period": "{example}"}}`. Re-running a period (clear,
trigger again, `airflow backfill create`) is safe: the same file gives the same batch, and the
warehouse never counts a row twice.
"""


def build_ingest_dag(contract: Contract) -> DAG:
    """One ingest DAG for one source contract."""
    unit = "month" if contract.cadence == "monthly" else "quarter"
    with DAG(
        dag_id=f"ingest_{contract.source}",
        description=f"{contract.ministry}: {contract.programme}",
        schedule=SCHEDULES[contract.cadence],
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        default_args=default_args(contract.owner),
        tags=["konvergensi", "ingest", contract.source, contract.role],
        params={
            "source": Param(contract.source, type="string", const=contract.source),
            "period": Param(None, type=["null", "string"], description="YYYY-MM or YYYY-Qn"),
            "wait_hours": Param(
                LANDING_WAIT_HOURS,
                type="number",
                minimum=0,
                description="How long to wait for the file before skipping the run",
            ),
        },
        doc_md=DOC.format(
            source=contract.source,
            ministry=contract.ministry,
            programme=contract.programme,
            cadence=contract.cadence,
            unit=unit,
            pattern=contract.landing.pattern,
            example="2026-09" if unit == "month" else "2026-Q3",
            wait_hours=LANDING_WAIT_HOURS,
        ),
    ) as dag:
        wait = WaitForDelivery(
            task_id="wait_for_delivery",
            source=contract.source,
            cadence=contract.cadence,
            poke_seconds=POKE_SECONDS,
        )

        @task
        def archive(landed: dict) -> dict:
            """Archive the period's landed files in the raw zone."""
            from konvergensi.pipeline import archive_period

            period = landed["period"]
            delivery = archive_period(contract.source, period)
            if delivery is None:
                raise AirflowSkipException(
                    f"the file for {contract.source} {period} left the landing zone "
                    f"({contract.source}/) before it was archived "
                    f"(expected {contract.landing_name(period)})"
                )
            return delivery

        @task(pool=HEAVY_POOL)
        def stage(delivery: dict) -> dict:
            """Stage the newest delivery as typed Parquet."""
            from konvergensi.pipeline import stage as stage_delivery

            return stage_delivery(contract.source, delivery)

        @task(pool=HEAVY_POOL, outlets=[staged_asset(contract.source)])
        def validate(staged: dict) -> dict:
            """Quality gate: quarantine bad rows, fail the file on batch rules, publish."""
            from konvergensi.pipeline import validate as validate_batch

            return validate_batch(contract.source, staged["period"], staged["batch_id"])

        validate(stage(archive(wait.output)))
    return dag


for _contract in load_contracts(settings().contracts_dir):
    globals()[f"ingest_{_contract.source}"] = build_ingest_dag(_contract)
