"""Benchmark: the whole pipeline on N generated source rows; wall time and peak memory per stage.

Each stage runs in its own process (the same functions the Airflow tasks call), so the peak
resident memory reported is that stage's own. Usage:

    .venv/bin/python bench/pipeline_bench.py --rows 1000000 [--root /tmp/konvergensi-bench]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGE_CODE = {
    "generate": (
        "from konvergensi.config import settings; from konvergensi.contracts import "
        "load_contracts; from konvergensi.synthetic import generate; s = settings(); "
        "generate(s.zone('landing'), s.data_root / 'truth', load_contracts(s.contracts_dir), "
        "rows={rows})"
    ),
    "ingest": (
        "from konvergensi import pipeline as p; d = p.archive_period('{source}', '{period}'); "
        "s = p.stage('{source}', d); p.validate('{source}', '{period}', s['batch_id'])"
    ),
    "resolve": "from konvergensi import pipeline as p; p.resolve()",
    "warehouse": (
        "from konvergensi import pipeline as p; p.build_warehouse(b'bench-key-0123456789abcdef')"
    ),
}


def run_stage(code: str, env: dict[str, str]) -> tuple[float, float]:
    """Run one stage in a child process; returns (wall seconds, peak RSS in MB)."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"stage failed (status {status}): {code}")
    return elapsed, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--root", type=Path, default=Path("/tmp/konvergensi-bench"))
    args = parser.parse_args()
    shutil.rmtree(args.root, ignore_errors=True)
    env = {
        **os.environ,
        "KONVERGENSI_DATA_ROOT": str(args.root),
        "PYTHONPATH": str(ROOT / "include"),
    }
    sys.path.insert(0, str(ROOT / "include"))
    from konvergensi.config import settings
    from konvergensi.contracts import load_contracts

    contracts = load_contracts(settings().contracts_dir)
    results: list[tuple[str, float, float]] = []
    results.append(("generate", *run_stage(STAGE_CODE["generate"].format(rows=args.rows), env)))
    ingest_wall, ingest_peak = 0.0, 0.0
    for contract in contracts:
        folder = args.root / "landing" / contract.source
        for landed in sorted(folder.iterdir()):
            period = next(
                p for p in ("2026-07", "2026-08", "2026-09", "2026-Q3") if p in landed.name
            )
            code = STAGE_CODE["ingest"].format(source=contract.source, period=period)
            wall, peak = run_stage(code, env)
            results.append((f"  ingest {contract.source} {period}", wall, peak))
            ingest_wall += wall
            ingest_peak = max(ingest_peak, peak)
    results.append(("ingest (all files)", ingest_wall, ingest_peak))
    results.append(("resolve", *run_stage(STAGE_CODE["resolve"], env)))
    results.append(("warehouse", *run_stage(STAGE_CODE["warehouse"], env)))
    pipeline_total = sum(w for n, w, _ in results if not n.startswith("  ") and n != "generate")
    print(f"\n{'stage':44} {'wall s':>8} {'peak MB':>8}")
    for name, wall, peak in results:
        print(f"{name:44} {wall:8.1f} {peak:8.0f}")
    print(f"{'pipeline total (ingest+resolve+warehouse)':44} {pipeline_total:8.1f}")
    print(f"{'peak memory of any stage':44} {'':8} {max(p for _, _, p in results):8.0f}")


if __name__ == "__main__":
    main()
