"""The analytics zone holds keyed pseudonyms only: no NIK, KK, name or identity-zone id, and no
table of the restricted layers; a missing key stops the build."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from konvergensi.privacy.pseudonym import (
    MissingKeyError,
    key_id,
    key_parameters,
    pseudonym_sql,
)
from konvergensi.warehouse.models import load_models
from konvergensi.warehouse.publish import current_snapshot, table_glob
from tests.warehouse_sample import Sample, staged_sample


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    return staged_sample(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="module")
def snapshot(sample: Sample, tmp_path_factory: pytest.TempPathFactory) -> Path:
    warehouse = tmp_path_factory.mktemp("privacy") / "warehouse"
    sample.build(warehouse, min_cell_size=5)
    return current_snapshot(warehouse)


def _text_values(snapshot: Path, table: str) -> set[str]:
    """Every text value of a table, list elements included."""
    frame = duckdb.sql(
        f"select * from read_parquet('{table_glob(snapshot, table)}', hive_partitioning = true)"
    ).df()
    values: set[str] = set()
    for column in frame.columns:
        for v in frame[column].dropna():
            if isinstance(v, str):
                values.add(v)
            elif hasattr(v, "__iter__"):
                values.update(str(x) for x in v)
    return values


def test_no_personal_identifier_reaches_the_analytics_zone(sample: Sample, snapshot: Path):
    people = pd.read_parquet(sample.truth / "people.parquet")
    links = pd.read_parquet(sample.root / "identity" / "links.parquet")
    secrets = (
        set(people["nik"].dropna())
        | set(people["kk"].dropna())
        | set(people["full_name"].dropna())
        | {w for name in people["full_name"].dropna() for w in name.split() if len(w) > 3}
        | set(links["person_id"].astype(str))
        | set(links["household_id"].astype(str))
    )
    # A clan name can also be a village's name (Benu): place names are public, not personal.
    places = _text_values(snapshot, "dim_region")
    tables = [p.name for p in snapshot.iterdir() if p.is_dir()]
    assert tables and len(secrets) > 1000
    for table in tables:
        leaked = (_text_values(snapshot, table) - places) & secrets
        assert not leaked, f"{table} holds personal identifiers ({len(leaked)} values)"


def test_only_marts_are_written(snapshot: Path) -> None:
    written = {p.name for p in snapshot.iterdir() if p.is_dir()}
    restricted = {m.name for m in load_models() if m.zone == "restricted"}
    assert written == {m.name for m in load_models() if m.zone == "analytics"}
    assert not written & restricted
    assert {m.layer for m in load_models() if m.zone == "restricted"} == {
        "staging",
        "intermediate",
    }


def _pseudonyms(ids: list[str | None], key: bytes, prefix: str) -> list[str | None]:
    con = duckdb.connect()
    con.execute("create table ids as select unnest(?) as id", [ids])
    rows = con.execute(
        f"select {pseudonym_sql('id', prefix)} from ids", key_parameters(key)
    ).fetchall()
    return [r[0] for r in rows]


@pytest.mark.parametrize("key", [b"k" * 32, b"a-key-longer-than-one-sha256-block-" * 3])
def test_pseudonyms_are_rfc_2104_hmac_sha256(key: bytes) -> None:
    ids = ["P1", "P2", "Pé", "P1"]
    expected = [
        "B" + hmac.new(key, f"B:{i}".encode(), hashlib.sha256).hexdigest()[:24] for i in ids
    ]
    assert _pseudonyms(ids, key, "B") == expected


def test_pseudonyms_need_the_key_and_depend_on_it(sample: Sample, tmp_path: Path) -> None:
    one = _pseudonyms(["P1", "P2", None], b"k" * 32, "B")
    assert one[0] != one[1] and one[2] is None
    assert _pseudonyms(["P1"], b"j" * 32, "B")[0] != one[0]
    assert _pseudonyms(["P1"], b"k" * 32, "H")[0][1:] != one[0][1:]  # person vs household
    assert key_id(b"k" * 32) != key_id(b"j" * 32)
    for bad in (b"", b"short"):
        with pytest.raises(MissingKeyError):
            key_parameters(bad)
    with pytest.raises(MissingKeyError, match="konvergensi_pseudonym_key"):
        _build_without_key(sample, tmp_path / "w")
    assert not (tmp_path / "w" / "snapshots").exists()


def _build_without_key(sample: Sample, warehouse: Path) -> None:
    from konvergensi.warehouse.build import build_snapshot

    build_snapshot(
        sample.contracts,
        sample.root / "staging",
        sample.root / "identity",
        warehouse,
        b"",
        min_cell_size=5,
    )


def test_pseudonyms_are_stable_across_builds_with_one_key(sample: Sample, tmp_path: Path):
    keys = []
    for name in ("a", "b"):
        sample.build(tmp_path / name, min_cell_size=5)
        keys.append(
            duckdb.sql(
                "select beneficiary_key from read_parquet("
                f"'{table_glob(current_snapshot(tmp_path / name), 'dim_beneficiary')}') order by 1"
            ).fetchall()
        )
    assert keys[0] == keys[1]
