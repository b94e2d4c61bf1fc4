"""Ingest DAGs, one per source contract in contracts/: landing -> raw -> staging -> quality gate.

Adding a ministry is adding a contract file: this module turns every contract into a DAG named
`ingest_<source>`. Contracts load one by one: an invalid file gives a stand-in DAG that names
the file and the problem (and fails when it runs), and never takes the other sources down.
Parsing reads only the small YAML contracts; all heavy work happens in tasks.
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
from konvergensi.contracts import Contract
from konvergensi.landing_wait import POKE_SECONDS, WaitForDelivery
from konvergensi.periods import period_pattern
from konvergensi.valid_contracts import InvalidContract, load_each

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
`wait_for_delivery` is deferred (purple, no worker slot used) while the file has not landed or
is still being uploaded (it decides on the newest non-empty file, the one `archive` loads; that
file counts once it kept its size and time for `KONVERGENSI_LANDING_SETTLE_SECONDS`, default
30 s; empty files are ignored); it waits up to `wait_hours` (param, default {wait_hours}) and
then skips the run.

**When it fails**
- `wait_for_delivery` skipped: no file landed for the period within the wait (or the file
  stayed empty or kept changing: ask for it again). Nothing to do until the ministry delivers;
  other sources are not blocked, and `ingest_catchup` loads the file when it arrives.
- `archive` failed with "has exactly the bytes already delivered for ...": the ministry sent
  another period's file again; ask for this period's extract and drop it in landing.
- `stage` failed: the message names the file and the problem (missing or renamed column,
  wrong delimiter, mixed encodings, empty/truncated/protected file; `docs/ingestion.md`). Fix
  the contract (`contracts/{source}.yaml`) if the ministry changed its layout, or ask them to
  resend; then clear the task.
- `validate` failed: a batch rule failed (too many unusable NIKs, Excel-damaged NIKs, volume
  change). The message links the HTML report under `reports/{source}/`. The warehouse keeps
  using the last good batch. Ask the ministry for a corrected file and drop it in landing.
  A message "was not validated: rule ... on column ..." means the contract's rule names a
  column the batch lacks (or GX could not run it): fix `contracts/{source}.yaml`, clear the task.
  "was staged by another version of the pipeline": clear `stage` with its downstream tasks.
- `validate` succeeded with `published: false`: the batch passed, but a file of the period
  that landed later is current and stays so. To make this file current again, drop it in
  landing once more (the newest delivery wins).

Run for another period: trigger with `{{"period": "{example}"}}`. Re-running a period (clear,
trigger again, `airflow backfill create`) is safe: the same file gives the same batch, and the
warehouse never counts a row twice.
"""


def build_ingest_dag(contract: Contract) -> DAG:
    """One ingest DAG for one source contract."""
    unit = "month" if contract.cadence == "monthly" else "quarter"
    shape = "YYYY-MM" if unit == "month" else "YYYY-Qn"
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
            "period": Param(
                None,
                type=["null", "string"],
                pattern=period_pattern(contract.cadence),
                description=f"The period to load ({shape}); empty: the one before the run date",
            ),
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


INVALID_DOC = """
### Contract `{file}` is invalid: this source is not ingested

`{path}` could not be loaded:

    {error}

Nothing of this source is archived, staged or validated until the file is fixed; every other
source's ingest DAG carries on. Identity resolution and the warehouse build fail, naming this
file, until it is fixed (without it they would drop this source's records); clear them after.

**When it fails**: this DAG's only task, `contract_invalid`, fails on purpose (daily, while
the DAG is unpaused) so the alert reaches the operators. Fix the contract (compare it with
another file in `contracts/` and with `docs/ingestion.md`); once it loads, the real
`{dag_id}` DAG replaces this one at the next parse.
"""


def build_invalid_contract_dag(invalid: InvalidContract) -> DAG:
    """A stand-in DAG for a contract file that does not load: names the file and the reason."""
    with DAG(
        dag_id=invalid.dag_id,
        description=f"INVALID CONTRACT {invalid.path.name}: fix it to ingest this source",
        schedule="0 6 * * *",
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        default_args=default_args("konvergensi"),
        tags=["konvergensi", "ingest", "invalid_contract"],
        doc_md=INVALID_DOC.format(
            file=invalid.path.name, path=invalid.path, error=invalid.error, dag_id=invalid.dag_id
        ),
    ) as dag:

        @task
        def contract_invalid() -> None:
            """Fail with the contract's problem, so the failure alert names it."""
            from konvergensi.contracts import ContractError

            raise ContractError(
                f"{invalid.error}. Until {invalid.path} is fixed, this source is not ingested "
                "and identity resolution and the warehouse build stop (other sources' ingest "
                "DAGs carry on); once it loads, clear the failed resolve and build tasks"
            )

        contract_invalid()
    return dag


_valid, _invalid = load_each(settings().contracts_dir)
for _contract in _valid:
    globals()[f"ingest_{_contract.source}"] = build_ingest_dag(_contract)
for _bad in _invalid:
    globals()[_bad.dag_id] = build_invalid_contract_dag(_bad)
