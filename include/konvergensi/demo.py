"""`make demo`: generate a sample, run every DAG in Airflow (dag.test on SQLite), show the result.

Runs each source's ingest DAG once per delivered period, then identity resolution, then the
warehouse build: the same order the asset schedule gives in a running Airflow.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from konvergensi.config import PROJECT_ROOT, settings
from konvergensi.contracts import load_contracts
from konvergensi.keys import export_local_key_connection
from konvergensi.periods import period_bounds


def run_date_for(period: str) -> datetime:
    """The logical date of the scheduled run that ingests a period (the day after it ends)."""
    _, last = period_bounds(period)
    return datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1)


def load_dags(dags_folder: Path) -> dict:
    """Parse the DAG folder the way Airflow does; fail loudly on import errors."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(dags_folder))
    if bag.import_errors:
        raise RuntimeError(f"DAG import errors: {bag.import_errors}")
    return bag.dags


def run_dag(dag, logical_date: datetime | None = None) -> str:
    """Run one DAG in-process with dag.test(); returns the run's final state."""
    run = dag.test(logical_date=logical_date) if logical_date else dag.test()
    return str(run.state)


def run_pipeline(periods_by_source: dict[str, list[str]], dags_folder: Path) -> dict[str, str]:
    """Run every ingest DAG for its periods, then resolve, then build; returns run states."""
    dags = load_dags(dags_folder)
    states = {}
    for source, periods in sorted(periods_by_source.items()):
        for period in periods:
            states[f"ingest_{source} {period}"] = run_dag(
                dags[f"ingest_{source}"], run_date_for(period)
            )
    states["resolve_identities"] = run_dag(dags["resolve_identities"])
    states["build_warehouse"] = run_dag(dags["build_warehouse"])
    return states


COUNT_COLUMNS = (
    "register_extreme_poor, extreme_poor_reached, extreme_poor_not_reached, people_reached, "
    "reached_by_two_plus_ministries, reached_outside_register"
)


WITHHELD = "*"


def _cells(values: tuple) -> str:
    """The six counts, right-aligned; a withheld count shows as WITHHELD (not as "<k": cells
    withheld to protect another cell can be any size)."""
    widths = (6, 7, 5, 6, 6, 7)
    shown = [WITHHELD if v is None else str(v) for v in values]
    return " ".join(f"{v:>{w}}" for v, w in zip(shown, widths, strict=True))


def village_table(warehouse_root: Path) -> str:
    """The per-village convergence table of the latest quarter, as text, with the regency
    totals and a legend for the counts withheld by disclosure control."""
    from konvergensi.warehouse import open_warehouse

    con = open_warehouse(warehouse_root)
    try:
        min_cell_size = con.execute("select min_cell_size from warehouse_build").fetchone()[0]
        latest = "(select max(quarter) from mart_convergence_village)"
        rows = con.execute(
            f"select quarter, village_code, village_name, kecamatan_name, {COUNT_COLUMNS} "
            f"from mart_convergence_village where quarter = {latest} order by village_code"
        ).fetchall()
        totals = con.execute(
            f"select quarter, regency_code, regency_name, {COUNT_COLUMNS} "
            f"from mart_convergence_regency where quarter = {latest} order by regency_code"
        ).fetchall()
    finally:
        con.close()
    header = (
        f"{'quarter':8} {'village':14} {'name':22} {'kecamatan':18} {'xpoor':>6} "
        f"{'reached':>7} {'none':>5} {'people':>6} {'2+min':>6} {'outside':>7}"
    )
    lines = [header, "-" * len(header)]
    for r in rows:
        lines.append(f"{r[0]:8} {r[1]:14} {r[2][:22]:22} {(r[3] or '')[:18]:18} " + _cells(r[4:]))
    lines.append("-" * len(header))
    for r in totals:
        lines.append(f"{r[0]:8} {r[1]:14} {'total ' + (r[2] or ''):41.41} " + _cells(r[3:]))
    lines.append(
        f"{WITHHELD} = withheld: fewer than {min_cell_size} people, or a count that would give "
        "such a count away"
    )
    return "\n".join(lines)


def run_demo(rows: int, seed: int) -> None:
    """Generate, run every DAG, print the convergence table and how to query it."""
    from konvergensi.synthetic import generate

    s = settings()
    export_local_key_connection()
    # In-process runs wait out retry delays; a demo should fail fast instead.
    os.environ.setdefault("KONVERGENSI_TASK_RETRIES", "0")
    # The generated files are complete before any run looks: no settle interval to wait out.
    os.environ.setdefault("KONVERGENSI_LANDING_SETTLE_SECONDS", "0")
    contracts = load_contracts(s.contracts_dir)
    started = time.perf_counter()
    summary = generate(s.zone("landing"), s.data_root / "truth", contracts, rows=rows, seed=seed)
    periods = {source: sorted(per_period) for source, per_period in summary.rows.items()}
    print(f"Generated {summary.total_rows:,} source rows in {len(summary.files)} files")
    states = run_pipeline(periods, PROJECT_ROOT / "dags")
    failed = {name: state for name, state in states.items() if state != "success"}
    print(f"Ran {len(states)} DAG runs in {time.perf_counter() - started:.0f} s")
    for name, state in failed.items():
        print(f"  {name}: {state}")
    warehouse = s.zone("warehouse")
    print()
    print("Convergence per village, latest quarter (xpoor = extreme-poor people in the register;")
    print("reached / none = of those, reached by at least one ministry / by none; people = all")
    print("people reached; 2+min = reached by two or more ministries; outside = reached but not")
    print("in the register)")
    print(village_table(warehouse))
    print()
    print(
        f"Warehouse: {warehouse} (current snapshot: {(warehouse / 'CURRENT').read_text().strip()})"
    )
    print(f"Validation reports: {s.zone('reports') / 'index.html'}")
    print("Query it:")
    print(
        f"  .venv/bin/python -m konvergensi query "
        f'"select * from mart_convergence_village limit 5"   (DuckDB CLI: cd {warehouse} && '
        "duckdb -readonly warehouse.duckdb; Python: konvergensi.warehouse.open_warehouse)"
    )
    if failed:
        raise SystemExit(f"{len(failed)} DAG run(s) did not succeed")
