"""Warehouse DAG: builds and publishes a new snapshot whenever identities are re-resolved."""

from __future__ import annotations

from airflow.sdk import DAG, BaseHook, task

from konvergensi.airflow_support import (
    HEAVY_POOL,
    IDENTITY_ASSET,
    START_DATE,
    WAREHOUSE_ASSET,
    default_args,
)

PSEUDONYM_CONN_ID = "konvergensi_pseudonym_key"

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

**When it fails**: the previous snapshot stays current and intact. "no pseudonymisation key":
create the Airflow connection `konvergensi_pseudonym_key` with a random secret as password
(never put it in code). Otherwise read the log, fix, and clear the task: it is idempotent.
""",
) as dag:

    @task(pool=HEAVY_POOL, outlets=[WAREHOUSE_ASSET])
    def build() -> dict:
        """Build and publish a warehouse snapshot."""
        from konvergensi.pipeline import build_warehouse

        key = BaseHook.get_connection(PSEUDONYM_CONN_ID).password
        return build_warehouse(key.encode() if key else b"")

    build()
