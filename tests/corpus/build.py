"""Builders for the ingestion corpus: a small generated extract, a contract for it, and helpers
that archive and stage a file and read back what was staged and rejected.

Generated people only: the NIKs follow the structure (Kab. Kupang prefix, birth date, serial)
but belong to nobody.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import yaml

from konvergensi.contracts import Contract, load_contract
from konvergensi.ingest.archive import archive_file
from konvergensi.ingest.stage import StageResult, stage_delivery

SOURCE = "uji_ingest"
PERIOD = "2026-09"
HEADER = ["id", "nik", "no_kk", "nama", "jk", "tgl_lahir", "kode_desa"]
COLUMNS = {
    "source_record_id": "id",
    "nik": "nik",
    "kk": "no_kk",
    "full_name": "nama",
    "sex": "jk",
    "birth_date": "tgl_lahir",
    "village_code": "kode_desa",
}
NAMES = [
    "Maria Nenobais",
    "Yohanes Tefa",
    "Siti Aminah",
    "Muh. Ridwan",
    "Dra. Agustina Selan, S.Pd.",
    "Ba'u Kase",
    "Welhelmina Taneo",
    "Abd. Rahman",
]


def person(i: int) -> list[str]:
    """Generated row i (1-based): odd rows men, even rows women (day + 40 in the NIK)."""
    day, woman = 10 + i % 18, i % 2 == 0
    nik = f"530124{day + 40 * woman:02d}0380{i:04d}"
    kk = f"530124120310{i:04d}"
    return [
        f"R{i:03d}",
        nik,
        kk,
        NAMES[(i - 1) % len(NAMES)],
        "P" if woman else "L",
        f"{day:02d}-03-1980",
        "5301242002",
    ]


def people(n: int) -> list[list[str]]:
    """Rows 1..n."""
    return [person(i) for i in range(1, n + 1)]


def make_contract(
    folder: Path,
    fmt: dict,
    *,
    parsing: dict | None = None,
    columns: dict[str, str] | None = None,
    extension: str = "csv",
    source: str = SOURCE,
    prefix: str = "uji",
) -> Contract:
    """Write and load a contract (files named `<prefix>_<period>.<extension>`) for a source."""
    data = {
        "source": source,
        "ministry": "Kementerian Uji",
        "programme": "Program Uji",
        "intervention_type": "social_assistance",
        "cadence": "monthly",
        "landing": {"pattern": f"{prefix}_{{period}}.{extension}"},
        "format": fmt,
        "parsing": {"date_formats": ["%d-%m-%Y"], **(parsing or {})},
        "columns": columns or COLUMNS,
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{source}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_contract(path)


def stage(contract: Contract, path: Path, root: Path, period: str = PERIOD) -> StageResult:
    """Archive a landed file and stage it, as the ingest DAG does."""
    archived = archive_file(contract, period, path, root / "raw")
    return stage_delivery(contract, archived.delivery, root / "staging")


def staged(result: StageResult) -> pd.DataFrame:
    """The staged records, checked against the counts in the stage result."""
    frame = pd.read_parquet(result.staged_path)
    rejected_rows = pd.read_parquet(result.rejected_path)
    assert len(frame) == result.rows
    assert len(rejected_rows) == result.rows_rejected
    assert result.rows_read == result.rows + result.rows_rejected
    numbers = [*frame["_row_number"], *rejected_rows["_row_number"]]
    assert len(set(numbers)) == len(numbers), "a record number was used twice"
    return frame


def rejected(result: StageResult) -> pd.DataFrame:
    """The records the reader could not split into columns."""
    return pd.read_parquet(result.rejected_path)


def csv_text(rows: list[list[str]], delimiter: str = ",", header: list[str] = HEADER) -> str:
    """Rows as delimited text, quoting only where needed."""
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows([header, *rows])
    return out.getvalue()
