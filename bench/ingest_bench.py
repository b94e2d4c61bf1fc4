"""Benchmark: ingestion (archive + read + standardise + write staging Parquet) of one file.

Generates a Kemenkop-shaped CSV and an ATR/BPN-shaped XLSX of N rows with the sample generator,
stages each `--repeat` times in a fresh child process, and reports the time from archiving to
the written batch (interpreter start-up excluded), rows per second, the CPU time of all the
child's threads (a load-independent measure on a shared machine) and its peak resident
memory. `--big-gb` also builds a CSV of about that size (the N-row CSV repeated with fresh
record ids) to show that memory stays flat as files grow.
Everything is written under --root and deleted afterwards. Usage:

    .venv/bin/python bench/ingest_bench.py --rows 1000000 --repeat 3 --big-gb 2
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GENERATE = (
    "from pathlib import Path; from konvergensi.contracts import load_contract; "
    "from konvergensi.synthetic import generate; "
    "generate(Path({landing!r}), Path({truth!r}), "
    "[load_contract(Path({contract!r}))], rows={rows}, periods=[{period!r}])"
)
STAGE = (
    "import time; from pathlib import Path; from konvergensi.contracts import load_contract; "
    "from konvergensi.ingest.archive import archive_file; "
    "from konvergensi.ingest.stage import stage_delivery; "
    "c = load_contract(Path({contract!r})); t = time.perf_counter(); u = time.process_time(); "
    "d = archive_file(c, {period!r}, Path({landed!r}), Path({raw!r})).delivery; "
    "r = stage_delivery(c, d, Path({staging!r})); "
    "print(r.rows_read, time.perf_counter() - t, time.process_time() - u)"
)


def _child(code: str) -> tuple[float, float, str]:
    """Run code in a fresh interpreter: (wall seconds, peak RSS MB, its stdout)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "include")}
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE)
    out = proc.stdout.read().decode() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"child failed (status {status}): {code}")
    return time.perf_counter() - started, usage.ru_maxrss / 1024, out.strip()


def _generate(root: Path, source: str, period: str, rows: int) -> Path:
    contract = ROOT / "contracts" / f"{source}.yaml"
    code = GENERATE.format(
        landing=str(root / "landing"),
        truth=str(root / "truth"),
        contract=str(contract),
        rows=rows,
        period=period,
    )
    _child(code)
    return next((root / "landing" / source).iterdir())


def _big_csv(base: Path, target: Path, gigabytes: float) -> int:
    """The base CSV's rows repeated until the file reaches the size, each copy with new ids."""
    header, _, body = base.read_bytes().partition(b"\n")
    prefix = b"\n" + body[: body.index(b"-", body.index(b"-") + 1) + 1]  # e.g. \nUKM-2026-
    copies = max(1, round(gigabytes * 1e9 / len(body)))
    with target.open("wb") as out:
        out.write(header)
        for copy in range(copies):
            out.write((b"\n" + body.rstrip(b"\n")).replace(prefix, prefix + b"%02d" % copy))
        out.write(b"\n")
    return copies * body.count(b"\n")


def _stage(root: Path, source: str, period: str, landed: Path) -> tuple[float, float, float, int]:
    """(wall seconds from archiving to the written batch, CPU seconds of all its threads, peak
    RSS MB, records), in a fresh process."""
    shutil.rmtree(root / "raw", ignore_errors=True)
    shutil.rmtree(root / "staging", ignore_errors=True)
    code = STAGE.format(
        contract=str(ROOT / "contracts" / f"{source}.yaml"),
        period=period,
        landed=str(landed),
        raw=str(root / "raw"),
        staging=str(root / "staging"),
    )
    _, peak, out = _child(code)
    rows, wall, cpu = out.splitlines()[-1].split()
    return float(wall), float(cpu), peak, int(rows)


def _report(name: str, runs: list[tuple[float, float, float, int]]) -> None:
    walls = [w for w, _, _, _ in runs]
    rows = runs[0][3]
    wall = statistics.median(walls)
    cpu = statistics.median(c for _, c, _, _ in runs)
    print(
        f"| {name} | {rows:,} | {wall:.1f} s ({', '.join(f'{w:.1f}' for w in walls)}) | "
        f"{rows / wall:,.0f} | {cpu:.1f} s | {max(p for _, _, p, _ in runs):,.0f} MB |",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--big-gb", type=float, default=0.0, help="also stage a CSV this big")
    parser.add_argument("--root", type=Path, default=Path("/tmp/konvergensi-ingest-bench"))
    args = parser.parse_args()
    shutil.rmtree(args.root, ignore_errors=True)
    try:
        csv = _generate(args.root / "csv", "kemenkop_ukm", "2026-09", args.rows)
        xlsx = _generate(args.root / "xlsx", "atr_bpn", "2026-Q3", args.rows)
        print("| file | rows | archive+stage wall, median (runs) | rows/s | CPU | peak RSS |")
        print("| --- | --- | --- | --- | --- | --- |")
        root = args.root / "run"
        runs = [_stage(root, "kemenkop_ukm", "2026-09", csv) for _ in range(args.repeat)]
        _report(f"CSV {csv.stat().st_size / 1e6:,.0f} MB", runs)
        runs = [_stage(root, "atr_bpn", "2026-Q3", xlsx) for _ in range(args.repeat)]
        _report(f"XLSX {xlsx.stat().st_size / 1e6:,.0f} MB", runs)
        if args.big_gb:
            big = args.root / "big" / "kemenkop_ukm_2026-09.csv"
            big.parent.mkdir(parents=True)
            _big_csv(csv, big, args.big_gb)
            runs = [_stage(root, "kemenkop_ukm", "2026-09", big)]
            _report(f"CSV {big.stat().st_size / 1e9:,.2f} GB", runs)
    finally:
        shutil.rmtree(args.root, ignore_errors=True)


if __name__ == "__main__":
    main()
