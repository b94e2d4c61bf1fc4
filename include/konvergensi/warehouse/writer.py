"""Write one analytics table as Parquet: Hive partitions, sorted rows, sensible file sizes.

Rows are sorted by the model's `sort_by` columns (region first) and then by every other column,
so row-group statistics let readers skip what a region or period filter excludes, and the same
rows always come out in the same order. Files are split at about 256 MB (what Spark and Trino
like) with DuckDB's default row groups of 122,880 rows.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from konvergensi.warehouse.models import Model

FILE_SIZE = "256MB"
ROW_GROUP_ROWS = 122_880
_SAFE_VALUE = re.compile(r"^[A-Za-z0-9_.-]+$")


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [row[0] for row in con.execute(f"describe {table}").fetchall()]


def _copy(con: duckdb.DuckDBPyConnection, query: str, target: Path) -> None:
    con.execute(
        f"copy ({query}) to '{target}' (format parquet, compression zstd, "
        f"row_group_size {ROW_GROUP_ROWS}, file_size_bytes '{FILE_SIZE}', "
        "filename_pattern 'part_{i}')"
    )


def write_table(con: duckdb.DuckDBPyConnection, model: Model, target: Path) -> list[str]:
    """Write the model's table under `target`; returns the table's columns in order."""
    columns = _columns(con, model.name)
    parts = model.partition_by
    order = [*model.sort_by, *(c for c in columns if c not in model.sort_by and c not in parts)]
    order_sql = ", ".join(f'"{c}"' for c in order)
    target.mkdir(parents=True)
    if not parts:
        _copy(con, f"select * from {model.name} order by {order_sql}", target)
        return columns
    values = con.execute(
        f"select distinct {', '.join(parts)} from {model.name} order by all"
    ).fetchall()
    if not values:  # keep the schema readable: one empty file with every column
        _copy(con, f"select * from {model.name}", target)
        return columns
    kept = ", ".join(f'"{c}"' for c in columns if c not in parts)
    for combination in values:
        if not all(_SAFE_VALUE.match(str(v)) for v in combination):
            raise ValueError(f"{model.name}: partition value {combination} is not path-safe")
        folder = target.joinpath(*(f"{c}={v}" for c, v in zip(parts, combination, strict=True)))
        folder.parent.mkdir(parents=True, exist_ok=True)
        where = " and ".join(f"\"{c}\" = '{v}'" for c, v in zip(parts, combination, strict=True))
        _copy(con, f"select {kept} from {model.name} where {where} order by {order_sql}", folder)
    return columns
