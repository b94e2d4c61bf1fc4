"""Light helpers the DAG files share: assets, default arguments, periods from the run context.

Imported at DAG parse time, so it must stay cheap: no pandas, Great Expectations or splink.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import Asset

from konvergensi.alerts import on_failure
from konvergensi.periods import check_period, previous_period

# Every schedule is read in Indonesia's western time zone: "the 1st at 06:00" is 06:00 WIB.
TIMEZONE = "Asia/Jakarta"
START_DATE = pendulum.datetime(2026, 1, 1, tz=TIMEZONE)
# Pool that caps how many memory-heavy steps (staging, validation, resolution, warehouse build)
# run at once on the whole cluster; created by `make airflow`, docker compose and the tests.
HEAVY_POOL = "konvergensi_heavy"
HEAVY_POOL_SLOTS = 2
# How long a scheduled ingest run waits (deferred, in the triggerer) for the period's file.
LANDING_WAIT_HOURS = 72
# The Airflow connection whose password is the pseudonymisation key (HMAC secret).
PSEUDONYM_CONN_ID = "konvergensi_pseudonym_key"
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
    """The period a run ingests: the `period` param if given, else the one before the run date.

    The run date is taken in WIB: the run of 1 November 06:00 WIB (31 October 23:00 UTC)
    ingests October.
    """
    requested = (context.get("params") or {}).get("period")
    if requested:
        return check_period(requested, cadence)
    when = context.get("logical_date") or context["dag_run"].run_after
    return previous_period(pendulum.instance(when).in_timezone(TIMEZONE), cadence)


def pseudonym_key() -> bytes:
    """The pseudonymisation key from its Airflow connection.

    A missing connection raises the same "no pseudonymisation key" MissingKeyError as an empty
    password, the message the warehouse DAG's docs tell operators how to fix.
    """
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    from konvergensi.privacy.pseudonym import check_key

    try:
        password = BaseHook.get_connection(PSEUDONYM_CONN_ID).password
    except AirflowNotFoundException:
        password = None
    return check_key(password)
