"""End to end: generated extracts -> every DAG run with dag.test() -> warehouse Parquet.

The warehouse's per-village numbers are compared with the same numbers computed independently
from the generator's ground truth.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from konvergensi.cli import main
from konvergensi.config import PROJECT_ROOT, settings
from konvergensi.contracts import load_contracts
from konvergensi.demo import run_pipeline
from konvergensi.synthetic import generate
from konvergensi.warehouse.publish import current_snapshot, table_glob
from tests.truth import PEOPLE_COUNTS, expected_village_convergence

pytestmark = pytest.mark.airflow


@pytest.fixture(autouse=True)
def _fail_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    """dag.test() waits out retry delays in-process: no retries in these tests."""
    monkeypatch.setenv("KONVERGENSI_TASK_RETRIES", "0")
    # Exact comparison with the truth: no disclosure control (tested in test_warehouse_*).
    monkeypatch.setenv("KONVERGENSI_MIN_CELL_SIZE", "1")


COUNTS = PEOPLE_COUNTS


def _run(data_root: Path, rows: int, noise_scale: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    s = settings()
    contracts = load_contracts(s.contracts_dir)
    summary = generate(
        s.zone("landing"), data_root / "truth", contracts, rows=rows, noise_scale=noise_scale
    )
    periods = {source: sorted(per_period) for source, per_period in summary.rows.items()}
    states = run_pipeline(periods, PROJECT_ROOT / "dags")
    assert set(states.values()) == {"success"}, states
    snapshot = current_snapshot(s.zone("warehouse"))
    got = duckdb.sql(
        f"select * from read_parquet('{table_glob(snapshot, 'mart_convergence_village')}', "
        "hive_partitioning = true)"
    ).df()
    expected = expected_village_convergence(data_root / "truth", contracts)
    return got, expected


def _compare(got: pd.DataFrame, expected: pd.DataFrame) -> pd.DataFrame:
    merged = got[["quarter", "village_code", *COUNTS]].merge(
        expected, on=["quarter", "village_code"], how="outer", suffixes=("", "_truth")
    )
    return merged.fillna(0)


def test_clean_sample_matches_ground_truth_exactly(
    airflow_db: Path, data_root: Path, capsys: pytest.CaptureFixture
) -> None:
    got, expected = _run(data_root, rows=3000, noise_scale=0.0)
    # what an analyst types, from any folder: the warehouse's views find their snapshot
    main(["query", "select count(*) as n from mart_convergence_village"])
    assert capsys.readouterr().out.splitlines()[-2:] == ["n", str(len(got))]
    merged = _compare(got, expected)
    assert merged["register_people"].sum() > 0
    assert merged["people_reached"].sum() > 0
    for column in COUNTS:
        diff = merged[merged[column] != merged[f"{column}_truth"]]
        assert diff.empty, f"{column} differs from the ground truth:\n{diff.head()}"


def test_noisy_sample_stays_close_to_ground_truth(airflow_db: Path, data_root: Path) -> None:
    got, expected = _run(data_root, rows=3000, noise_scale=1.0)
    merged = _compare(got, expected)
    for column in ("register_extreme_poor", "people_reached", "extreme_poor_reached"):
        total, truth = merged[column].sum(), merged[f"{column}_truth"].sum()
        assert truth > 0
        assert abs(total - truth) / truth < 0.10, (column, total, truth)
