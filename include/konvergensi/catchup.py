"""Find landed files that were never archived: late deliveries and corrected re-deliveries.

A landed file counts as loaded once the raw zone has archived it: a delivery record or a logged
delivery event with its name, size and modification time (an identical re-send is only
logged). One entry per source and period (the newest pending file), with a run id derived from
the file, so sweeping twice never triggers the same file twice. The landing zone may be a local
folder or object storage: both are listed through the same calls.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from konvergensi.contracts import Contract
from konvergensi.ingest.archive import landing_regex, seen_landings
from konvergensi.periods import check_period
from konvergensi.storage import files_in

if TYPE_CHECKING:
    from konvergensi.storage import StoragePath

_PERIOD_IN_NAME = re.compile(r"\d{4}-(?:0[1-9]|1[0-2]|Q[1-4])", re.IGNORECASE)


def period_of_file(contract: Contract, name: str) -> str | None:
    """The period a landed file belongs to, or None when its name does not fit the contract."""
    for candidate in _PERIOD_IN_NAME.findall(name):
        period = candidate.upper()
        try:
            check_period(period, contract.cadence)
        except ValueError:
            continue
        if landing_regex(contract, period).match(name):
            return period
    return None


def _landed_at(path: StoragePath) -> str:
    """Modification time in the form the raw zone's delivery records use."""
    return datetime.fromtimestamp(path.stat().st_mtime, UTC).isoformat(timespec="seconds")


def pending_deliveries(
    contracts: list[Contract], landing_root: StoragePath, raw_root: Path
) -> list[dict]:
    """Per source and period, the newest landed file not yet archived, oldest period first
    (files are listed oldest first, so the newest of a period wins)."""
    pending: dict[tuple[str, str], StoragePath] = {}
    for contract in contracts:
        for path in files_in(landing_root / contract.source):
            period = period_of_file(contract, path.name)
            if not period:
                continue
            seen = seen_landings(raw_root, contract.source, period)
            if (path.name, path.stat().st_size, _landed_at(path)) not in seen:
                pending[(contract.source, period)] = path
    ministries = {c.source: c.ministry for c in contracts}
    found = []
    for (source, period), path in sorted(pending.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        stamp = f"{path.name}|{path.stat().st_size}|{_landed_at(path)}"
        digest = hashlib.sha256(stamp.encode()).hexdigest()[:12]
        found.append(
            {
                "source": source,
                "ministry": ministries[source],
                "period": period,
                "file": path.name,
                "run_id": f"catchup__{period}__{digest}",
            }
        )
    return found
