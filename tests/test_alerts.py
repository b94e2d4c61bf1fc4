"""Failure alerts: composed from the task context, masked, logged, e-mailed or posted.

The delivery tests run a real failing ingest DAG with dag.test() and receive the alert on a
local SMTP server or HTTP webhook started by the test.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from konvergensi.alerts import FailureNotifier, alert_from_context
from konvergensi.demo import run_date_for
from tests.receivers import SmtpReceiver, WebhookReceiver
from tests.samples import excel_damage_ids, generate_sample, landed_file, rename_column

LONG_DIGITS = re.compile(r"\d{12,}")
NIK = "5301244309900007"


def _context(data_root: Path, exception: Exception) -> dict:
    """A task context like Airflow's, for a failed `validate` of kemenkop_ukm 2026-09."""
    report = data_root / "reports" / "kemenkop_ukm" / "2026-09" / "abc123.html"
    report.parent.mkdir(parents=True)
    report.write_text("<html>report</html>")
    delivery = {
        "period": "2026-09",
        "original_name": "kemenkop_ukm_2026-09_perbaikan.csv",
        "batch_id": "abc123",
    }
    ti = SimpleNamespace(
        dag_id="ingest_kemenkop_ukm",
        task_id="validate",
        map_index=-1,
        log_url="http://airflow.example/dags/ingest_kemenkop_ukm/runs/r1/tasks/validate",
        xcom_pull=lambda task_ids: delivery if task_ids == "archive" else None,
    )
    return {
        "ti": ti,
        "task_instance": ti,
        "params": {"source": "kemenkop_ukm", "period": "2026-09"},
        "dag_run": SimpleNamespace(run_id="r1"),
        "exception": exception,
    }


def test_alert_names_dag_task_ministry_file_reason_log_and_report(data_root: Path) -> None:
    error = ValueError(f"row 7: NIK {NIK} is shared by two people")
    alert = alert_from_context(_context(data_root, error))
    text = alert.text()
    assert alert.subject == (
        "[Konvergensi] ingest_kemenkop_ukm.validate failed (Kementerian Koperasi dan UKM)"
    )
    for expected in (
        "DAG: ingest_kemenkop_ukm",
        "Task: validate",
        "Ministry: Kementerian Koperasi dan UKM",
        "Period: 2026-09",
        "File: kemenkop_ukm_2026-09_perbaikan.csv",
        "Reason: row 7: NIK 530124********** is shared by two people",
        "Log: http://airflow.example/dags/ingest_kemenkop_ukm/runs/r1/tasks/validate",
        f"Quality report: {data_root / 'reports/kemenkop_ukm/2026-09/abc123.html'}",
    ):
        assert expected in text, f"missing {expected!r} in:\n{text}"
    assert NIK not in text and NIK not in json.dumps(alert.payload())


def test_without_a_connection_the_alert_is_logged_once(
    data_root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="konvergensi.alerts")
    FailureNotifier(conn_id="konvergensi_alerts_not_configured")(
        _context(data_root, RuntimeError("boom"))
    )
    alerts = [r for r in caplog.records if r.getMessage().startswith("[Konvergensi]")]
    assert len(alerts) == 1 and "Reason: boom" in alerts[0].getMessage()
    assert any("log only (no connection configured)" in r.getMessage() for r in caplog.records)


def test_a_connection_of_another_type_is_reported(
    data_root: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_KONVERGENSI_ALERTS", '{"conn_type": "generic"}')
    FailureNotifier()(_context(data_root, RuntimeError("boom")))
    assert any("use smtp, http or https" in r.getMessage() for r in caplog.records)


def test_an_unreachable_channel_is_reported_but_does_not_raise(
    data_root: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_KONVERGENSI_ALERTS", "http://127.0.0.1:9/nobody-listens")
    FailureNotifier()(_context(data_root, RuntimeError("boom")))
    assert any("alert not delivered" in r.getMessage() for r in caplog.records)


@pytest.mark.airflow
def test_schema_drift_sends_one_readable_email(
    data_root: Path, fail_fast_dags: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = generate_sample(["kemenkop_ukm"], ["2026-09"])
    rename_column(landed_file(summary, "kemenkop_ukm", "2026-09"), "no_ktp", "nomor_ktp")
    with SmtpReceiver() as smtp:
        monkeypatch.setenv(
            "AIRFLOW_CONN_KONVERGENSI_ALERTS",
            f"smtp://127.0.0.1:{smtp.port}?disable_ssl=true&disable_tls=true"
            "&from_email=airflow%40konvergensi.test&to=ops%40konvergensi.test",
        )
        run = fail_fast_dags["ingest_kemenkop_ukm"].test(logical_date=run_date_for("2026-09"))
        messages = smtp.messages
    assert str(run.state) == "failed"
    assert len(messages) == 1, [m["Subject"] for _, m in messages]
    envelope, message = messages[0]
    assert "ops@konvergensi.test" in envelope["rcpt"][0]
    assert message["Subject"] == (
        "[Konvergensi] ingest_kemenkop_ukm.stage failed (Kementerian Koperasi dan UKM)"
    )
    body = message.get_body().get_content()
    for expected in (
        "Task: stage",
        "File: kemenkop_ukm_2026-09.csv",
        "Period: 2026-09",
        "column `no_ktp` not found in kemenkop_ukm_2026-09.csv",
        "Log: http://",
        "/dags/ingest_kemenkop_ukm/runs/",
    ):
        assert expected in body, f"missing {expected!r} in:\n{body}"
    assert not LONG_DIGITS.search(body)


@pytest.mark.airflow
def test_failed_quality_gate_posts_one_webhook_with_the_report(
    data_root: Path, fail_fast_dags: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = generate_sample(["kemenkop_ukm"], ["2026-09"])
    excel_damage_ids(landed_file(summary, "kemenkop_ukm", "2026-09"))
    with WebhookReceiver() as hook:
        monkeypatch.setenv(
            "AIRFLOW_CONN_KONVERGENSI_ALERTS",
            json.dumps(
                {
                    "conn_type": "http",
                    "host": "127.0.0.1",
                    "port": hook.port,
                    "schema": "hooks/konvergensi",
                    "extra": {"headers": {"X-Alert-Token": "t0ken"}},
                }
            ),
        )
        run = fail_fast_dags["ingest_kemenkop_ukm"].test(logical_date=run_date_for("2026-09"))
        requests = hook.requests
    assert str(run.state) == "failed"
    assert len(requests) == 1
    (request,) = requests
    assert request["path"] == "/hooks/konvergensi"
    assert request["headers"]["X-Alert-Token"] == "t0ken"
    alert = request["json"]
    assert alert["dag_id"] == "ingest_kemenkop_ukm" and alert["task"] == "validate"
    assert alert["ministry"] == "Kementerian Koperasi dan UKM"
    assert alert["file"] == "kemenkop_ukm_2026-09.csv"
    assert "failed its quality gate" in alert["reason"]
    assert alert["report"].endswith(".html") and Path(alert["report"]).exists()
    assert alert["text"].startswith("[Konvergensi] ingest_kemenkop_ukm.validate failed")
    assert not LONG_DIGITS.search(json.dumps(alert))
