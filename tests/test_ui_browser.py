"""The operator's view, in a real Airflow and a real browser.

Starts `airflow standalone` (scheduler, DAG processor, triggerer, API server; LocalExecutor),
lands one period of every source with one bad extract (a renamed column) and one source that
never delivers, triggers every ingest DAG through REST API v2, backfills two earlier months of
one source with `airflow backfill create`, and lets the asset schedule run identity resolution
and the warehouse. Then headless Chromium checks what an operator sees; screenshots go to
test-artifacts/ui/. Needs Chromium: skipped without it, failed under KONVERGENSI_REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import json
import shutil
import signal
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pendulum
import pytest

from konvergensi.airflow_support import HEAVY_POOL, HEAVY_POOL_SLOTS, TIMEZONE
from konvergensi.config import settings
from konvergensi.contracts import load_contracts
from konvergensi.periods import previous_period
from konvergensi.staging_zone import current_batch
from konvergensi.warehouse.publish import current_snapshot
from tests.browser import Browser, find_chromium
from tests.live_airflow import LiveAirflow
from tests.samples import generate_sample, landed_file, leaked, personal_data, rename_column
from tests.settings import REQUIRE_SERVICES, ROOT

pytestmark = [pytest.mark.browser, pytest.mark.airflow]
ARTIFACTS = ROOT / "test-artifacts" / "ui"
BAD, SILENT, BACKFILLED = "kemenkop_ukm", "kemnaker_penempatan", "kemenkeu_umi"
TERMINAL = {"success", "failed"}
PIPELINE_TIMEOUT = 1200


def _chromium() -> str:
    found = find_chromium()
    if found is None:
        reason = "Chromium not installed (Debian: apt-get install chromium)"
        if REQUIRE_SERVICES:
            pytest.fail(f"{reason}; KONVERGENSI_REQUIRE_SERVICES=1 requires it")
        pytest.skip(reason)
    return found


def _quote(run_id: str) -> str:
    return urllib.parse.quote(run_id, safe="")


def _runs(live: LiveAirflow, dag_id: str) -> list[dict]:
    return live.api("GET", f"/api/v2/dags/{dag_id}/dagRuns?limit=100&order_by=start_date")[
        "dag_runs"
    ]


def _task_states(live: LiveAirflow, dag_id: str, run_id: str) -> dict[str, str]:
    found = live.api("GET", f"/api/v2/dags/{dag_id}/dagRuns/{_quote(run_id)}/taskInstances")
    return {ti["task_id"]: ti["state"] for ti in found["task_instances"]}


def _slot(logical_date: str) -> pendulum.DateTime:
    """A scheduled run's logical date in WIB (where the DAGs' cron expressions live)."""
    return pendulum.parse(logical_date).in_timezone(TIMEZONE)


def _trigger_everything(live: LiveAirflow) -> dict:
    """Land the sample, start every ingest DAG over REST and the backfill over the CLI."""
    contracts = {c.source: c for c in load_contracts(settings().contracts_dir)}
    slots = {
        s: live.api("GET", f"/api/v2/dags/ingest_{s}")["next_dagrun_logical_date"]
        for s in contracts
    }
    periods = {s: previous_period(_slot(slot), contracts[s].cadence) for s, slot in slots.items()}
    month = periods[BACKFILLED]
    backfill_slots = [_slot(slots[BACKFILLED]).subtract(months=n) for n in (2, 1)]
    earlier = [previous_period(slot, "monthly") for slot in backfill_slots]
    quarter = next(p for s, p in periods.items() if contracts[s].cadence == "quarterly")
    summary = generate_sample(None, [*earlier, month, quarter], rows=1200)
    rename_column(landed_file(summary, BAD, periods[BAD]), "no_ktp", "nomor_ktp")
    landed_file(summary, SILENT, periods[SILENT]).unlink()
    live.api("POST", "/api/v2/pools", {"name": HEAVY_POOL, "slots": HEAVY_POOL_SLOTS})
    runs = {}
    for source in contracts:
        run = live.api(
            "POST",
            f"/api/v2/dags/ingest_{source}/dagRuns",
            {"logical_date": slots[source], "conf": {}},
        )
        runs[source] = run["dag_run_id"]
    for dag_id in [*(f"ingest_{s}" for s in contracts), "resolve_identities", "build_warehouse"]:
        live.api("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})
    live.airflow(
        "backfill",
        "create",
        "--dag-id",
        f"ingest_{BACKFILLED}",
        "--from-date",
        backfill_slots[0].isoformat(),
        "--to-date",
        backfill_slots[1].isoformat(),
        "--max-active-runs",
        "1",
    )
    return {"runs": runs, "periods": periods, "backfilled": earlier}


def _last_event(live: LiveAirflow, prefix: str) -> str:
    """Time of the newest event of the assets whose name starts with `prefix`."""
    events = live.api("GET", "/api/v2/assets/events?limit=500")["asset_events"]
    return max(e["timestamp"] for e in events if e["name"].startswith(prefix))


def _alert_of(live: LiveAirflow, dag_id: str, run: dict) -> str:
    """The failure alert our notifier wrote into the failed task's log (what an operator reads)."""
    run_id = _quote(run["dag_run_id"])
    for task_id, state in _task_states(live, dag_id, run["dag_run_id"]).items():
        if state == "failed":
            log = live.api(
                "GET",
                f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/logs/1"
                "?full_content=true",
            )
            events = [e.get("event", "") for e in log["content"] if isinstance(e, dict)]
            return next((e for e in events if e.startswith("[Konvergensi]")), task_id)
    return "no failed task found"


