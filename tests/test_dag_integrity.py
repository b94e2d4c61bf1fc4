"""DAG integrity: the dags folder parses, every DAG is complete, and parsing stays cheap."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from konvergensi.airflow_support import HEAVY_POOL
from konvergensi.config import settings
from konvergensi.contracts import load_contracts
from konvergensi.landing_wait import WaitForDelivery
from konvergensi.privacy.pseudonym import MissingKeyError

ROOT = Path(__file__).resolve().parents[1]
HEAVY_MODULES = ("great_expectations", "splink", "pandas", "duckdb", "pyarrow")


@pytest.fixture(scope="module")
def dags() -> dict:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(ROOT / "dags"))
    assert bag.import_errors == {}, bag.import_errors
    return bag.dags


def test_one_ingest_dag_per_contract_plus_resolve_and_warehouse(dags: dict) -> None:
    sources = [c.source for c in load_contracts(settings().contracts_dir)]
    expected = {f"ingest_{s}" for s in sources} | {
        "ingest_catchup",
        "resolve_identities",
        "build_warehouse",
    }
    assert set(dags) == expected


def test_every_dag_has_owner_tags_retries_callback_schedule_and_docs(dags: dict) -> None:
    for dag_id, dag in dags.items():
        assert dag.doc_md and "fail" in dag.doc_md.lower(), f"{dag_id}: doc_md must say what to do"
        assert dag.tags, f"{dag_id}: no tags"
        assert dag.schedule is not None, f"{dag_id}: schedule must be explicit"
        for task in dag.tasks:
            assert task.owner and task.owner != "airflow", f"{dag_id}.{task.task_id}: owner"
            assert task.retries >= 1, f"{dag_id}.{task.task_id}: retries"
            assert task.on_failure_callback, f"{dag_id}.{task.task_id}: failure callback"


def test_asset_wiring(dags: dict) -> None:
    resolve_inputs = {a.name for a in dags["resolve_identities"].timetable.asset_condition.objects}
    staged = {
        t.outlets[0].name
        for d, dag in dags.items()
        if d.startswith("ingest_")
        for t in dag.tasks
        if t.outlets
    }
    assert staged and staged == resolve_inputs
    warehouse_inputs = {a.name for a in dags["build_warehouse"].timetable.asset_condition.objects}
    assert warehouse_inputs == {"konvergensi_identity"}


def test_memory_heavy_steps_share_one_pool(dags: dict) -> None:
    heavy = {
        (dag_id, task.task_id)
        for dag_id, dag in dags.items()
        for task in dag.tasks
        if task.pool == HEAVY_POOL
    }
    ingest = {d for d in dags if d.startswith("ingest_") and d != "ingest_catchup"}
    expected = {(d, t) for d in ingest for t in ("stage", "validate")} | {
        ("resolve_identities", "resolve"),
        ("build_warehouse", "build"),
    }
    assert heavy == expected


def test_ingest_waits_for_its_file_in_the_triggerer(dags: dict) -> None:
    for dag_id in (d for d in dags if d.startswith("ingest_") and d != "ingest_catchup"):
        wait = dags[dag_id].get_task("wait_for_delivery")
        assert isinstance(wait, WaitForDelivery), dag_id
        assert [t.task_id for t in wait.downstream_list] == ["archive"], dag_id


def test_mapped_tasks_have_readable_labels(dags: dict) -> None:
    mapped = [
        (dag_id, task)
        for dag_id, dag in dags.items()
        for task in dag.tasks
        if type(task).__name__ == "MappedOperator"
    ]
    assert mapped, "expected at least one mapped task (ingest_catchup.trigger_ingest)"
    for dag_id, task in mapped:
        template = task.partial_kwargs.get("map_index_template") or ""
        assert "ministry" in template and "file" in template, f"{dag_id}.{task.task_id}"


def test_parsing_the_dags_folder_imports_no_heavy_module() -> None:
    script = textwrap.dedent(
        f"""
        import json, sys
        from airflow.dag_processing.dagbag import DagBag
        bag = DagBag(dag_folder={str(ROOT / "dags")!r})
        assert not bag.import_errors, bag.import_errors
        print(json.dumps([m for m in {HEAVY_MODULES!r} if m in sys.modules]))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=os.environ.copy()
    )
    assert result.returncode == 0, result.stderr[-2000:]
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded == [], f"DAG parsing imported heavy modules: {loaded}"


