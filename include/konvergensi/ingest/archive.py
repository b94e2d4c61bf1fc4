"""Landing -> raw: an immutable, content-addressed copy of every delivered file.

The same bytes delivered twice (under any name) are archived and staged once. Every delivery
event (name, time, content hash) is logged per period, so the history of corrected
re-deliveries and of repeated sends is kept. The landing zone may be a local folder or object
storage (`konvergensi.storage`); the raw zone is always local.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from konvergensi.contracts import Contract
from konvergensi.ingest.errors import IngestError
from konvergensi.storage import files_in

if TYPE_CHECKING:
    from konvergensi.storage import StoragePath

logger = logging.getLogger(__name__)
_LOG_KEYS = {"name", "sha256", "size", "at"}  # what every delivery event holds


@dataclass(frozen=True)
class Delivery:
    """One delivered file, archived in the raw zone."""

    source: str
    period: str
    original_name: str
    sha256: str
    size: int
    landed_at: str
    raw_path: str

    @property
    def batch_id(self) -> str:
        """Short content hash that names this delivery's staging batch."""
        return self.sha256[:16]


@dataclass(frozen=True)
class Archived:
    """Outcome of archiving one landed file."""

    delivery: Delivery  # the period's record of these bytes (its first delivery)
    already_archived: bool  # these bytes were in the raw zone for this period before
    same_bytes_periods: tuple[str, ...]  # other periods that received exactly these bytes


def landing_regex(contract: Contract, period: str) -> re.Pattern[str]:
    """File names accepted for a period: the pattern, an optional suffix, optional compression.

    `kemenkop_ukm_2026-09.csv`, `kemenkop_ukm_2026-09_perbaikan.csv` (a corrected re-delivery)
    and `kemenkop_ukm_2026-09.csv.gz` all match.
    """
    name = contract.landing_name(period)
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    suffix = rf"\.{re.escape(ext)}" if ext else ""
    return re.compile(rf"^{re.escape(stem)}([_\- ][^/]*)?{suffix}(\.gz|\.zip)?$", re.IGNORECASE)


def find_landed(contract: Contract, period: str, landing_root: StoragePath) -> list[StoragePath]:
    """Files in the source's landing folder for a period, oldest first."""
    pattern = landing_regex(contract, period)
    return [p for p in files_in(landing_root / contract.source) if pattern.match(p.name)]


def _copy_hashed(landed: StoragePath, folder: Path) -> tuple[Path, str]:
    """Copy a landed file into a temporary file in `folder`, hashing the bytes as they pass:
    one read of the landing zone, and the hash is always that of the bytes archived."""
    folder.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=".landed-", suffix=".part", dir=folder)
    tmp = Path(name)
    digest = hashlib.sha256()
    try:
        with os.fdopen(handle, "wb") as out, landed.open("rb") as src:
            for block in iter(lambda: src.read(1 << 22), b""):
                digest.update(block)
                out.write(block)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp, digest.hexdigest()


def _record_path(raw_root: Path, source: str, period: str, sha256: str) -> Path:
    return raw_root / source / "deliveries" / period / f"{sha256}.json"


def _log_event(raw_root: Path, source: str, period: str, event: dict) -> None:
    """Append a delivery event to the period's log unless that exact event is logged."""
    log = raw_root / source / "deliveries" / period / "log.jsonl"
    line = json.dumps(event, sort_keys=True)
    text = log.read_text() if log.exists() else ""
    if line in text.splitlines():
        return
    log.parent.mkdir(parents=True, exist_ok=True)
    # A worker killed mid-append leaves a line without its newline: start a new line, so this
    # event is not glued onto the damaged one (which `delivery_log` then skips).
    with log.open("a") as handle:
        handle.write(("\n" if text and not text.endswith("\n") else "") + line + "\n")


