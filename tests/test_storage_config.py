"""Storage configuration: local by default, object storage by URL, clear errors otherwise; and
the landing code path through ObjectStoragePath on a file:// URL (no bucket needed)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from konvergensi.catchup import pending_deliveries
from konvergensi.config import settings
from konvergensi.contracts import load_contracts
from konvergensi.ingest.archive import landing_regex
from konvergensi.landing_wait import file_states
from konvergensi.pipeline import archive_period, contract_for, copy_warehouse
from konvergensi.storage import as_path, landing_root, warehouse_copy_root
from tests.samples import generate_sample, landed_file
from tests.warehouse_sample import staged_sample


@pytest.fixture(autouse=True)
def _no_storage_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in (
        "KONVERGENSI_LANDING_URL",
        "KONVERGENSI_WAREHOUSE_URL",
        "KONVERGENSI_OBJECT_STORAGE_CONN_ID",
    ):
        monkeypatch.delenv(variable, raising=False)


def test_without_urls_everything_stays_under_the_data_root(data_root: Path) -> None:
    assert landing_root() == data_root / "landing"
    assert isinstance(landing_root(), Path)
    assert warehouse_copy_root() is None
    assert copy_warehouse() is None
    assert settings().object_storage_conn_id == "aws_default"


def test_urls_become_object_storage_paths_with_the_connection(
    data_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow.sdk import ObjectStoragePath

    monkeypatch.setenv("KONVERGENSI_OBJECT_STORAGE_CONN_ID", "konvergensi_bucket")
    monkeypatch.setenv("KONVERGENSI_LANDING_URL", f"file://{data_root}/drop/")
    monkeypatch.setenv("KONVERGENSI_WAREHOUSE_URL", f"file://{data_root}/published")
    landing = landing_root()
    assert isinstance(landing, ObjectStoragePath)
    assert str(landing) == f"file://{data_root}/drop"
    assert landing.conn_id is None  # the local file system needs no connection
    assert str(warehouse_copy_root()) == f"file://{data_root}/published"
    assert as_path(str(landing / "p3ke")) == landing / "p3ke"
    assert as_path(str(data_root / "landing")) == data_root / "landing"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("KONVERGENSI_DATA_ROOT", "s3://bucket/root", "KONVERGENSI_LANDING_URL"),
        ("KONVERGENSI_LANDING_URL", "bucket/landing", "is not a URL"),
        ("KONVERGENSI_WAREHOUSE_URL", "/srv/warehouse", "is not a URL"),
    ],
)
def test_a_misconfigured_location_is_refused_with_what_to_do(
    data_root: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValueError, match=message):
        settings()


def test_a_landing_url_is_listed_archived_and_swept_through_object_storage_path(
    data_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = generate_sample(["kemenkop_ukm"], ["2026-08", "2026-09"])
    drop = data_root / "drop" / "kemenkop_ukm"
    drop.mkdir(parents=True)
    for period in ("2026-08", "2026-09"):
        shutil.move(landed_file(summary, "kemenkop_ukm", period), drop)
    monkeypatch.setenv("KONVERGENSI_LANDING_URL", f"file://{data_root}/drop")

    folder = str(landing_root() / "kemenkop_ukm")
    pattern = landing_regex(contract_for("kemenkop_ukm"), "2026-09").pattern
    landed = drop / "kemenkop_ukm_2026-09.csv"
    assert file_states(folder, pattern) == {
        landed.name: [landed.stat().st_size, landed.stat().st_mtime]
    }
    delivery = archive_period("kemenkop_ukm", "2026-08")
    assert delivery["landed_name"] == "kemenkop_ukm_2026-08.csv"
    assert Path(delivery["raw_path"]).read_bytes() == (drop / delivery["landed_name"]).read_bytes()
    assert archive_period("kemenkop_ukm", "2026-07") is None
    found = pending_deliveries(
        load_contracts(settings().contracts_dir), landing_root(), settings().zone("raw")
    )
    assert [(p["period"], p["file"]) for p in found] == [("2026-09", "kemenkop_ukm_2026-09.csv")]


@pytest.mark.airflow
def test_without_a_warehouse_url_the_copy_is_skipped_and_the_build_succeeds(
    data_root: Path, fail_fast_dags: dict, tmp_path_factory: pytest.TempPathFactory
) -> None:
    sample = staged_sample(tmp_path_factory.getbasetemp())
    data_root.mkdir(parents=True)
    for zone in ("staging", "identity"):
        (data_root / zone).symlink_to(sample.root / zone)
    run = fail_fast_dags["build_warehouse"].test()
    states = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
    assert str(run.state) == "success"
    assert states == {"build": "success", "copy_to_object_storage": "skipped"}
    assert (data_root / "warehouse" / "CURRENT").exists()
