"""Run a list of checks on a DataFrame with Great Expectations (Core 1.x API).

One ephemeral context per call: a pandas data source, a whole-dataframe batch definition, a suite
built from the checks, a validation definition and a checkpoint that asks for the failing rows'
own row numbers. Returns plain dicts so that callers need not import Great Expectations.
A check Great Expectations could not run (it catches the error and reports no failure) raises
CheckNotRunError: a rule that silently does nothing would let every file pass it.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

import pandas as pd

from konvergensi.quality.rules import Check

ROW_KEY = "_row_number"


@dataclass
class CheckResult:
    """Outcome of one check: success, counts and, for row checks, the failing row numbers."""

    check: Check
    success: bool
    element_count: int
    unexpected_count: int
    unexpected_rows: list[int]
    observed: Any = None


class CheckNotRunError(RuntimeError):
    """Great Expectations could not run a check; `reason` is its error message."""

    def __init__(self, check: Check, reason: str) -> None:
        super().__init__(f"check {check.rule} ({check.expectation_type}) could not run: {reason}")
        self.check = check
        self.reason = reason


def _raised(exception_info: dict | None) -> str | None:
    """The message of an error GX caught while running a check, or None.

    GX 1.x keys `exception_info` by metric id ({metric: {"raised_exception": ...}}); a check
    whose metrics all ran may carry one flat entry instead. Both shapes are read.
    """
    info = exception_info or {}
    entries = [info] if "raised_exception" in info else list(info.values())
    for entry in entries:
        if isinstance(entry, dict) and entry.get("raised_exception"):
            return str(entry.get("exception_message") or "unknown error")
    return None


def _quiet() -> None:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    for name in ("great_expectations", "great_expectations.core"):
        logging.getLogger(name).setLevel(logging.WARNING)


def run_checks(frame: pd.DataFrame, checks: list[Check], suite_name: str) -> list[CheckResult]:
    """Validate a DataFrame against checks; the frame must carry the `_row_number` column.

    Raises CheckNotRunError when Great Expectations could not run one of the checks.
    """
    _quiet()
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.expectations.metadata_types import FailureSeverity

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("konvergensi")
    asset = source.add_dataframe_asset(name=suite_name)
    batch_definition = asset.add_batch_definition_whole_dataframe("batch")
    suite = context.suites.add(gx.ExpectationSuite(name=suite_name))
    for i, check in enumerate(checks):
        expectation_class = getattr(gx.expectations, check.expectation_type)
        severity = (
            FailureSeverity.CRITICAL if check.severity == "error" else FailureSeverity.WARNING
        )
        suite.add_expectation(
            expectation_class(
                **check.kwargs,
                meta={"check": i, "rule": check.rule, "description": check.description},
                severity=severity,
            )
        )
    validation = context.validation_definitions.add(
        gx.ValidationDefinition(data=batch_definition, suite=suite, name=f"{suite_name}-vd")
    )
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name=f"{suite_name}-checkpoint",
            validation_definitions=[validation],
            result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [ROW_KEY]},
        )
    )
    outcome = checkpoint.run(batch_parameters={"dataframe": frame})
    results: list[CheckResult] = []
    for run in outcome.run_results.values():
        for expectation_result in run.results:
            config = expectation_result.expectation_config
            check = checks[config.meta["check"]]
            detail = expectation_result.result or {}
            reason = _raised(expectation_result.exception_info)
            if reason is not None:
                raise CheckNotRunError(check, reason)
            rows = [int(r[ROW_KEY]) for r in detail.get("unexpected_index_list") or []]
            results.append(
                CheckResult(
                    check=check,
                    success=bool(expectation_result.success),
                    element_count=int(detail.get("element_count") or len(frame)),
                    unexpected_count=int(detail.get("unexpected_count") or 0),
                    unexpected_rows=rows if check.level == "row" else [],
                    observed=detail.get("observed_value"),
                )
            )
    results.sort(key=lambda r: checks.index(r.check))
    return results
