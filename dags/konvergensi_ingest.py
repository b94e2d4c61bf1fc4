"""Ingest DAGs, one per source contract in contracts/: landing -> raw -> staging -> quality gate.

Adding a ministry is adding a contract file: this module turns every contract into a DAG named
`ingest_<source>`. Parsing reads only the small YAML contracts; all heavy work happens in tasks.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, Param, task
from airflow.sdk.exceptions import AirflowSkipException

from konvergensi.airflow_support import default_args, period_from_context, staged_asset
from konvergensi.config import settings
from konvergensi.contracts import Contract, load_contracts

SCHEDULES = {"monthly": "0 6 1 * *", "quarterly": "0 6 1 1,4,7,10 *"}

DOC = """
### Ingest `{source}`: {ministry}, {programme}

Runs {cadence} (and on demand). Takes the extract for the **previous {unit}** from
`landing/{source}/` (file name `{pattern}`), archives it unchanged in `raw/` (content-addressed:
the same bytes are never loaded twice), stages it as typed Parquet with every value as sent
next to its standardised form, and runs the quality gate (Great Expectations).

**Tasks**: `archive` -> `stage` -> `validate` (publishes the batch; updates the asset
`konvergensi_staged_{source}`, which triggers identity resolution).

**When it fails**
- `archive` skipped: no file has landed for the period. Nothing to do until the ministry
  delivers; other sources are not blocked.
- `stage` failed: the message names the file and the problem (missing or renamed column,
  empty/truncated/protected file). Fix the contract (`contracts/{source}.yaml`) if the ministry
  changed its layout, or ask them to resend; then clear the task.
- `validate` failed: a batch rule failed (too many unusable NIKs, Excel-damaged NIKs, volume
  change). The message links the HTML report under `reports/{source}/`. The warehouse keeps
  using the last good batch. Ask the ministry for a corrected file and drop it in landing.

Run for another period: trigger with `{{"period": "{example}"}}`.
"""


def build_ingest_dag(contract: Contract) -> DAG:
    """One ingest DAG for one source contract."""
    unit = "month" if contract.cadence == "monthly" else "quarter"
    with DAG(
        dag_id=f"ingest_{contract.source}",
        description=f"{contract.ministry}: {contract.programme}",
        schedule=SCHEDULES[contract.cadence],
        start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Jakarta"),
        catchup=False,
        max_active_runs=1,
        default_args=default_args(contract.owner),
        tags=["konvergensi", "ingest", contract.source, contract.role],
        params={
            "source": Param(contract.source, type="string", const=contract.source),
            "period": Param(None, type=["null", "string"], description="YYYY-MM or YYYY-Qn"),
        },
        doc_md=DOC.format(
            source=contract.source,
            ministry=contract.ministry,
            programme=contract.programme,
            cadence=contract.cadence,
            unit=unit,
            pattern=contract.landing.pattern,
            example="2026-09" if unit == "month" else "2026-Q3",
        ),
    ) as dag:

        @task
        def archive(**context) -> dict:
            """Archive the period's landed files in the raw zone."""
            from konvergensi.pipeline import archive_period

            period = period_from_context(context, contract.cadence)
            delivery = archive_period(contract.source, period)
            if delivery is None:
                raise AirflowSkipException(
                    f"no file for {contract.source} {period} in landing/{contract.source}/ "
                    f"(expected {contract.landing_name(period)})"
                )
            return delivery

        @task
        def stage(delivery: dict) -> dict:
            """Stage the newest delivery as typed Parquet."""
            from konvergensi.pipeline import stage as stage_delivery

            return stage_delivery(contract.source, delivery)

        @task(outlets=[staged_asset(contract.source)])
        def validate(staged: dict) -> dict:
            """Quality gate: quarantine bad rows, fail the file on batch rules, publish."""
            from konvergensi.pipeline import validate as validate_batch

            return validate_batch(contract.source, staged["period"], staged["batch_id"])

        validate(stage(archive()))
    return dag


for _contract in load_contracts(settings().contracts_dir):
    globals()[f"ingest_{_contract.source}"] = build_ingest_dag(_contract)
