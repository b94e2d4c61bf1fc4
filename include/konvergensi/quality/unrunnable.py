"""Rules that cannot be checked on a batch fail validation with a message an operator can act on.

Great Expectations 1.x catches the error of a check it cannot run (a column the batch lacks) and
reports the check as merely unsuccessful, so a typo in a contract would quietly turn a rule off.
The gate refuses such a rule instead: before the suite runs, and when GX reports an error. A
batch staged by an older version of the pipeline (another stage format: columns missing or read
differently) is refused before any rule, with the task to re-run.
"""

from __future__ import annotations

import difflib

import pandas as pd

from konvergensi.contracts import Contract
from konvergensi.ingest.stage import STAGE_FORMAT
from konvergensi.quality.rules import Check


class RuleNotRunError(Exception):
    """A contract rule could not be checked on the batch (e.g. it names a missing column)."""


class StaleBatchError(RuleNotRunError):
    """The batch was staged in another stage format: it must be staged again, not validated."""


def check_stage_format(contract: Contract, staged_meta: dict, period: str) -> None:
    """Raise StaleBatchError unless the batch was staged in the current STAGE_FORMAT."""
    found = staged_meta.get("stage_format")
    if found == STAGE_FORMAT:
        return
    shown = found or "3 or older"  # formats before 4 were not recorded
    raise StaleBatchError(
        f"{contract.ministry} ({contract.source}) file {staged_meta['file_name']} for {period} "
        f"was not validated: batch {staged_meta['batch_id']} was staged by another version of "
        f"the pipeline (stage format {shown}, this version {STAGE_FORMAT}), so its columns do "
        "not match today's rules. Clear the `stage` task of this run together with its "
        "downstream tasks: the file is staged again from the raw zone (nothing is lost) and "
        "validated. Nothing was published: the warehouse keeps the last good batch of this "
        "source."
    )


def rule_not_run(
    contract: Contract, file_name: str, period: str, check: Check, why: str
) -> RuleNotRunError:
    """The error for a rule that could not be checked: which file and rule, and what to do."""
    where = f"contracts/{contract.path.name if contract.path else contract.source + '.yaml'}"
    return RuleNotRunError(
        f"{contract.ministry} ({contract.source}) file {file_name} for {period} was not "
        f"validated: rule {check.rule} on column `{check.kwargs['column']}` {why}. Fix the rule "
        f"in {where}, then clear the validate task. Nothing was published: the warehouse "
        "keeps the last good batch of this source."
    )


def check_columns(
    contract: Contract, file_name: str, period: str, frame: pd.DataFrame, checks: list[Check]
) -> None:
    """Raise RuleNotRunError for the first check naming a column the staged batch lacks."""
    known = [c for c in frame.columns if not c.startswith("_")]
    for check in checks:
        column = check.kwargs.get("column")
        if column is None or column in frame.columns:
            continue
        close = difflib.get_close_matches(column, known, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        why = f"names a column the staged batch does not have{hint}"
        raise rule_not_run(contract, file_name, period, check, why)
