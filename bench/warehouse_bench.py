"""Benchmark: building every mart from N source rows, and village-level queries on the result.

Prepares, once per root, a generated two-quarter sample that is ingested and resolved (several
minutes for 1,000,000 rows; each stage in its own process, as in pipeline_bench.py). Then it
builds and publishes the warehouse `--repeat` times, each in a fresh process (wall time and
peak memory), and times village-level queries over the current snapshot through
warehouse.duckdb, each on a fresh connection. Prints medians. Usage:

    .venv/bin/python bench/warehouse_bench.py --rows 1000000 [--root /tmp/konvergensi-wh-bench]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PERIODS = ["2026-Q2", "2026-Q3"]
PREPARE = """
from konvergensi import pipeline as p
from konvergensi.config import settings
from konvergensi.contracts import load_contracts
from konvergensi.synthetic import generate
s = settings()
summary = generate(s.zone('landing'), s.data_root / 'truth', load_contracts(s.contracts_dir),
                   rows={rows}, periods={periods!r})
for source, periods in sorted(summary.rows.items()):
    for period in sorted(periods):
        d = p.archive_period(source, period)
        st = p.stage(source, d)
        p.validate(source, period, st['batch_id'])
p.resolve()
"""
BUILD = """
import json
from konvergensi.config import settings
from konvergensi.contracts import load_contracts
from konvergensi.warehouse.build import build_snapshot
from konvergensi.warehouse.publish import publish
s = settings()
m = build_snapshot(load_contracts(s.contracts_dir), s.zone('staging'), s.zone('identity'),
                   s.zone('warehouse'), b'bench-key-0123456789abcdef', min_cell_size=5)
publish(s.zone('warehouse'), m['build_id'], keep=2)
print(json.dumps({'seconds': m['seconds']}))
"""
QUERIES = {
    "village mart, one kecamatan, latest quarter": (
        "select * from mart_convergence_village where quarter = '2026-Q3' "
        "and kecamatan_code = '53.01.24'"
    ),
    "coverage of the extreme-poor per village (docs/queries.md 1)": (
        "select v.village_code, round(100.0 * v.extreme_poor_reached / "
        "v.register_extreme_poor, 1) from mart_convergence_village v join dim_period p "
        "on p.quarter = v.quarter and p.is_latest "
        "where v.register_extreme_poor > 0 or v.register_extreme_poor_suppressed"
    ),
    "fact_intervention: one village, one quarter, per programme": (
        "select source, count(*), sum(amount) from fact_intervention "
        "where quarter = '2026-Q3' and village_code = '53.01.24.2002' group by source"
    ),
    "beneficiary mart: two-ministry overlap per village, one quarter": (
        "select village_code, count(*) filter (where ministries >= 2) "
        "from mart_convergence_beneficiary where quarter = '2026-Q3' group by village_code"
    ),
}


def run(code: str, env: dict[str, str]) -> tuple[float, float, str]:
    """Run code in a child process; (wall seconds, peak RSS MB, stdout)."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE)
    out = proc.stdout.read().decode() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"child failed (status {status})")
    return time.perf_counter() - started, usage.ru_maxrss / 1024, out


def time_queries(warehouse: Path, repeat: int) -> dict[str, list[float]]:
    """Seconds per query, each run on a fresh read-only connection to warehouse.duckdb."""
    from konvergensi.warehouse import open_warehouse

    times: dict[str, list[float]] = {name: [] for name in QUERIES}
    for _ in range(repeat):
        for name, sql in QUERIES.items():
            started = time.perf_counter()
            con = open_warehouse(warehouse)
            con.execute(sql).fetchall()
            con.close()
            times[name].append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--root", type=Path, default=Path("/tmp/konvergensi-wh-bench"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    env = {
        **os.environ,
        "KONVERGENSI_DATA_ROOT": str(args.root),
        "PYTHONPATH": str(ROOT / "include"),
    }
    ready = args.root / f"READY-{args.rows}"
    if not ready.exists():
        wall, peak, _ = run(PREPARE.format(rows=args.rows, periods=PERIODS), env)
        print(f"prepared {args.rows:,} rows (generate + ingest + resolve): {wall:.0f} s")
        ready.touch()
    builds = []
    for i in range(args.repeat):
        wall, peak, out = run(BUILD, env)
        report = json.loads(out.strip().splitlines()[-1])
        builds.append((wall, report["seconds"], peak))
        print(f"build {i + 1}: {wall:.1f} s wall (build {report['seconds']} s), {peak:.0f} MB")
    medians = [statistics.median(b[k] for b in builds) for k in range(3)]
    print(f"\n{'build + publish, all marts':64} median {medians[0]:6.1f} s")
    print(f"{'  of which build_snapshot':64} median {medians[1]:6.1f} s")
    print(f"{'  peak memory':64} median {medians[2]:6.0f} MB")
    for name, seconds in time_queries(args.root / "warehouse", 5).items():
        print(f"{name:64} median {statistics.median(seconds) * 1000:6.0f} ms")


if __name__ == "__main__":
    main()
