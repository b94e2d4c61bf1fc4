"""Object storage for real: the landing zone and the warehouse copy in S3 (a moto server on a
localhost port), reached through Airflow's ObjectStoragePath and the `aws_default` connection.

A ministry's extract is put into the bucket with boto3 while the ingest run waits in its
trigger, and is archived, staged and validated; the catch-up sweep lists the bucket; the
published warehouse is copied with CURRENT last and read back with pyarrow's own S3 client.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pyarrow.dataset as ds
import pytest
from pyarrow.fs import S3FileSystem

from konvergensi.catchup import pending_deliveries
from konvergensi.config import settings
from konvergensi.contracts import load_contracts
from konvergensi.demo import run_date_for
from konvergensi.ingest.archive import deliveries
from konvergensi.pipeline import archive_period, build_warehouse, copy_warehouse
from konvergensi.staging_zone import current_batch
from konvergensi.storage import landing_root
from konvergensi.warehouse.publish import current_build, current_snapshot
from konvergensi.warehouse.snapshots import list_snapshots
from tests.samples import generate_sample, landed_file, once_deferred
from tests.warehouse_sample import Sample, staged_sample

LANDING_BUCKET = "konvergensi-landing"
WAREHOUSE_BUCKET = "konvergensi-warehouse"
KEY_ID = SECRET = "testing"  # moto accepts any keys; these are not credentials
REGION = "us-east-1"


@dataclass(frozen=True)
class S3:
    """The moto endpoint and a plain boto3 client (what a ministry or an analyst would use)."""

    endpoint: str
    client: object

    def put(self, bucket: str, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=bucket, Key=key, Body=data)

    def keys(self, bucket: str, prefix: str) -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return sorted(o["Key"] for page in pages for o in page.get("Contents", []))

    def read(self, bucket: str, key: str) -> bytes:
        return self.client.get_object(Bucket=bucket, Key=key)["Body"].read()


@pytest.fixture(scope="module")
def s3() -> Iterator[S3]:
    """A moto S3 server on a free localhost port, named by the `aws_default` connection."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    connection = {
        "conn_type": "aws",
        "login": KEY_ID,
        "password": SECRET,
        "extra": {"endpoint_url": endpoint, "region_name": REGION},
    }
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIRFLOW_CONN_AWS_DEFAULT", json.dumps(connection))
        # Keep boto away from any real account: fake keys and no instance metadata lookups.
        patch.setenv("AWS_ACCESS_KEY_ID", KEY_ID)
        patch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
        patch.setenv("AWS_DEFAULT_REGION", REGION)
        patch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id=KEY_ID,
            aws_secret_access_key=SECRET,
            region_name=REGION,
        )
        for bucket in (LANDING_BUCKET, WAREHOUSE_BUCKET):
            client.create_bucket(Bucket=bucket)
        try:
            yield S3(endpoint, client)
        finally:
            server.stop()


def _take(local: Path) -> bytes:
    """A generated extract's bytes, removed from the local landing zone (only the bucket has it)."""
    data = local.read_bytes()
    local.unlink()
    return data


def _land_in_bucket(s3: S3, prefix: str, local: Path) -> bytes:
    """Put a generated extract where the ministry would, and remove the local copy."""
    data = _take(local)
    s3.put(LANDING_BUCKET, f"{prefix}/{local.parent.name}/{local.name}", data)
    return data


