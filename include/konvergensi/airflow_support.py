"""Light helpers the DAG files share: assets, default arguments, periods from the run context.

Imported at DAG parse time, so it must stay cheap: no pandas, Great Expectations or splink.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from airflow.sdk import Asset

from konvergensi.alerts import on_failure
from konvergensi.periods import check_period, previous_period

IDENTITY_ASSET = Asset(name="konvergensi_identity", uri="konvergensi://identity/links")
WAREHOUSE_ASSET = Asset(name="konvergensi_warehouse", uri="konvergensi://warehouse/current")


def staged_asset(source: str) -> Asset:
    """The asset a source's ingest DAG updates when a batch passes its quality gate."""
    return Asset(name=f"konvergensi_staged_{source}", uri=f"konvergensi://staging/{source}")


def default_args(owner: str) -> dict[str, Any]:
    """Task defaults every DAG uses: owner, retries (KONVERGENSI_TASK_RETRIES), failure alert."""
    return {
        "owner": owner,
        "retries": int(os.environ.get("KONVERGENSI_TASK_RETRIES", "2")),
        "retry_delay": timedelta(minutes=5),
        "retry_exponential_backoff": True,
        "on_failure_callback": on_failure,
    }


def period_from_context(context: dict[str, Any], cadence: str) -> str:
    """The period a run ingests: the `period` param if given, else the one before the run date."""
    requested = (context.get("params") or {}).get("period")
    if requested:
        return check_period(requested, cadence)
    when = context.get("logical_date") or context["dag_run"].run_after
    return previous_period(when, cadence)
