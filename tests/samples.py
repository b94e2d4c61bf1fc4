"""Small generated samples and bad extracts for the scheduling, alert and UI tests.

Generated people only. The bad extracts imitate what ministries really send: a renamed column
(schema drift) and NIKs mangled by Excel into scientific notation.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

from konvergensi.config import settings
from konvergensi.contracts import load_contracts
from konvergensi.synthetic import GenerationSummary, generate

_SIXTEEN_DIGITS = re.compile(rb"(?<![0-9])[0-9]{16}(?![0-9])")


def generate_sample(
    sources: list[str] | None, periods: list[str], rows: int = 400, seed: int = 7
) -> GenerationSummary:
    """Write a clean generated sample of some (or all) sources into the configured landing zone."""
    s = settings()
    contracts = [
        c for c in load_contracts(s.contracts_dir) if sources is None or c.source in sources
    ]
    return generate(
        s.zone("landing"),
        s.data_root / "truth",
        contracts,
        rows=rows,
        periods=periods,
        seed=seed,
        noise_scale=0.0,
    )


def landed_file(summary: GenerationSummary, source: str, period: str) -> Path:
    """The generated file of one source and period."""
    (found,) = [f for f in summary.files if f.parent.name == source and period in f.name]
    return found


def rename_column(path: Path, old: str, new: str) -> None:
    """Schema drift: the ministry renamed a column in its header."""
    data = path.read_bytes()
    assert old.encode() in data, f"{path.name} has no column {old}"
    path.write_bytes(data.replace(old.encode(), new.encode(), 1))


def excel_damage_ids(path: Path) -> None:
    """Every 16-digit ID written the way Excel shows it: 5.30124E+15 (digits lost)."""
    data, count = _SIXTEEN_DIGITS.subn(
        lambda m: m.group(0)[:1] + b"." + m.group(0)[1:6] + b"E+15", path.read_bytes()
    )
    assert count, f"{path.name} has no 16-digit IDs to damage"
    path.write_bytes(data)


def personal_data(truth_root: Path) -> tuple[set[str], set[str]]:
    """NIK and KK numbers, and full names (two words or more, lower case) of delivered people."""
    people = pd.read_parquet(truth_root / "people.parquet")
    rows = pd.read_parquet(truth_root / "source_rows.parquet")
    delivered = people[people["person_id"].isin(rows["person_id"])]
    ids = set(delivered["nik"].dropna()) | set(delivered["kk"].dropna())
    ids |= set(pd.read_parquet(truth_root / "households.parquet")["kk"].dropna())
    names = {n.lower() for n in delivered["full_name"].dropna() if len(n.split()) >= 2}
    return ids, names


def leaked(text: str, ids: set[str], names: set[str]) -> tuple[set[str], list[str]]:
    """The IDs and names from `personal_data` that occur in a text (e.g. task logs)."""
    found_ids = ids & set(re.findall(r"(?<!\d)\d{16}(?!\d)", text))
    lowered = text.lower()
    return found_ids, [n for n in names if n in lowered]


def once_deferred(action: Callable[[], object]) -> None:
    """Run `action` (land a file) only once an ingest run has deferred to a LandingTrigger;
    meant for a background thread while the test runs the DAG."""
    from airflow.models.trigger import Trigger
    from airflow.utils.session import create_session
    from sqlalchemy import func, select

    started = datetime.now(UTC) - timedelta(seconds=1)
    query = select(func.count()).where(
        Trigger.classpath == "konvergensi.landing_wait.LandingTrigger",
        Trigger.created_date >= started,
    )
    for _ in range(600):
        with create_session() as session:
            if session.scalar(query):
                action()
                return
        time.sleep(0.1)
