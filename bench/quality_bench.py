"""Benchmark: one quality-gate validation of a 1 M-row batch with 17 expectations.

Generates a Kemenkop UKM-shaped sample (about ROWS rows per month), stages two months through
the real pipeline, then times `validate_batch` on the second month (17 expectations: 12 row
checks, 3 batch checks including the volume check against the first month, and the two
implicit `parseable` checks of the parsed fields the contract maps). Usage:

    .venv/bin/python bench/quality_bench.py --rows-per-month 1000000 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
RULES = [
    {"rule": "required", "severity": "error", "columns": ["source_record_id", "full_name"]},
    {
        "rule": "required",
        "severity": "warn",
        "columns": ["village_code", "sex", "intervention_date"],
    },
    {"rule": "record_id_unique", "severity": "error"},
    {"rule": "village_known", "severity": "error"},
    {"rule": "nik_valid", "severity": "warn"},
    {"rule": "kk_valid", "severity": "warn"},
    {"rule": "sex_known", "severity": "warn"},
    {"rule": "birth_date_plausible", "severity": "warn", "min_age": 15, "max_age": 80},
    {"rule": "intervention_date_in_period", "severity": "error"},
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows-per-month", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--root", type=Path, default=Path("/tmp/konvergensi-quality-bench"))
    args = parser.parse_args()
    shutil.rmtree(args.root, ignore_errors=True)
    contracts_dir = args.root / "contracts"
    contracts_dir.mkdir(parents=True)
    contract = yaml.safe_load((ROOT / "contracts" / "kemenkop_ukm.yaml").read_text())
    contract["quality"]["rows"] = RULES
    (contracts_dir / "kemenkop_ukm.yaml").write_text(yaml.safe_dump(contract))
    os.environ["KONVERGENSI_DATA_ROOT"] = str(args.root / "data")
    os.environ["KONVERGENSI_CONTRACTS_DIR"] = str(contracts_dir)
    sys.path.insert(0, str(ROOT / "include"))

    from konvergensi import pipeline
    from konvergensi.config import settings
    from konvergensi.contracts import load_contracts
    from konvergensi.quality.gate import validate_batch
    from konvergensi.quality.rules import batch_checks, row_checks
    from konvergensi.synthetic import generate

    s = settings()
    contracts = load_contracts(contracts_dir)
    generate(
        s.zone("landing"),
        s.data_root / "truth",
        contracts,
        rows=args.rows_per_month * 3,
        periods=["2026-07", "2026-08", "2026-09"],
    )
    staged = {}
    for period in ("2026-08", "2026-09"):
        delivery = pipeline.archive_period("kemenkop_ukm", period)
        started = time.perf_counter()
        staged[period] = pipeline.stage("kemenkop_ukm", delivery)
        print(
            f"staged {period}: {staged[period]['rows']:,} rows in "
            f"{time.perf_counter() - started:.1f} s"
        )
    pipeline.validate("kemenkop_ukm", "2026-08", staged["2026-08"]["batch_id"])
    expectations = len(row_checks(contracts[0])) + len(batch_checks(contracts[0], 1))
    timings = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        summary = validate_batch(
            contracts[0],
            "2026-09",
            staged["2026-09"]["batch_id"],
            s.zone("staging"),
            s.zone("quarantine"),
            s.zone("reports"),
            s.zone("raw"),
        )
        timings.append(time.perf_counter() - started)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"validate_batch: {summary.rows_read:,} rows, {expectations} expectations, "
        f"{summary.rows_quarantined:,} quarantined, {summary.rows_flagged:,} flagged; "
        f"median {statistics.median(timings):.1f} s of {args.repeat} "
        f"({', '.join(f'{t:.1f}' for t in timings)}); process peak RSS {peak_mb:,.0f} MB"
    )


if __name__ == "__main__":
    main()
