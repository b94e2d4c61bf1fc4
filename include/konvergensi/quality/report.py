"""Validation reports that render fully offline: one HTML + JSON per batch, and an index.

Great Expectations' Data Docs load their styles and scripts from CDNs, so we render our own
self-contained HTML. Values shown to operators are masked (NIK/KK digits, names).
"""

from __future__ import annotations

import html
import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from konvergensi.privacy.masking import mask_id, mask_name

if TYPE_CHECKING:
    from konvergensi.quality.gate import GateSummary

SAMPLE_ROWS = 50
_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#1b1f24}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccd;padding:.3rem .6rem}
th{background:#eef}.passed{color:#176f2c;font-weight:600}.failed{color:#b3261e;font-weight:600}
.warn{color:#8a5a00}code{background:#f4f4f8;padding:0 .2rem}
"""


def _mask(column: str | None, value: object) -> str:
    if value is None or pd.isna(value):
        return ""
    if column in {"nik_raw", "kk_raw", "nik", "kk"}:
        return mask_id(value)
    if column in {"full_name"}:
        return mask_name(value)
    return str(value)


def _page(title: str, body: str) -> str:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body>{body}</body></html>"
    )


def _not_published(summary: GateSummary) -> str:
    """A note for a passed batch the gate did not publish (a later file is current)."""
    if summary.status != "passed" or summary.published:
        return ""
    return " (not published: a file of this period that landed later is current)"


def _batch_html(summary: GateSummary, violations: pd.DataFrame) -> str:
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(c['rule'])}</td><td>{c['level']}</td><td class="
        f"'{'warn' if c['severity'] == 'warn' else ''}'>{c['severity']}</td>"
        f"<td>{e(c['description'])}</td><td class='{'passed' if c['success'] else 'failed'}'>"
        f"{'ok' if c['success'] else 'FAILED'}</td><td>{e(c['outcome'])}</td>"
        f"<td>{e(c['fix'])}</td></tr>"
        for c in summary.checks
    )
    sample = violations.head(SAMPLE_ROWS)
    sample_rows = "".join(
        f"<tr><td>{r['_row_number']}</td><td>{e(r['rule'])}</td><td>{r['severity']}</td>"
        f"<td>{e(str(r['column']))}</td><td><code>{e(_mask(r['column'], r['value']))}</code></td>"
        f"<td>{e('' if pd.isna(r['reason']) else str(r['reason']))}</td></tr>"
        for r in sample.to_dict("records")
    )
    return _page(
        f"{summary.source} {summary.period}",
        f"<h1>{e(summary.ministry)}: {e(summary.source)} {e(summary.period)}</h1>"
        f"<p>File <code>{e(summary.file_name)}</code>, batch <code>{summary.batch_id}</code>: "
        f"<span class='{summary.status}'>{summary.status.upper()}</span>{_not_published(summary)}"
        "</p>"
        f"<p>Read {summary.rows_read}, accepted {summary.rows_accepted} "
        f"({summary.rows_flagged} with warnings), quarantined {summary.rows_quarantined}; "
        f"{summary.rows_rejected_at_staging} records could not be parsed at all (kept with "
        "their reason in the batch's <code>rejected.parquet</code>).</p>"
        f"<h2>Checks</h2><table><tr><th>rule</th><th>level</th><th>severity</th>"
        f"<th>what it checks</th><th>result</th><th>outcome</th><th>what to do</th></tr>"
        f"{rows}</table><h2>Failing rows (first {SAMPLE_ROWS} of {len(violations)}, values "
        f"masked)</h2><table><tr><th>row</th><th>rule</th><th>severity</th><th>column</th>"
        f"<th>value</th><th>reason</th></tr>{sample_rows}</table>"
        "<p>All quarantined rows, with every reason, are in the quarantine zone "
        "(<code>records.parquet</code>, <code>violations.parquet</code>).</p>",
    )


def _relative_link(report_html: str) -> str:
    """Link from reports/index.html to reports/<source>/<period>/<batch>.html."""
    path = Path(report_html)
    return path.relative_to(path.parents[2]).as_posix()


def _index_html(latest: list[dict]) -> str:
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(s['ministry'])}</td><td>{e(s['source'])}</td><td>{e(s['period'])}</td>"
        f"<td><a href='{e(_relative_link(s['report_html']))}'>"
        f"{e(s['file_name'])}</a></td><td class='{s['status']}'>{s['status']}</td>"
        f"<td>{s['rows_read']}</td><td>{s['rows_accepted']}</td><td>{s['rows_quarantined']}</td>"
        "</tr>"
        for s in latest
    )
    return _page(
        "Konvergensi validation",
        "<h1>Latest validation per source</h1><table><tr><th>ministry</th><th>source</th>"
        "<th>period</th><th>file</th><th>status</th><th>read</th><th>accepted</th>"
        f"<th>quarantined</th></tr>{rows}</table>",
    )


def write_reports(summary: GateSummary, violations: pd.DataFrame, reports_root: Path) -> None:
    """Write the batch's HTML and JSON reports and refresh the index of latest statuses."""
    folder = reports_root / summary.source / summary.period
    folder.mkdir(parents=True, exist_ok=True)
    summary.report_html = str(folder / f"{summary.batch_id}.html")
    summary.report_json = str(folder / f"{summary.batch_id}.json")
    Path(summary.report_html).write_text(_batch_html(summary, violations), encoding="utf-8")
    Path(summary.report_json).write_text(json.dumps(asdict(summary), indent=2))
    (reports_root / summary.source / "latest.json").write_text(json.dumps(asdict(summary)))
    latest = [json.loads(p.read_text()) for p in sorted(reports_root.glob("*/latest.json"))]
    (reports_root / "index.html").write_text(_index_html(latest), encoding="utf-8")
