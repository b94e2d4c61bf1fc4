"""Hand-made records and a hand-set person model for the resolver's tests (generated people).

Records are written as accepted.parquet files in the staging layout, standardised with the
project's own standardisers, so the resolver reads them exactly as it reads ingested batches.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from konvergensi.resolve import model as person_model
from konvergensi.resolve.models_store import save_model
from konvergensi.standardise import (
    placeholder_date,
    standardise_kk,
    standardise_names,
    standardise_nik,
)

VILLAGE = "53.01.24.2002"
OTHER_VILLAGE = "53.01.24.2003"

# m and u per level label: what a trained model roughly learns, fixed so tests are exact
LEVELS = {
    "name": {
        "exact": (0.80, 0.001),
        "same words, other order": (0.03, 0.0002),
        "one typo": (0.05, 0.0005),
        "one name holds the other": (0.05, 0.002),
        "similar": (0.03, 0.005),
        "same first name, rest similar": (0.02, 0.01),
        "same rare clan only": (0.01, 0.02),
        "same common clan only": (0.005, 0.08),
        "different": (0.005, 0.88),
    },
    "dob": {
        "exact": (0.90, 0.0005),
        "exact, placeholder date": (0.02, 0.002),
        "day and month swapped": (0.03, 0.0001),
        "one part differs": (0.02, 0.02),
        "same year": (0.01, 0.03),
        "different": (0.02, 0.95),
    },
    "sex": {"same": (0.99, 0.5), "different": (0.01, 0.5)},
    "locus": {
        "same village": (0.95, 0.05),
        "same kecamatan": (0.03, 0.1),
        "elsewhere": (0.02, 0.85),
    },
}


def handmade_model() -> dict:
    """The person model's settings with fixed m and u probabilities."""
    settings = person_model.settings(prior=0.001)
    for comparison in settings["comparisons"]:
        for level in comparison["comparison_levels"]:
            if not level.get("is_null_level"):
                m, u = LEVELS[comparison["output_column_name"]][level["label_for_charts"]]
                level["m_probability"], level["u_probability"] = m, u
    return settings


def install_model(identity_root: Path) -> str:
    """Store the hand-set model as the current version (so no run trains one)."""
    return save_model(identity_root, handmade_model(), {"trigger": "test"})


def person(
    name: str,
    born: str | None,
    sex: str,
    nik: str | None = None,
    kk: str | None = None,
    village: str = VILLAGE,
    family: str | None = None,
) -> dict:
    """One record's raw fields."""
    return {
        "full_name": name,
        "birth_date": born,
        "sex": sex,
        "nik_raw": nik,
        "kk_raw": kk,
        "village_code": village,
        "family_id": family,
    }


def write_batch(
    staging: Path, source: str, period: str, rows: list[dict], batch: str = "b1"
) -> str:
    """Write rows as the accepted.parquet of one batch and mark it current; returns its path."""
    raw = pd.DataFrame(rows)
    nik = standardise_nik(raw["nik_raw"].astype(object))
    kk = standardise_kk(raw["kk_raw"].astype(object))
    born = pd.to_datetime(raw["birth_date"]).astype("datetime64[ms]")
    frame = pd.DataFrame(
        {
            "_source": source,
            "_period": period,
            "_batch_id": batch,
            "_row_number": range(1, len(raw) + 1),
            "source_record_id": [f"{source}-{period}-{i}" for i in range(1, len(raw) + 1)],
            "nik_raw": raw["nik_raw"].astype("string"),
            "nik": nik["nik"].astype("string"),
            "nik_status": nik["nik_status"].astype("string"),
            "kk_raw": raw["kk_raw"].astype("string"),
            "kk": kk["kk"].astype("string"),
            "kk_status": kk["kk_status"].astype("string"),
            "full_name": raw["full_name"].astype("string"),
            "name_key": standardise_names(raw["full_name"].astype(object)).astype("string"),
            "sex": raw["sex"].astype("string"),
            "birth_date": born,
            "birth_date_placeholder": placeholder_date(born).astype("bool"),
            "village_code": raw["village_code"].astype("string"),
            "kecamatan_code": raw["village_code"].str.slice(0, 8).astype("string"),
            "family_id": raw["family_id"].astype("string"),
        }
    )
    folder = staging / source / f"period={period}" / f"batch={batch}"
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(folder / "accepted.parquet", index=False)
    (staging / source / f"period={period}" / "CURRENT").write_text(batch + "\n")
    return str(folder / "accepted.parquet")


def key(source: str, period: str, row: int, batch: str = "b1") -> str:
    """Record key of a test record."""
    return f"{source}|{period}|{batch}|{row}"
