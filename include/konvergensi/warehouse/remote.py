"""Copy the published snapshot to object storage, where analysts read it with any Parquet reader.

<url>/snapshots/<build_id>/<table>/...parquet   the snapshot's files, manifest.json written last
<url>/CURRENT                                  id of the snapshot to read; written after it

Object stores have no atomic rename, so nothing is renamed: a snapshot lives under its own
prefix and is never changed once complete, and the CURRENT object readers read first is written
last. Re-running writes the same keys and skips the objects already there, so it never
duplicates anything. The bucket keeps the snapshots the local warehouse keeps.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from konvergensi.storage import forget_listings
from konvergensi.warehouse.publish import CURRENT, current_build
from konvergensi.warehouse.snapshots import MANIFEST, list_snapshots, snapshots_dir

if TYPE_CHECKING:
    from airflow.sdk import ObjectStoragePath


def _is_there(local: Path, remote: ObjectStoragePath) -> bool:
    """The object exists with the file's size (a put is all or nothing, so it is complete)."""
    try:
        return remote.stat().st_size == local.stat().st_size
    except FileNotFoundError:
        return False


def _upload(local: Path, remote: ObjectStoragePath) -> None:
    with local.open("rb") as src, remote.open("wb") as out:
        shutil.copyfileobj(src, out, 1 << 22)


def _snapshot_files(snapshot: Path) -> list[Path]:
    """Every file of a snapshot, the manifest last (its presence marks a complete copy)."""
    files = sorted(p for p in snapshot.rglob("*") if p.is_file() and p.name != MANIFEST)
    return [*files, snapshot / MANIFEST]


def _prune(target: ObjectStoragePath, keep: set[str]) -> list[str]:
    """Delete the copied snapshots the local warehouse no longer keeps."""
    folder = target / "snapshots"
    forget_listings(folder)
    if not folder.is_dir():
        return []
    pruned = sorted(p.name for p in folder.iterdir() if p.is_dir() and p.name not in keep)
    for build_id in pruned:
        (folder / build_id).rmdir(recursive=True)
    return pruned


def copy_current(warehouse_root: Path, target: ObjectStoragePath) -> dict:
    """Copy the local warehouse's current snapshot under `target`, then point CURRENT at it."""
    build_id = current_build(warehouse_root)
    if build_id is None:
        raise FileNotFoundError(
            f"no published snapshot under {warehouse_root}: build the warehouse first"
        )
    local = snapshots_dir(warehouse_root) / build_id
    remote = target / "snapshots" / build_id
    forget_listings(remote)
    uploaded = skipped = 0
    folders: set[str] = set()
    for path in _snapshot_files(local):
        dest = remote.joinpath(*path.relative_to(local).parts)
        if _is_there(path, dest):
            skipped += 1
            continue
        if str(dest.parent) not in folders:  # a no-op on S3; file:// needs the folders
            dest.parent.mkdir(parents=True, exist_ok=True)
            folders.add(str(dest.parent))
        _upload(path, dest)
        uploaded += 1
    pointer = target / CURRENT
    forget_listings(target)
    if not pointer.exists() or pointer.read_text().strip() != build_id:
        pointer.write_text(build_id + "\n")
    return {
        "build_id": build_id,
        "url": str(target),
        "uploaded": uploaded,
        "already_there": skipped,
        "pruned": _prune(target, set(list_snapshots(warehouse_root))),
    }
