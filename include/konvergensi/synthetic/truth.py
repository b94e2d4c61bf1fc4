"""Ground truth of a generated sample: who every written row really is, and what noise it got.

`source_rows.parquet` has exactly one row per written data row; `people.parquet` and
`households.parquet` hold the true values that the pipeline's matching should recover.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from konvergensi.synthetic.population import RELATIONSHIPS, Population

SOURCE_ROW_COLUMNS = (
    "source",
    "period",
    "file_name",
    "row_number",
    "source_record_id",
    "person_id",
    "household_id",
    "noise",
)


def people_table(pop: Population) -> pa.Table:
    """One row per person with true (noise-free) values."""
    p, geo = pop.people, pop.geo
    village = pop.village
    return pa.table(
        {
            "person_id": pa.array(np.arange(1, len(p) + 1, dtype=np.int64)),
            "household_id": pa.array(p.household.astype(np.int64) + 1),
            "nik": pa.array(p.nik, type=pa.string()),
            "kk": pa.array(pop.households.kk[p.household], type=pa.string()),
            "full_name": pa.array(p.full_name, type=pa.string()),
            "sex": pa.array(np.where(p.female, "P", "L"), type=pa.string()),
            "birth_date": pa.array(p.birth_date, type=pa.date32()),
            "birth_date_imputed": pa.array(p.birth_date_imputed),
            "village_code": pa.array(geo.village_codes[village], type=pa.string()),
            "kecamatan_code": pa.array(
                geo.kecamatan_codes[geo.village_kecamatan[village]], type=pa.string()
            ),
            "first_kecamatan_code": pa.array(p.first_kecamatan, type=pa.string()),
            "relationship": pa.array(np.asarray(RELATIONSHIPS)[p.relationship], type=pa.string()),
            "age": pa.array(p.age.astype(np.int64)),
        }
    )


def households_table(pop: Population, in_register: np.ndarray) -> pa.Table:
    """One row per household; `in_register` is true if any register period lists it."""
    h, geo = pop.households, pop.geo
    return pa.table(
        {
            "household_id": pa.array(np.arange(1, len(h) + 1, dtype=np.int64)),
            "kk": pa.array(h.kk, type=pa.string()),
            "village_code": pa.array(geo.village_codes[h.village], type=pa.string()),
            "welfare_decile": pa.array(h.decile.astype(np.int64)),
            "extreme_poor": pa.array(h.extreme_poor),
            "in_register": pa.array(in_register),
            "size": pa.array(h.size.astype(np.int64)),
        }
    )


def source_rows_table(frames: list[pd.DataFrame]) -> pa.Table:
    """All files' truth rows, in the order the files were written."""
    if frames:
        df = pd.concat(frames, ignore_index=True)
    else:
        df = pd.DataFrame({c: pd.Series(dtype=object) for c in SOURCE_ROW_COLUMNS})
    return pa.table(
        {
            c: pa.array(
                df[c].to_numpy(),
                type=pa.int64()
                if c in ("row_number", "person_id", "household_id")
                else pa.string(),
            )
            for c in SOURCE_ROW_COLUMNS
        }
    )


def write_truth(
    truth_root: Path, pop: Population, in_register: np.ndarray, frames: list[pd.DataFrame]
) -> list[Path]:
    """Write the three truth tables under `truth_root` and return their paths."""
    truth_root.mkdir(parents=True, exist_ok=True)
    out = []
    for name, table in (
        ("source_rows", source_rows_table(frames)),
        ("people", people_table(pop)),
        ("households", households_table(pop, in_register)),
    ):
        path = truth_root / f"{name}.parquet"
        pq.write_table(table, path, compression="zstd")
        out.append(path)
    return out