def archive_file(contract: Contract, period: str, landed: StoragePath, raw_root: Path) -> Archived:
    """Copy one landed file into the raw zone (once per content) and record the delivery."""
    objects = raw_root / contract.source / "objects"
    try:
        # Stat before copying: if the file is replaced meanwhile, the recorded time is older
        # than the landed one and `ingest_catchup` loads the file again.
        info = landed.stat()
        tmp, sha = _copy_hashed(landed, objects)
    except FileNotFoundError:
        raise IngestError(
            f"{landed}: landed file disappeared before it could be archived"
        ) from None
    suffixes = "".join(s for s in landed.suffixes if len(s) <= 8).lower()
    target = objects / sha[:2] / f"{sha}{suffixes}"
    if target.exists():
        tmp.unlink()
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(tmp, 0o444)
        tmp.replace(target)
    landed_at = datetime.fromtimestamp(info.st_mtime, UTC).isoformat(timespec="seconds")
    _log_event(
        raw_root,
        contract.source,
        period,
        {"name": landed.name, "sha256": sha, "size": info.st_size, "at": landed_at},
    )
    others = tuple(
        sorted(
            p.parent.name
            for p in (raw_root / contract.source / "deliveries").glob(f"*/{sha}.json")
            if p.parent.name != period
        )
    )
    record_file = _record_path(raw_root, contract.source, period, sha)
    if record_file.exists():
        return Archived(Delivery(**json.loads(record_file.read_text())), True, others)
    delivery = Delivery(
        source=contract.source,
        period=period,
        original_name=landed.name,
        sha256=sha,
        size=info.st_size,
        landed_at=landed_at,
        raw_path=str(target),
    )
    record_file.parent.mkdir(parents=True, exist_ok=True)
    record_file.write_text(json.dumps(asdict(delivery), indent=2))
    return Archived(delivery, False, others)


def delivery_log(raw_root: Path, source: str, period: str) -> list[dict]:
    """Every delivery event of a source's period (repeated sends included), in arrival order.

    A damaged line (a worker killed mid-append) is skipped with a warning naming the log and
    line, so one cut write does not stop the period's validation; the delivery's record keeps
    its bytes, and a send only that line recorded is at worst archived again (same bytes, once).
    """
    log = raw_root / source / "deliveries" / period / "log.jsonl"
    if not log.exists():
        return []
    events = []
    for number, line in enumerate(log.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except ValueError:
            event = None
        if not isinstance(event, dict) or not event.keys() >= _LOG_KEYS:
            logger.warning(
                "%s line %d is not a readable delivery event (a write was probably cut "
                "short); skipped. Nothing else is affected; delete that line to silence "
                "this warning",
                log,
                number,
            )
            continue
        events.append(event)
    return events


def latest_deliveries(raw_root: Path, source: str, period: str) -> dict[str, tuple[str, int]]:
    """Batch id -> (time, log position) of the latest delivery of its bytes: the order in which
    the gate, the batch history and the held-back report all put a period's batches.

    A re-send of older bytes (the ministry withdraws a wrong correction and sends the original
    again) makes them the newest delivery, so the delivery log is read, not the records (a
    record keeps the first delivery). Records without a logged event still count.
    """
    latest = {d.batch_id: (d.landed_at, -1) for d in deliveries(raw_root, source, period)}
    for position, event in enumerate(delivery_log(raw_root, source, period)):
        batch = event["sha256"][:16]
        latest[batch] = max(latest.get(batch, ("", -1)), (event["at"], position))
    return latest


def seen_landings(raw_root: Path, source: str, period: str) -> set[tuple[str, int, str]]:
    """(name, size, modification time) of every landed file archived for a period.

    Read from the delivery log as well as the records: a record keeps its bytes' first
    delivery, so an identical re-send (new time or name) is only in the log.
    """
    logged = {(e["name"], e["size"], e["at"]) for e in delivery_log(raw_root, source, period)}
    recorded = {
        (d.original_name, d.size, d.landed_at) for d in deliveries(raw_root, source, period)
    }
    return logged | recorded


def deliveries(raw_root: Path, source: str, period: str) -> list[Delivery]:
    """Every recorded delivery of a source for a period, oldest first."""
    folder = raw_root / source / "deliveries" / period
    found = [Delivery(**json.loads(p.read_text())) for p in folder.glob("*.json")]
    return sorted(found, key=lambda d: (d.landed_at, d.original_name))
