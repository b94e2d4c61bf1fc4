"""Wait for a ministry's file without holding a worker slot: a deferrable operator and its trigger.

The operator looks once; unless the period's file is there and settled it defers to
`LandingTrigger`, which polls the landing folder in the triggerer (asyncio, no worker slot). The
wait is decided on the file `archive_period` would load (the newest non-empty one; an empty
file, such as a failed upload, is ignored once it stayed empty for the settle interval, but a
fresh one may be an upload just opened and blocks the wait): it counts as landed only when its
size and modification time stayed the same for the settle interval (two looks that far apart),
so a file still being uploaded is never archived half-written. A wait that ends without a
settled file skips the run with a clear message, so a late ministry never blocks the other
sources. The folder is a local
path or an object storage URL (`konvergensi.storage`); the blocking listing runs in a thread.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowSkipException
from airflow.triggers.base import BaseTrigger, TriggerEvent

from konvergensi.airflow_support import period_from_context
from konvergensi.storage import as_path, files_in, landing_root

POKE_SECONDS = float(os.environ.get("KONVERGENSI_LANDING_POKE_SECONDS", "60"))
SETTLE_ENV = "KONVERGENSI_LANDING_SETTLE_SECONDS"
DEFAULT_SETTLE_SECONDS = 30.0

# name -> [size in bytes, modification time (epoch seconds)]: JSON-able, for the trigger.
FileStates = dict[str, list[float]]


def settle_seconds() -> float:
    """How long a landed file must stay unchanged before it is archived (read when a run starts)."""
    return float(os.environ.get(SETTLE_ENV, str(DEFAULT_SETTLE_SECONDS)))


def file_states(folder: str, pattern: str) -> FileStates:
    """Size and modification time of the files in a folder (a path or a storage URL) that match
    a landing pattern."""
    regex = re.compile(pattern, re.IGNORECASE)
    found = {}
    for path in files_in(as_path(folder)):
        if regex.match(path.name):
            info = path.stat()
            found[path.name] = [info.st_size, info.st_mtime]
    return dict(sorted(found.items()))


def file_to_load(
    states: FileStates, settle: float, now: datetime
) -> tuple[str, list[float]] | None:
    """The file the wait decides on: the newest one (by modification time, then name, as the
    landing listing orders them) that is non-empty or empty but modified less than `settle`
    seconds ago; None when no file landed or every file stayed empty that long.

    An empty file that stayed empty (a failed upload) never hides a good one next to it, but a
    fresh one may be an upload just opened: it is chosen, so the wait goes on until it either
    fills and settles or stays empty for the settle interval.
    """
    fresh = now.timestamp() - settle
    candidates = [
        (mtime, name, size) for name, (size, mtime) in states.items() if size > 0 or mtime > fresh
    ]
    if not candidates:
        return None
    mtime, name, size = max(candidates)
    return name, [size, mtime]


def settled_at_first_look(states: FileStates, settle: float, now: datetime) -> bool:
    """The file to load is non-empty and was last modified at least `settle` seconds ago: as
    good as two looks that far apart, so a run whose file is long there goes on at once."""
    chosen = file_to_load(states, settle, now)
    return chosen is not None and chosen[1][0] > 0 and chosen[1][1] <= now.timestamp() - settle


class LandingTrigger(BaseTrigger):
    """Fires when the file to load among those matching `pattern` in `folder` (a path or a
    storage URL with its connection, as `str()` of the landing folder gives it) stayed unchanged
    for `settle_seconds`, or at `deadline` (ISO time, UTC)."""

    def __init__(
        self,
        folder: str,
        pattern: str,
        deadline: str,
        poke_seconds: float,
        settle_seconds: float = DEFAULT_SETTLE_SECONDS,
    ) -> None:
        super().__init__()
        self.folder = folder
        self.pattern = pattern
        self.deadline = deadline
        self.poke_seconds = poke_seconds
        self.settle_seconds = settle_seconds

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """Class path and arguments, so the triggerer can rebuild the trigger."""
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "folder": self.folder,
                "pattern": self.pattern,
                "deadline": self.deadline,
                "poke_seconds": self.poke_seconds,
                "settle_seconds": self.settle_seconds,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Poll the folder until the files are settled or the deadline passes."""
        deadline = datetime.fromisoformat(self.deadline)
        seen: tuple[str, list[float]] | None = None
        seen_since = datetime.now(UTC)
        while True:
            states = await asyncio.to_thread(file_states, self.folder, self.pattern)
            now = datetime.now(UTC)
            chosen = file_to_load(states, self.settle_seconds, now)
            if chosen != seen:
                seen, seen_since = chosen, now
            unchanged_for = (now - seen_since).total_seconds()
            # A fresh empty file is never landed: it is dropped once it stayed empty, or it fills.
            if chosen is not None and chosen[1][0] > 0 and unchanged_for >= self.settle_seconds:
                yield TriggerEvent({"status": "landed", "files": list(states)})
                return
            left = (deadline - now).total_seconds()
            if left <= 0:
                yield TriggerEvent({"status": "timeout", "files": list(states)})
                return
            # The file to load is looked at again once it may have settled; otherwise poke.
            wait = self.settle_seconds - unchanged_for if chosen else self.poke_seconds
            await asyncio.sleep(min(wait, left))


