"""Send an alert through the Airflow connection that configures the channel.

Connection type `smtp`: an e-mail through the SMTP provider's hook (recipients in the extra
field `to`, comma-separated). Type `http`/`https`: a JSON POST to the webhook URL (optional
extra `headers`). No connection: nothing is sent (the alert is still logged by the notifier).
"""

from __future__ import annotations

import html
import json
import urllib.request
from typing import Any

from konvergensi.alerts import Alert

WEBHOOK_TIMEOUT_SECONDS = 10


def _connection(conn_id: str) -> Any | None:
    """The connection, or None when it is not configured (an empty AIRFLOW_CONN_* is none)."""
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        return BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        return None


def webhook_url(conn: Any) -> str:
    """Full URL of a webhook connection, from either the URI or the JSON connection form."""
    host = conn.host or ""
    if "://" in host:
        return host
    scheme = "https" if conn.conn_type == "https" else "http"
    port = f":{conn.port}" if conn.port else ""
    path = (conn.schema or "").lstrip("/")
    return f"{scheme}://{host}{port}/{path}"


def post_webhook(conn: Any, alert: Alert) -> None:
    """POST the alert as JSON; raises on a non-2xx answer."""
    headers = {"Content-Type": "application/json", **conn.extra_dejson.get("headers", {})}
    request = urllib.request.Request(
        webhook_url(conn),
        data=json.dumps(alert.payload()).encode(),
        headers=headers,
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:
        if not 200 <= response.status < 300:
            raise RuntimeError(f"webhook answered HTTP {response.status}")


def send_email(conn_id: str, conn: Any, alert: Alert) -> None:
    """E-mail the alert to the addresses in the connection's extra `to`."""
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    recipients = [a.strip() for a in str(conn.extra_dejson.get("to", "")).split(",") if a.strip()]
    if not recipients:
        raise ValueError(f"connection {conn_id} has no recipients: set the extra field 'to'")
    body = f"<pre>{html.escape(alert.text())}</pre>"
    with SmtpHook(smtp_conn_id=conn_id) as hook:
        hook.send_email_smtp(to=recipients, subject=alert.subject, html_content=body)


def deliver(alert: Alert, conn_id: str) -> str:
    """Send the alert through the connection's channel; returns the channel used."""
    conn = _connection(conn_id)
    if conn is None:
        return "log only (no connection configured)"
    if conn.conn_type == "smtp":
        send_email(conn_id, conn, alert)
        return "e-mail"
    if conn.conn_type in ("http", "https"):
        post_webhook(conn, alert)
        return "webhook"
    raise ValueError(f"connection {conn_id} has type {conn.conn_type!r}; use smtp, http or https")