def _settled(live: LiveAirflow, runs: dict[str, str]) -> bool:
    """Every delivered source finished, then identities and the warehouse were rebuilt after
    the last batch was published (compared with asset events, which come before their run's
    end date). Raises as soon as that final resolve or build has failed, with its alert."""
    ingest = [r for source in runs if source != SILENT for r in _runs(live, f"ingest_{source}")]
    if any(r["state"] not in TERMINAL for r in ingest):
        return False
    resolves, builds = _runs(live, "resolve_identities"), _runs(live, "build_warehouse")
    if not resolves or any(r["state"] not in TERMINAL for r in resolves + builds):
        return False
    last_resolve = resolves[-1]
    if last_resolve["start_date"] < _last_event(live, "konvergensi_staged_"):
        return False
    if last_resolve["state"] == "failed":
        raise AssertionError(_alert_of(live, "resolve_identities", last_resolve))
    # the build the last identity event triggered (it may start before that resolve run has
    # recorded its end date)
    if not builds or builds[-1]["start_date"] < _last_event(live, "konvergensi_identity"):
        return False
    if builds[-1]["state"] == "failed":
        raise AssertionError(_alert_of(live, "build_warehouse", builds[-1]))
    return True


@pytest.fixture(scope="module")
def airflow_run() -> Iterator[dict]:
    """A live Airflow that has run the whole pipeline once; stopped at the end of the module."""
    chromium = _chromium()
    base = Path(tempfile.mkdtemp(prefix="konvergensi-ui-"))
    live = LiveAirflow(base / "home", base / "data")
    # A CI timeout sends SIGTERM: exit through the `finally` below so Airflow is stopped too.
    previous_handler = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KONVERGENSI_DATA_ROOT", str(base / "data"))
        try:
            started = time.monotonic()
            live.start()
            # The DAG processor needs a moment to register every DAG after the first start.
            live.wait_for(
                "every DAG to be parsed",
                lambda: live.api("GET", "/api/v2/dags?limit=100")["total_entries"] >= 12,
                timeout=180,
            )
            run = _trigger_everything(live)
            live.wait_for(
                "the pipeline to settle",
                lambda: _settled(live, run["runs"]),
                timeout=PIPELINE_TIMEOUT,
                every=10,
            )
            print(f"live pipeline settled in {time.monotonic() - started:.0f} s")
            with Browser(chromium) as page:
                yield {**run, "live": live, "page": page, "home": base / "home"}
        finally:
            live.stop()
            signal.signal(signal.SIGTERM, previous_handler)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            if (base / "home" / "standalone.log").exists():
                shutil.copyfile(base / "home" / "standalone.log", ARTIFACTS / "standalone.log")
            shutil.rmtree(base, ignore_errors=True)


def test_dag_list_shows_every_dag(airflow_run: dict) -> None:
    live, page = airflow_run["live"], airflow_run["page"]
    page.open(f"{live.url}/dags")
    expected = [f"ingest_{s}" for s in airflow_run["runs"]]
    expected += ["ingest_catchup", "resolve_identities", "build_warehouse"]
    page.wait_for_text(*expected)
    page.screenshot(ARTIFACTS / "01-dag-list.png")


def test_dag_docs_tell_the_operator_what_to_do(airflow_run: dict) -> None:
    live, page = airflow_run["live"], airflow_run["page"]
    page.open(f"{live.url}/dags/ingest_{BAD}")
    page.wait_for_text("wait_for_delivery")
    page.click("button[aria-label='Dag Docs']")
    page.wait_for_text("When it fails", "Kementerian Koperasi dan UKM", "wait_hours")
    time.sleep(1)  # let the dialog finish fading in
    page.screenshot(ARTIFACTS / "02-dag-docs.png")


