"""The build's sources, registered in DuckDB under fixed names and types.

`src_records` (the staged batches), `src_links` (identity zone), the keyed pseudonyms
of persons and households, and the reference tables. Columns are cast to the types the models
expect, so a change in the staging zone's types fails here with the column's name instead of
deep inside a model. The same sources can be created empty: that is how the data dictionary
learns the models' column types without any data.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from konvergensi.contracts import Contract
from konvergensi.privacy.pseudonym import key_parameters, pseudonym_sql
from konvergensi.warehouse.references import (
    programmes_frame,
    strategy_types_frame,
    villages_frame,
)

RECORD_COLUMNS = {
    "_source": "varchar",
    "_period": "varchar",
    "_batch_id": "varchar",
    "_row_number": "bigint",
    "village_code": "varchar",
    "sex": "varchar",
    "birth_date": "date",
    "intervention_date": "date",
    "amount": "double",
    "quantity": "double",
    "welfare_decile": "integer",
    "extreme_poor": "boolean",
}
LINK_COLUMNS = {
    "_source": "varchar",
    "_period": "varchar",
    "_batch_id": "varchar",
    "_row_number": "bigint",
    "person_id": "varchar",
    "household_id": "varchar",
    "match_tier": "varchar",
}


def _typed(columns: dict[str, str], source: str) -> str:
    casts = ", ".join(f"cast({c} as {t}) as {c}" for c, t in columns.items())
    return f"select {casts} from {source}"


def _empty(columns: dict[str, str]) -> str:
    nulls = ", ".join(f"null as {c}" for c in columns)
    return _typed(columns, f"(select {nulls}) where false")


def _quoted(paths: list[str]) -> str:
    return "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in paths) + "]"


def _register_keys(con: duckdb.DuckDBPyConnection, key: bytes | None) -> None:
    """Pseudonyms of every person and household id in the links, computed in DuckDB (no key and
    no pseudonyms: only the empty inputs of the data dictionary have no key)."""
    for column, pseudonym, table, prefix in (
        ("person_id", "beneficiary_key", "src_person_keys", "B"),
        ("household_id", "household_key", "src_household_keys", "H"),
    ):
        ids = f"(select distinct {column} from src_links where {column} is not null)"
        if key is None:
            con.execute(
                f"create temp table {table} as select {column}, "
                f"cast(null as varchar) as {pseudonym} from {ids} where false"
            )
            continue
        con.execute(
            f"create temp table {table} as select {column}, "
            f"{pseudonym_sql(column, prefix)} as {pseudonym} from {ids}",
            key_parameters(key),
        )


def _register(
    con: duckdb.DuckDBPyConnection,
    contracts: list[Contract],
    records: str,
    links: str,
    key: bytes | None,
) -> None:
    con.execute(f"create temp table src_records as {records}")
    con.execute(f"create temp table src_links as {links}")
    _register_keys(con, key)
    con.register("ref_programmes", programmes_frame(contracts))
    con.register("ref_strategy_types", strategy_types_frame())
    regencies = [
        r[0]
        for r in con.execute(
            "select distinct substr(village_code, 1, 5) from src_records "
            "where village_code is not null"
        ).fetchall()
    ]
    con.register("ref_villages", villages_frame(regencies))


def register_inputs(
    con: duckdb.DuckDBPyConnection,
    contracts: list[Contract],
    record_files: list[str],
    links_file: Path,
    key: bytes,
) -> None:
    """Create every source the models read, from the staged batches and the identity links."""
    records = _typed(RECORD_COLUMNS, f"read_parquet({_quoted(record_files)}, union_by_name = true)")
    links = _typed(LINK_COLUMNS, f"read_parquet({_quoted([str(links_file)])})")
    _register(con, contracts, records, links, key)


def register_empty_inputs(con: duckdb.DuckDBPyConnection) -> None:
    """The same sources, empty but typed: the models' column types without any data."""
    _register(con, [], _empty(RECORD_COLUMNS), _empty(LINK_COLUMNS), None)
