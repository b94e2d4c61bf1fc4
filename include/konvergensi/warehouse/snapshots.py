"""Layout of the warehouse zone and the life of a snapshot.

warehouse/snapshots/<build_id>/            a complete build: one folder per table + manifest.json
warehouse/snapshots/<build_id>.building/   a build in progress (or one that crashed)
warehouse/snapshots/.<build_id>.lock       held (flock) by the process building it
warehouse/CURRENT                          id of the snapshot readers use
warehouse/warehouse.duckdb                 views over CURRENT and over every kept snapshot,
                                           by paths relative to warehouse/

A build writes into `<id>.building` and renames it to `<id>` only once everything, the manifest
last, is on disk: a snapshot folder without `.building` is complete by construction. The lock
tells a crashed build (lock free) from one still running (lock held).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from pathlib import Path

BUILDING = ".building"
MANIFEST = "manifest.json"
SNAPSHOTS = "snapshots"  # sub-folder of the warehouse root


def snapshots_dir(warehouse_root: Path) -> Path:
    """Folder holding one sub-folder per build."""
    return warehouse_root / SNAPSHOTS


def new_build_id() -> str:
    """A build id that sorts by build time: `20261001T080000123456Z` (UTC)."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def list_snapshots(warehouse_root: Path) -> list[str]:
    """Build ids of complete snapshots, oldest first."""
    folder = snapshots_dir(warehouse_root)
    if not folder.is_dir():
        return []
    return sorted(
        p.name
        for p in folder.iterdir()
        if p.is_dir() and not p.name.endswith(BUILDING) and (p / MANIFEST).exists()
    )


def read_manifest(warehouse_root: Path, build_id: str) -> dict:
    """The manifest of one complete snapshot."""
    path = snapshots_dir(warehouse_root) / build_id / MANIFEST
    if not path.exists():
        raise FileNotFoundError(f"no complete snapshot {build_id!r} under {warehouse_root}")
    return json.loads(path.read_text())


def _lock_file(warehouse_root: Path, build_id: str) -> Path:
    return snapshots_dir(warehouse_root) / f".{build_id}.lock"


@contextmanager
def building(warehouse_root: Path, build_id: str) -> Iterator[Path]:
    """A fresh `<id>.building` folder to write into; renamed to `<id>` when the block succeeds,
    removed when it raises. A killed process leaves it behind for `remove_abandoned`."""
    final = snapshots_dir(warehouse_root) / build_id
    if final.exists():
        raise FileExistsError(f"snapshot {build_id} already exists")
    final.parent.mkdir(parents=True, exist_ok=True)
    lock_path = _lock_file(warehouse_root, build_id)
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        tmp = final.with_name(build_id + BUILDING)
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        try:
            yield tmp
            os.replace(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        finally:
            lock_path.unlink(missing_ok=True)


def _is_running(lock_path: Path) -> bool:
    if not lock_path.exists():
        return False
    with open(lock_path) as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(lock, fcntl.LOCK_UN)
        return False


def remove_abandoned(warehouse_root: Path) -> list[str]:
    """Delete the folders of builds that died before finishing; returns their ids."""
    folder = snapshots_dir(warehouse_root)
    removed = []
    for tmp in sorted(folder.glob("*" + BUILDING)) if folder.is_dir() else []:
        build_id = tmp.name.removesuffix(BUILDING)
        lock_path = _lock_file(warehouse_root, build_id)
        if not _is_running(lock_path):
            shutil.rmtree(tmp, ignore_errors=True)
            lock_path.unlink(missing_ok=True)
            removed.append(build_id)
    return removed


def _as_utc(text: str) -> datetime:
    """An ISO date (end of that day) or date-time (UTC when no zone is given)."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        moment = datetime.fromisoformat(text)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime.combine(day, time.max, tzinfo=UTC)


def find_snapshot(warehouse_root: Path, name_or_date: str) -> str:
    """A kept snapshot by build id, or the latest one built at or before a date or date-time."""
    kept = list_snapshots(warehouse_root)
    if name_or_date in kept:
        return name_or_date
    try:
        moment = _as_utc(name_or_date)
    except ValueError:
        raise LookupError(
            f"{name_or_date!r} is neither a kept snapshot ({', '.join(kept) or 'none'}) "
            "nor an ISO date such as 2026-10-01 or 2026-10-01T08:00"
        ) from None
    built = [
        b
        for b in kept
        if datetime.fromisoformat(read_manifest(warehouse_root, b)["built_at"]) <= moment
    ]
    if not built:
        raise LookupError(f"no kept snapshot was built on or before {name_or_date}")
    return built[-1]
