"""Warehouse DAG: builds and publishes a new snapshot whenever identities are re-resolved."""

from __future__ import annotations

from airflow.sdk import DAG, task
from airflow.sdk.exceptions import AirflowSkipException

from konvergensi.airflow_support import (
    HEAVY_POOL,
    IDENTITY_ASSET,
    START_DATE,
    WAREHOUSE_ASSET,
    default_args,
    pseudonym_key,
)

with DAG(
    dag_id="build_warehouse",
    description="Build the convergence warehouse snapshot and switch readers to it",
    schedule=[IDENTITY_ASSET],
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args("konvergensi"),
    tags=["konvergensi", "warehouse"],
    doc_md="""
### Build the convergence warehouse

Triggered by the identity asset. Runs the SQL models (staging -> intermediate -> marts) in
DuckDB over the current batch of every source, writes a new snapshot under
`warehouse/snapshots/<build>/`, then switches `warehouse/CURRENT` and the views in
`warehouse/warehouse.duckdb` to it in one step. Readers never see half a build.

`copy_to_object_storage` then copies the published snapshot to `KONVERGENSI_WAREHOUSE_URL`
(`<url>/snapshots/<build>/`, then the `<url>/CURRENT` object last); it is skipped when that
variable is not set (the warehouse is then only on the data volume).

**When it fails**: the previous snapshot stays current and intact. "no pseudonymisation key"
(or "... is shorter than 16 bytes"): create the Airflow connection `konvergensi_pseudonym_key`
with a random secret of at least 16 bytes as password (never put it in code). "contract
file(s) ... do not load": a snapshot without that source would lose its records; fix the named
file in `contracts/` and clear the task. "no identity links", "records without an identity
link" or "... is missing: re-run resolve_identities": run `resolve_identities` (its success
triggers this DAG again). Otherwise read the log, fix, and clear the task: it is idempotent.
`copy_to_object_storage` failed: the local warehouse is published and fine; the bucket still
names the previous snapshot in `CURRENT`. Check the bucket and the connection
(`KONVERGENSI_OBJECT_STORAGE_CONN_ID`, default `aws_default`), then clear the task: it copies
only what is missing.
""",
) as dag:

    @task(pool=HEAVY_POOL, outlets=[WAREHOUSE_ASSET])
    def build() -> dict:
        """Build and publish a warehouse snapshot."""
        from konvergensi.pipeline import build_warehouse

        return build_warehouse(pseudonym_key())

    @task
    def copy_to_object_storage() -> dict:
        """Copy the published snapshot to object storage for analysts, CURRENT last."""
        from konvergensi.pipeline import copy_warehouse

        copied = copy_warehouse()
        if copied is None:
            raise AirflowSkipException(
                "KONVERGENSI_WAREHOUSE_URL is not set: the warehouse is only published on the "
                "data volume"
            )
        return copied

    build() >> copy_to_object_storage()
