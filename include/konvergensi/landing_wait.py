"""Wait for a ministry's file without holding a worker slot: a deferrable operator and its trigger.

The operator looks once; if the period's file has not landed it defers to `LandingTrigger`,
which polls the landing folder in the triggerer (asyncio, no worker slot) until the file
appears or the wait ends. A wait that ends without a file skips the run with a clear message,
so a late ministry never blocks the other sources. The folder is a local path or an object
storage URL (`konvergensi.storage`); the blocking listing runs in a thread.
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


def matching_files(folder: str, pattern: str) -> list[str]:
    """Names of the files in a folder (a path or a storage URL) that match a landing pattern."""
    regex = re.compile(pattern, re.IGNORECASE)
    return sorted(p.name for p in files_in(as_path(folder)) if regex.match(p.name))


class LandingTrigger(BaseTrigger):
    """Fires when a file matching `pattern` is in `folder` (a path or a storage URL with its
    connection, as `str()` of the landing folder gives it), or at `deadline` (ISO time, UTC)."""

    def __init__(self, folder: str, pattern: str, deadline: str, poke_seconds: float) -> None:
        super().__init__()
        self.folder = folder
        self.pattern = pattern
        self.deadline = deadline
        self.poke_seconds = poke_seconds

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """Class path and arguments, so the triggerer can rebuild the trigger."""
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "folder": self.folder,
                "pattern": self.pattern,
                "deadline": self.deadline,
                "poke_seconds": self.poke_seconds,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Poll the folder until a file lands or the deadline passes."""
        deadline = datetime.fromisoformat(self.deadline)
        while True:
            files = await asyncio.to_thread(matching_files, self.folder, self.pattern)
            if files:
                yield TriggerEvent({"status": "landed", "files": files})
                return
            left = (deadline - datetime.now(UTC)).total_seconds()
            if left <= 0:
                yield TriggerEvent({"status": "timeout", "files": []})
                return
            await asyncio.sleep(min(self.poke_seconds, left))


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
        """Look once; return at once if the file is there, else defer to the trigger."""
        period, folder, pattern = self._target(context)
        files = matching_files(folder, pattern)
        if files:
            return {"period": period, "files": files, "waited": False}
        deadline = datetime.now(UTC) + timedelta(hours=float(context["params"]["wait_hours"]))
        self.log.info(
            "no file yet for %s %s in %s: waiting until %s",
            self.source,
            period,
            folder,
            deadline.isoformat(timespec="seconds"),
        )
        self.defer(
            trigger=LandingTrigger(folder, pattern, deadline.isoformat(), self.poke_seconds),
            method_name="execute_complete",
        )

    def execute_complete(self, context: Any, event: dict) -> dict:
        """Resume after the trigger: the file landed, or the wait ended without one."""
        from konvergensi.pipeline import contract_for

        period, folder, _ = self._target(context)
        if event["status"] == "landed":
            return {"period": period, "files": event["files"], "waited": True}
        expected = contract_for(self.source).landing_name(period)
        raise AirflowSkipException(
            f"no file for {self.source} {period} landed in {folder} within "
            f"{context['params']['wait_hours']} h (expected {expected}). Other sources are not "
            f"blocked. When it arrives, `ingest_catchup` loads it, or trigger this DAG with "
            f'{{"period": "{period}"}}.'
        )
