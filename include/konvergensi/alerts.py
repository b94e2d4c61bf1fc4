"""Failure alerts: one readable message per failed task, without personal data.

The message names the DAG, task, ministry, file, period, the reason and where to look (task
log, quality report). It is always logged, and sent through the Airflow connection
`konvergensi_alerts` (SMTP or webhook, see `alert_delivery`) when that connection exists.
Imported at DAG parse time: stays light (no pandas, no provider imports at module level).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any

from airflow.sdk import BaseNotifier

from konvergensi.privacy.masking import scrub

log = logging.getLogger(__name__)
ALERTS_CONN_ID = "konvergensi_alerts"
MAX_REASON_CHARS = 2000


@dataclass(frozen=True)
class Alert:
    """What an operator needs to know about one failed task."""

    dag_id: str
    task: str
    run_id: str
    ministry: str
    source: str
    period: str
    file: str
    reason: str
    log_url: str
    report: str

    @property
    def subject(self) -> str:
        """One line: which DAG and task failed, for which ministry."""
        who = f" ({self.ministry})" if self.ministry != "-" else ""
        return f"[Konvergensi] {self.dag_id}.{self.task} failed{who}"

    def text(self) -> str:
        """The full message, one fact per line."""
        return "\n".join(
            [
                self.subject,
                f"DAG: {self.dag_id}",
                f"Task: {self.task}",
                f"Run: {self.run_id}",
                f"Ministry: {self.ministry}",
                f"Source: {self.source}",
                f"Period: {self.period}",
                f"File: {self.file}",
                f"Reason: {self.reason}",
                f"Log: {self.log_url}",
                f"Quality report: {self.report}",
                "What to do: read the log, then 'When it fails' in the DAG's docs (Airflow UI).",
            ]
        )

    def payload(self) -> dict[str, str]:
        """JSON body for webhooks: `text` (what chat tools display) plus every field."""
        return {"text": self.text(), **asdict(self)}


def _task_label(ti: Any) -> str:
    """Task id, with the readable label of a mapped task instance (`trigger_ingest[...]`)."""
    label = getattr(ti, "rendered_map_index", None)
    map_index = getattr(ti, "map_index", -1)
    task_id = getattr(ti, "task_id", "?")
    if map_index is not None and map_index >= 0:
        return f"{task_id}[{label or map_index}]"
    return task_id


def _delivered_file(ti: Any) -> dict:
    """The archive task's delivery record of this run, if it got that far."""
    try:
        found = ti.xcom_pull(task_ids="archive")
    except Exception:
        return {}
    return found if isinstance(found, dict) else {}


def _report(source: str, period: str, batch_id: str | None) -> str:
    """The batch's HTML quality report, else the reports index, else '-'."""
    from konvergensi.config import settings

    reports = settings().zone("reports")
    if batch_id and (reports / source / period / f"{batch_id}.html").exists():
        return str(reports / source / period / f"{batch_id}.html")
    index = reports / "index.html"
    return f"{index} (no report for this batch)" if index.exists() else "- (none written)"


def _source_details(context: dict[str, Any], source: str, ti: Any) -> dict[str, str]:
    """Ministry, period, file and report of an ingest DAG's run."""
    from konvergensi.airflow_support import period_from_context
    from konvergensi.config import settings
    from konvergensi.contracts import load_contract

    contract = load_contract(settings().contracts_dir / f"{source}.yaml")
    delivery = _delivered_file(ti)
    period = delivery.get("period") or period_from_context(context, contract.cadence)
    file = delivery.get("original_name") or f"{contract.landing_name(period)} (expected)"
    return {
        "ministry": contract.ministry,
        "period": period,
        "file": file,
        "report": _report(source, period, delivery.get("batch_id")),
    }


def alert_from_context(context: dict[str, Any]) -> Alert:
    """Build the alert from an Airflow task context (missing details become '-')."""
    ti = context.get("task_instance") or context.get("ti")
    params = context.get("params") or {}
    source = str(params.get("source") or "-")
    details = {"ministry": "-", "period": "-", "file": "-", "report": "-"}
    if source != "-":
        try:
            details = _source_details(context, source, ti)
        except Exception as exc:
            log.warning("alert: no source details for %s: %s", source, scrub(str(exc)))
    exception = context.get("exception")
    reason = scrub(str(exception))[:MAX_REASON_CHARS] if exception else "no exception recorded"
    dag_run = context.get("dag_run")
    return Alert(
        dag_id=getattr(ti, "dag_id", None) or getattr(context.get("dag"), "dag_id", "?"),
        task=_task_label(ti),
        run_id=getattr(dag_run, "run_id", None) or str(context.get("run_id", "?")),
        source=source,
        reason=reason,
        log_url=getattr(ti, "log_url", None) or "-",
        **details,
    )


class FailureNotifier(BaseNotifier):
    """Failure callback: log the alert, then deliver it (never raises over the task's error)."""

    def __init__(self, conn_id: str = ALERTS_CONN_ID) -> None:
        super().__init__()
        self.conn_id = conn_id

    def notify(self, context: dict[str, Any]) -> None:
        """Compose, log and deliver one alert."""
        from konvergensi.alert_delivery import deliver

        try:
            alert = alert_from_context(context)
        except Exception:
            log.exception("could not compose the failure alert")
            return
        log.error("%s", alert.text())
        try:
            channel = deliver(alert, self.conn_id)
        except Exception as exc:
            log.error("alert not delivered via connection %s: %s", self.conn_id, scrub(str(exc)))
            return
        log.info("alert delivered via %s", channel)


on_failure = FailureNotifier()