@pytest.mark.airflow
def test_a_file_put_in_the_bucket_while_the_run_waits_is_loaded(
    s3: S3, data_root: Path, fail_fast_dags: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KONVERGENSI_LANDING_URL", f"s3://{LANDING_BUCKET}/wait")
    summary = generate_sample(["kemendes_bltdd"], ["2026-08", "2026-09"])
    # Last month's file is in the bucket already, so the first look caches a listing.
    _land_in_bucket(s3, "wait", landed_file(summary, "kemendes_bltdd", "2026-08"))
    local = landed_file(summary, "kemendes_bltdd", "2026-09")
    data = _take(local)
    key = f"wait/kemendes_bltdd/{local.name}"
    land = threading.Thread(target=once_deferred, args=(lambda: s3.put(LANDING_BUCKET, key, data),))
    land.daemon = True
    land.start()
    run = fail_fast_dags["ingest_kemendes_bltdd"].test(
        logical_date=run_date_for("2026-09"), run_conf={"wait_hours": 0.03}
    )
    land.join(timeout=5)
    states = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
    assert str(run.state) == "success", states
    assert set(states.values()) == {"success"}, states
    waited = run.get_task_instance("wait_for_delivery").xcom_pull(task_ids="wait_for_delivery")
    assert waited == {"period": "2026-09", "files": [local.name], "waited": True}
    (delivery,) = deliveries(settings().zone("raw"), "kemendes_bltdd", "2026-09")
    assert delivery.original_name == local.name
    assert delivery.sha256 == hashlib.sha256(data).hexdigest()
    assert delivery.size == len(data)
    assert Path(delivery.raw_path).read_bytes() == data
    assert current_batch(settings().zone("staging"), "kemendes_bltdd", "2026-09")
    assert not any(settings().zone("landing").rglob("*.*"))


@pytest.mark.airflow
def test_catchup_lists_the_bucket_and_starts_the_pending_file(
    s3: S3, data_root: Path, fail_fast_dags: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow.models.dagrun import DagRun

    monkeypatch.setenv("KONVERGENSI_LANDING_URL", f"s3://{LANDING_BUCKET}/catchup")
    summary = generate_sample(["kemenkeu_umi"], ["2026-08", "2026-09"])
    august = _land_in_bucket(s3, "catchup", landed_file(summary, "kemenkeu_umi", "2026-08"))
    september = landed_file(summary, "kemenkeu_umi", "2026-09").name
    _land_in_bucket(s3, "catchup", landed_file(summary, "kemenkeu_umi", "2026-09"))
    archived = archive_period("kemenkeu_umi", "2026-08")
    assert archived["sha256"] == hashlib.sha256(august).hexdigest()
    assert archive_period("kemenkeu_umi", "2026-08")["already_archived"]

    contracts = load_contracts(settings().contracts_dir)
    found = pending_deliveries(contracts, landing_root(), settings().zone("raw"))
    assert [(p["source"], p["period"], p["file"]) for p in found] == [
        ("kemenkeu_umi", "2026-09", september)
    ]
    run = fail_fast_dags["ingest_catchup"].test()
    assert str(run.state) == "success"
    (started,) = DagRun.find(dag_id="ingest_kemenkeu_umi", run_id=found[0]["run_id"])
    assert started.conf["file"] == september


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    return staged_sample(tmp_path_factory.getbasetemp())


def _reader(s3: S3) -> S3FileSystem:
    """pyarrow's own S3 client: an analyst's reader, independent of Airflow and s3fs."""
    return S3FileSystem(
        access_key=KEY_ID, secret_key=SECRET, region=REGION, endpoint_override=s3.endpoint
    )


def _rows(table) -> list[str]:
    """A table's rows in a comparable, order-free form (some columns hold lists)."""
    return sorted(json.dumps(row, sort_keys=True, default=str) for row in table.to_pylist())


@pytest.mark.airflow
def test_the_published_warehouse_is_copied_and_reads_back_from_the_bucket(
    s3: S3,
    sample: Sample,
    data_root: Path,
    fail_fast_dags: dict,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data_root.mkdir(parents=True)
    for zone in ("staging", "identity"):
        (data_root / zone).symlink_to(sample.root / zone)
    monkeypatch.setenv("KONVERGENSI_WAREHOUSE_URL", f"s3://{WAREHOUSE_BUCKET}/konvergensi")
    run = fail_fast_dags["build_warehouse"].test()
    states = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
    assert states == {"build": "success", "copy_to_object_storage": "success"}

    warehouse = settings().zone("warehouse")
    build_id = current_build(warehouse)
    snapshot = current_snapshot(warehouse)
    assert s3.read(WAREHOUSE_BUCKET, "konvergensi/CURRENT").decode().strip() == build_id
    prefix = f"konvergensi/snapshots/{build_id}/"
    local_files = sorted(str(p.relative_to(snapshot)) for p in snapshot.rglob("*") if p.is_file())
    keys = s3.keys(WAREHOUSE_BUCKET, prefix)
    assert [k.removeprefix(prefix) for k in keys] == local_files

    manifest = json.loads(s3.read(WAREHOUSE_BUCKET, prefix + "manifest.json"))
    reader = _reader(s3)
    for table, spec in manifest["tables"].items():
        hive = "hive" if spec["partition_by"] and spec["rows"] else None
        remote = ds.dataset(
            f"{WAREHOUSE_BUCKET}/{prefix}{table}",
            filesystem=reader,
            format="parquet",
            partitioning=hive,
        ).to_table()
        local = ds.dataset(str(snapshot / table), format="parquet", partitioning=hive).to_table()
        assert remote.num_rows == spec["rows"], table
        assert remote.schema == local.schema, table
        assert _rows(remote) == _rows(local), table
    assert manifest["tables"]["mart_convergence_village"]["rows"] > 0

    # Copying again (a cleared task) writes nothing and duplicates nothing.
    again = copy_warehouse()
    assert (again["build_id"], again["uploaded"]) == (build_id, 0)
    assert again["already_there"] == len(local_files)
    assert s3.keys(WAREHOUSE_BUCKET, prefix) == keys

    # A new build with one snapshot kept: the bucket follows, CURRENT last, the old one pruned.
    newer = build_warehouse(b"another-test-key-0123456789abcdef", keep_snapshots=1)["build_id"]
    copied = copy_warehouse()
    assert copied["build_id"] == newer and copied["pruned"] == [build_id]
    assert list_snapshots(warehouse) == [newer]
    assert s3.read(WAREHOUSE_BUCKET, "konvergensi/CURRENT").decode().strip() == newer
    assert not s3.keys(WAREHOUSE_BUCKET, prefix)
    assert s3.keys(WAREHOUSE_BUCKET, f"konvergensi/snapshots/{newer}/")