def test_bad_extract_fails_its_stage_with_a_readable_message(airflow_run: dict) -> None:
    live, page = airflow_run["live"], airflow_run["page"]
    run_id = airflow_run["runs"][BAD]
    states = _task_states(live, f"ingest_{BAD}", run_id)
    assert states == {
        "wait_for_delivery": "success",
        "archive": "success",
        "stage": "failed",
        "validate": "upstream_failed",
    }
    page.open(f"{live.url}/dags/ingest_{BAD}/runs/{_quote(run_id)}/tasks/stage")
    file = f"{BAD}_{airflow_run['periods'][BAD]}.csv"
    page.wait_for_text(f"column `no_ktp` not found in {file}", timeout=90)
    page.screenshot(ARTIFACTS / "03-failed-task-log.png")
    log = live.api(
        "GET",
        f"/api/v2/dags/ingest_{BAD}/dagRuns/{_quote(run_id)}/taskInstances/stage/logs/1"
        "?full_content=true",
    )
    events = [line.get("event", "") for line in log["content"] if isinstance(line, dict)]
    (alert,) = [e for e in events if e.startswith("[Konvergensi]")]
    assert alert.startswith(f"[Konvergensi] ingest_{BAD}.stage failed (Kementerian Koperasi")
    assert f"File: {file}" in alert and "Reason: column `no_ktp` not found" in alert


def test_the_other_sources_succeeded_and_the_warehouse_used_them(airflow_run: dict) -> None:
    live, page = airflow_run["live"], airflow_run["page"]
    for source, run_id in airflow_run["runs"].items():
        if source in (BAD, SILENT):
            continue
        states = _task_states(live, f"ingest_{source}", run_id)
        assert set(states.values()) == {"success"}, (source, states)
    snapshot = current_snapshot(settings().zone("warehouse"))
    used = json.loads((snapshot / "manifest.json").read_text())["batches"]
    periods = airflow_run["periods"]
    for source, period in periods.items():
        assert (period in used.get(source, {})) == (source not in (BAD, SILENT)), source
    page.open(f"{live.url}/dags/build_warehouse")
    page.wait_for_text("build")
    page.screenshot(ARTIFACTS / "04-warehouse-dag.png")


def test_backfill_loaded_the_earlier_months(airflow_run: dict) -> None:
    live = airflow_run["live"]
    backfills = live.api("GET", f"/api/v2/backfills?dag_id=ingest_{BACKFILLED}")["backfills"]
    assert len(backfills) == 1 and backfills[0]["completed_at"], backfills
    runs = [r for r in _runs(live, f"ingest_{BACKFILLED}") if r["run_type"] == "backfill"]
    assert sorted(r["state"] for r in runs) == ["success", "success"]
    staging = settings().zone("staging")
    for period in airflow_run["backfilled"]:
        assert current_batch(staging, BACKFILLED, period), period


def test_a_missing_delivery_waits_deferred_without_a_worker_slot(airflow_run: dict) -> None:
    live, page = airflow_run["live"], airflow_run["page"]
    run_id = airflow_run["runs"][SILENT]
    assert _task_states(live, f"ingest_{SILENT}", run_id)["wait_for_delivery"] == "deferred"
    pool = live.api("GET", "/api/v2/pools/default_pool")
    assert pool["deferred_slots"] >= 1 and pool["running_slots"] == 0, pool
    assert live.api("GET", "/api/v2/monitor/health")["triggerer"]["status"] == "healthy"
    page.open(f"{live.url}/dags/ingest_{SILENT}/runs/{_quote(run_id)}")
    page.wait_for_text("wait_for_delivery")
    page.screenshot(ARTIFACTS / "05-waiting-for-delivery.png")


def test_task_log_files_hold_no_nik_kk_or_name(airflow_run: dict) -> None:
    logs = sorted((airflow_run["home"] / "logs").rglob("*.log"))
    stage_logs = [p for p in logs if "task_id=stage" in str(p)]
    assert len(logs) >= 30 and len(stage_logs) >= 8, f"only {len(logs)} task log files"
    text = "\n".join(p.read_text(errors="replace") for p in logs)
    ids, names = personal_data(settings().data_root / "truth")
    found_ids, found_names = leaked(text, ids, names)
    assert not found_ids, f"{len(found_ids)} NIK/KK numbers in the task log files"
    assert not found_names, f"{len(found_names)} names in the task log files"
