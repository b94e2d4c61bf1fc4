"""The quality gate for one staged batch: quarantine, flag, judge the file, publish or refuse.

accepted + quarantined = read is checked on every batch. A failed batch rule raises
QualityGateError after the reports are written, and the batch is not published, so the
warehouse keeps using the last good batch of that source. A rule that cannot be checked (a
column the batch lacks, or a batch staged in an older stage format) raises RuleNotRunError
(`quality.unrunnable`) before anything is written. A passed batch never replaces a current one
whose bytes were delivered after its own (an old run cleared late); bytes delivered again count
from their latest delivery.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from konvergensi.contracts import Contract
from konvergensi.contracts.schema import PARSED_FIELDS
from konvergensi.ingest.archive import latest_deliveries
from konvergensi.periods import period_bounds
from konvergensi.quality.gx_runner import CheckNotRunError, CheckResult, run_checks
from konvergensi.quality.report import write_reports
from konvergensi.quality.rules import IN_PERIOD_COLUMN, batch_checks, row_checks
from konvergensi.quality.unrunnable import check_columns, check_stage_format, rule_not_run
from konvergensi.staging_zone import (
    batch_dir,
    current_batch,
    previous_period_of,
    publish_batch,
)

# The value an operator needs to see for a failed check on a derived column.
_VALUE_COLUMN = {
    "nik_status": "nik_raw",
    "kk_status": "kk_raw",
    "village_known": "village_code_raw",
    "_record_id_repeat": "source_record_id",
    "age": "birth_date_raw",
    "sex": "sex_raw",
    IN_PERIOD_COLUMN: "intervention_date",
    **{f"{field}_flag": f"{field}_raw" for field in PARSED_FIELDS},
}
_REASON_COLUMN = {"nik_status": "nik_reason", "kk_status": "kk_reason"}
# What a table-level check (no column) observed, in the operator's words.
_TABLE_OUTCOME = {"ExpectTableRowCountToBeBetween": "file has {:,} rows"}

log = logging.getLogger(__name__)


class QualityGateError(Exception):
    """A batch rule failed: the file is refused as a whole."""


@dataclass
class GateSummary:
    """Machine-readable outcome of one batch's validation."""

    source: str
    ministry: str
    period: str
    batch_id: str
    file_name: str
    status: str  # "passed" or "failed"
    rows_read: int
    rows_accepted: int
    rows_quarantined: int
    rows_flagged: int
    rows_rejected_at_staging: int = 0  # records the reader could not parse (rejected.parquet)
    checks: list[dict] = field(default_factory=list)
    failed_batch_rules: list[str] = field(default_factory=list)
    report_html: str = ""
    report_json: str = ""
    published: bool = False  # False when it passed but a file that landed later is current


def _previous_rows(staging_root: Path, contract: Contract, period: str) -> int | None:
    previous = previous_period_of(period, contract.cadence)
    batch = current_batch(staging_root, contract.source, previous)
    if batch is None:
        return None
    meta = batch_dir(staging_root, contract.source, previous, batch) / "staged.json"
    return json.loads(meta.read_text())["rows"] if meta.exists() else None


def _violations(frame: pd.DataFrame, results: list[CheckResult]) -> pd.DataFrame:
    """One row per (row, failed check): the rule, severity, column and the value as sent."""
    parts = []
    by_row = frame.set_index("_row_number")
    for result in results:
        check = result.check
        if check.level != "row" or not result.unexpected_rows:
            continue
        rows = by_row.loc[result.unexpected_rows]
        value_column = _VALUE_COLUMN.get(check.column or "", check.column)
        reason_column = _REASON_COLUMN.get(check.column or "")
        parts.append(
            pd.DataFrame(
                {
                    "_row_number": result.unexpected_rows,
                    "rule": check.rule,
                    "severity": check.severity,
                    "column": value_column,
                    "value": rows[value_column].astype("string").to_numpy(),
                    "reason": (
                        rows[reason_column].astype("string").to_numpy()
                        if reason_column
                        else check.description
                    ),
                }
            )
        )
    columns = ["_row_number", "rule", "severity", "column", "value", "reason"]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="string") for c in columns}).astype(
            {"_row_number": "int64"}
        )
    return pd.concat(parts, ignore_index=True).astype({"value": "string", "reason": "string"})


def _outcome(result: CheckResult) -> str:
    """A check's result in words: failing rows of a column, or what a table-level check saw."""
    if "column" in result.check.kwargs:
        return f"{result.unexpected_count} of {result.element_count} failed"
    template = _TABLE_OUTCOME.get(result.check.expectation_type, "observed {}")
    return template.format(result.observed)


def _landed_before_current(
    raw_root: Path, source: str, period: str, batch_id: str, current: str | None
) -> bool:
    """True when the current batch's bytes were last delivered after this batch's were."""
    latest = latest_deliveries(raw_root, source, period)
    if current is None or current not in latest or batch_id not in latest:
        return False
    return latest[current] > latest[batch_id]


