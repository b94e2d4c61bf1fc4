"""The landing zone and the warehouse copy on the local volume or on object storage.

A URL (`s3://bucket/prefix`) becomes Airflow's `ObjectStoragePath` with the configured
connection, so `s3://` works by configuration; without one the landing zone is the local folder.
Callers use only what both kinds of path share (`/`, `iterdir`, `is_file`, `stat`, `open`,
`name`), so local folders and buckets go through one code path. Light: DAG files import it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from konvergensi.config import settings

if TYPE_CHECKING:
    from airflow.sdk import ObjectStoragePath

    StoragePath = Path | ObjectStoragePath

# Schemes Airflow serves from the local file system: they need no connection.
LOCAL_SCHEMES = ("file", "local")


def object_path(url: str, conn_id: str) -> ObjectStoragePath:
    """An object storage location reached through an Airflow connection (none for file://)."""
    from airflow.sdk import ObjectStoragePath

    scheme = url.split("://", 1)[0].lower()
    return ObjectStoragePath(url, conn_id=None if scheme in LOCAL_SCHEMES else conn_id)


def as_path(location: str) -> StoragePath:
    """A location back from its `str()` (an object storage URL keeps its connection as `conn@`),
    as a deferred trigger receives it."""
    if "://" in location:
        from airflow.sdk import ObjectStoragePath

        return ObjectStoragePath(location)
    return Path(location)


def landing_root() -> StoragePath:
    """Where ministries deliver: KONVERGENSI_LANDING_URL, else the local landing zone."""
    s = settings()
    if s.landing_url:
        return object_path(s.landing_url, s.object_storage_conn_id)
    return s.zone("landing")


def warehouse_copy_root() -> ObjectStoragePath | None:
    """Where analysts read the published warehouse on object storage (KONVERGENSI_WAREHOUSE_URL),
    or None when it is only published locally."""
    s = settings()
    return object_path(s.warehouse_url, s.object_storage_conn_id) if s.warehouse_url else None


def forget_listings(folder: StoragePath) -> None:
    """Drop the store's cached listings under a folder so the next look asks the store again;
    a long-lived triggerer would otherwise never see a file that landed after its first look."""
    if not isinstance(folder, Path):
        folder.fs.invalidate_cache(folder.path)


def files_in(folder: StoragePath) -> list[StoragePath]:
    """Files directly in a folder, oldest first (then by name); none when it does not exist."""
    forget_listings(folder)
    if not folder.is_dir():
        return []
    files = [p for p in folder.iterdir() if p.is_file()]
    return sorted(files, key=lambda p: (p.stat().st_mtime, p.name))
