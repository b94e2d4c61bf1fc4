"""The resolver's SQL: its query files (grain stated at the top of each) and connections."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import duckdb

SQL_DIR = Path(__file__).with_name("sql")


@cache
def sql(name: str) -> str:
    """The text of resolve/sql/<name>.sql."""
    return (SQL_DIR / f"{name}.sql").read_text()


def quiet_connection(con: duckdb.DuckDBPyConnection | None = None) -> duckdb.DuckDBPyConnection:
    """A connection (new, or a cursor on `con`) that prints no progress bars into task logs."""
    quiet = duckdb.connect() if con is None else con.cursor()
    quiet.execute("set enable_progress_bar = false")
    return quiet