def _rules_per_row(violations: pd.DataFrame, severity: str) -> pd.Series:
    chosen = violations[violations["severity"] == severity]
    return chosen.groupby("_row_number")["rule"].agg(lambda r: ",".join(sorted(set(r))))


def validate_batch(
    contract: Contract,
    period: str,
    batch_id: str,
    staging_root: Path,
    quarantine_root: Path,
    reports_root: Path,
    raw_root: Path,
) -> GateSummary:
    """Validate one staged batch, write accepted/quarantined rows and reports, then publish.

    The raw zone's delivery log gives the order of the period's deliveries: a passed batch is
    not published over a current batch whose bytes were last delivered after its own.
    """
    folder = batch_dir(staging_root, contract.source, period, batch_id)
    staged_meta = json.loads((folder / "staged.json").read_text())
    check_stage_format(contract, staged_meta, period)
    frame = pd.read_parquet(folder / "staged.parquet")
    start, end = period_bounds(period)
    dates = frame["intervention_date"]
    in_period = (dates >= pd.Timestamp(start)) & (dates <= pd.Timestamp(end))
    frame[IN_PERIOD_COLUMN] = in_period.astype("boolean").mask(dates.isna())
    checks = row_checks(contract) + batch_checks(
        contract, _previous_rows(staging_root, contract, period)
    )
    file_name = staged_meta["file_name"]
    check_columns(contract, file_name, period, frame, checks)
    try:
        results = run_checks(frame, checks, suite_name=f"{contract.source}.{period}")
    except CheckNotRunError as error:
        why = f"could not run in Great Expectations ({error.reason})"
        raise rule_not_run(contract, file_name, period, error.check, why) from None
    violations = _violations(frame, results)
    for column in ("_source", "_period", "_batch_id", "_file_name"):
        violations.insert(0, column, frame[column].iloc[0] if len(frame) else None)

    errors = _rules_per_row(violations, "error")
    warnings = _rules_per_row(violations, "warn")
    rejected = frame["_row_number"].isin(errors.index)
    frame = frame.drop(columns=[IN_PERIOD_COLUMN])
    accepted = frame[~rejected].copy()
    accepted["_warnings"] = accepted["_row_number"].map(warnings).astype("string")
    quarantined = frame[rejected].copy()
    quarantined["_reasons"] = quarantined["_row_number"].map(errors).astype("string")
    if len(accepted) + len(quarantined) != len(frame):
        raise AssertionError(
            f"{contract.source} {period}: accepted {len(accepted)} + quarantined "
            f"{len(quarantined)} != read {len(frame)}; no batch was published"
        )

    accepted.to_parquet(folder / "accepted.parquet", index=False, compression="zstd")
    qdir = quarantine_root / contract.source / f"period={period}" / f"batch={batch_id}"
    qdir.mkdir(parents=True, exist_ok=True)
    quarantined.to_parquet(qdir / "records.parquet", index=False, compression="zstd")
    violations.to_parquet(qdir / "violations.parquet", index=False, compression="zstd")

    failed_batch = [r.check.rule for r in results if r.check.level == "batch" and not r.success]
    summary = GateSummary(
        source=contract.source,
        ministry=contract.ministry,
        period=period,
        batch_id=batch_id,
        file_name=file_name,
        status="failed" if failed_batch else "passed",
        rows_read=len(frame),
        rows_accepted=len(accepted),
        rows_quarantined=len(quarantined),
        rows_flagged=int(accepted["_warnings"].notna().sum()),
        rows_rejected_at_staging=int(staged_meta.get("rows_rejected", 0)),
        checks=[
            {
                "rule": r.check.rule,
                "level": r.check.level,
                "severity": r.check.severity,
                "column": r.check.column,
                "description": r.check.description,
                "fix": r.check.fix,
                "success": r.success,
                "checked": r.element_count,
                "failed": r.unexpected_count,
                "outcome": _outcome(r),
                "observed": r.observed if isinstance(r.observed, (int, float, str)) else None,
            }
            for r in results
        ],
        failed_batch_rules=failed_batch,
    )
    current = current_batch(staging_root, contract.source, period)
    summary.published = not failed_batch and not _landed_before_current(
        raw_root, contract.source, period, batch_id, current
    )
    write_reports(summary, violations, reports_root)
    (folder / "validation.json").write_text(json.dumps(asdict(summary), indent=2))
    if failed_batch:
        details = "; ".join(
            f"{c['rule']}: {c['description']} ({c['outcome']})"
            for c in summary.checks
            if c["level"] == "batch" and not c["success"]
        )
        raise QualityGateError(
            f"{contract.ministry} ({contract.source}) file {summary.file_name} for {period} "
            f"failed its quality gate: {details}. The warehouse keeps the last good batch of "
            f"this source. Report: {summary.report_html}"
        )
    if summary.published:
        publish_batch(staging_root, contract.source, period, batch_id)
    else:
        log.warning(
            "%s %s: batch %s (%s) passed but is not published: batch %s, from a file that "
            "landed later, is current and stays so (to load this file again, drop it in "
            "landing once more: the newest delivery wins)",
            contract.source,
            period,
            batch_id,
            file_name,
            current,
        )
    return summary