def test_the_period_param_refuses_a_period_its_cadence_does_not_use(dags: dict) -> None:
    from airflow.sdk.exceptions import ParamValidationError

    for contract in load_contracts(settings().contracts_dir):
        period = dags[f"ingest_{contract.source}"].params.get_param("period")
        good, other = ("2026-09", "2026-Q3")[:: 1 if contract.cadence == "monthly" else -1]
        assert period.resolve(good) == good and period.resolve(None) is None
        for bad in ("2026-9", "2026-13", other):
            with pytest.raises(ParamValidationError):
                period.resolve(bad)


def test_a_missing_pseudonym_connection_gives_the_documented_error(
    dags: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AIRFLOW_CONN_KONVERGENSI_PSEUDONYM_KEY")
    build = dags["build_warehouse"].get_task("build")
    with pytest.raises(MissingKeyError, match=r"^no pseudonymisation key: set the Airflow conn"):
        build.python_callable()
    assert '"no pseudonymisation key"' in dags["build_warehouse"].doc_md


def test_an_invalid_contract_gets_a_failing_dag_of_its_own_and_the_rest_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow.dag_processing.dagbag import DagBag

    from konvergensi.contracts import ContractError

    contracts = tmp_path / "contracts"
    shutil.copytree(settings().contracts_dir, contracts)
    broken = contracts / "kemenkop_ukm.yaml"
    broken.write_text(broken.read_text().replace("cadence: monthly", "cadence: weekly"))
    ansi = contracts / "kemensos_pkh.yaml"  # saved by Notepad as "ANSI"
    ansi.write_bytes(ansi.read_text().replace("Sosial", "Sosial (é)").encode("cp1252"))
    monkeypatch.setenv("KONVERGENSI_CONTRACTS_DIR", str(contracts))
    bag = DagBag(dag_folder=str(ROOT / "dags"))
    assert bag.import_errors == {}, bag.import_errors
    sources = [c.source for c in load_contracts(ROOT / "contracts")]
    assert set(bag.dags) == {f"ingest_{s}" for s in sources} | {
        "ingest_catchup",
        "resolve_identities",
        "build_warehouse",
    }
    stand_in = bag.dags["ingest_kemenkop_ukm"]
    assert "invalid_contract" in stand_in.tags
    assert "kemenkop_ukm.yaml" in stand_in.description and "cadence" in stand_in.doc_md
    assert [t.task_id for t in stand_in.tasks] == ["contract_invalid"]
    with pytest.raises(ContractError, match=r"kemenkop_ukm\.yaml is invalid: cadence") as failed:
        stand_in.get_task("contract_invalid").python_callable()
    assert "identity resolution and the warehouse build stop" in str(failed.value)
    assert "clear the failed resolve and build tasks" in str(failed.value)
    not_utf8 = bag.dags["ingest_kemensos_pkh"]
    assert "invalid_contract" in not_utf8.tags
    assert "kemensos_pkh.yaml is not UTF-8 text (byte 0xe9 on line 3" in not_utf8.doc_md
    assert "kemensos_pkh.yaml as UTF-8" in not_utf8.doc_md
    resolve_inputs = {
        a.name for a in bag.dags["resolve_identities"].timetable.asset_condition.objects
    }
    left_out = {"kemenkop_ukm", "kemensos_pkh"}
    assert resolve_inputs == {f"konvergensi_staged_{s}" for s in sources if s not in left_out}
    # Resolution and the warehouse refuse to run without a source rather than drop its records.
    for dag_id, task_id in (("resolve_identities", "resolve"), ("build_warehouse", "build")):
        with pytest.raises(ContractError) as refused:
            bag.dags[dag_id].get_task(task_id).python_callable()
        message = str(refused.value)
        assert "2 contract file(s)" in message
        assert "kemenkop_ukm.yaml is invalid: cadence" in message
        assert "kemensos_pkh.yaml is not UTF-8" in message and "then clear this task" in message
    real = bag.dags["ingest_kemenkeu_umi"]
    assert [t.task_id for t in real.tasks] == ["wait_for_delivery", "archive", "stage", "validate"]
