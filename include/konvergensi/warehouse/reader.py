"""Open warehouse.duckdb wherever its folder is: its views name the snapshots' Parquet by paths
relative to that folder, so a copied or moved warehouse reads its own files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # duckdb is imported when a warehouse is opened, not with the package
    import duckdb

DUCKDB_FILE = "warehouse.duckdb"


def open_warehouse(path: Path | str, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """A connection to warehouse.duckdb (or to the folder holding it) that resolves the views'
    relative paths against the file's folder (DuckDB's `file_search_path`), whatever the
    working directory."""
    import duckdb

    database = Path(path).resolve()
    if database.is_dir():
        database = database / DUCKDB_FILE
    if not database.is_file():
        raise FileNotFoundError(f"no warehouse at {database}: build and publish one first")
    config = {"file_search_path": search_path(database.parent)}
    return duckdb.connect(str(database), read_only=read_only, config=config)


def search_path(folder: Path) -> str:
    """The `file_search_path` that resolves the views' paths: the warehouse folder."""
    folder = folder.resolve()
    if "," in str(folder):
        raise ValueError(
            f"{folder}: DuckDB's file_search_path is a comma-separated list, so the warehouse "
            "folder's path must not contain a comma; move the warehouse"
        )
    return str(folder)