class WaitForDelivery(BaseOperator):
    """Succeeds with the period and its landed files; defers while waiting; skips after the wait."""

    ui_color = "#e8dff5"

    def __init__(self, *, source: str, cadence: str, poke_seconds: float, **kwargs) -> None:
        super().__init__(**kwargs)
        self.source = source
        self.cadence = cadence
        self.poke_seconds = poke_seconds

    def _target(self, context: Any) -> tuple[str, str, str]:
        """Period, landing folder and file-name pattern of this run (same on resume)."""
        from konvergensi.ingest.archive import landing_regex
        from konvergensi.pipeline import contract_for

        period = period_from_context(context, self.cadence)
        folder = landing_root() / self.source
        return period, str(folder), landing_regex(contract_for(self.source), period).pattern

    def execute(self, context: Any) -> dict:
        """Look once; return at once if the files are there and settled, else defer."""
        period, folder, pattern = self._target(context)
        settle = settle_seconds()
        states = file_states(folder, pattern)
        if settled_at_first_look(states, settle, datetime.now(UTC)):
            return {"period": period, "files": list(states), "waited": False}
        deadline = datetime.now(UTC) + timedelta(hours=float(context["params"]["wait_hours"]))
        self.log.info(
            "no settled file yet for %s %s in %s (%s): waiting until %s",
            self.source,
            period,
            folder,
            ", ".join(f"{n}: {int(s)} bytes" for n, (s, _) in states.items()) or "none landed",
            deadline.isoformat(timespec="seconds"),
        )
        self.defer(
            trigger=LandingTrigger(
                folder, pattern, deadline.isoformat(), self.poke_seconds, settle
            ),
            method_name="execute_complete",
        )

    def execute_complete(self, context: Any, event: dict) -> dict:
        """Resume after the trigger: the files settled, or the wait ended without that."""
        from konvergensi.pipeline import contract_for

        period, folder, _ = self._target(context)
        if event["status"] == "landed":
            return {"period": period, "files": event["files"], "waited": True}
        hours = context["params"]["wait_hours"]
        if event["files"]:
            raise AirflowSkipException(
                f"{', '.join(event['files'])} for {self.source} {period} in {folder} was still "
                f"empty or still changing after {hours} h, so it was not loaded. Ask the "
                "ministry to send the complete file again; `ingest_catchup` loads it, or "
                f'trigger this DAG with {{"period": "{period}"}}.'
            )
        expected = contract_for(self.source).landing_name(period)
        raise AirflowSkipException(
            f"no file for {self.source} {period} landed in {folder} within "
            f"{hours} h (expected {expected}). Other sources are not "
            f"blocked. When it arrives, `ingest_catchup` loads it, or trigger this DAG with "
            f'{{"period": "{period}"}}.'
        )
