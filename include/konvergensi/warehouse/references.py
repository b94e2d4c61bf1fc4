"""Reference tables the models join to: programmes (from contracts) and the region hierarchy."""

from __future__ import annotations

import pandas as pd

from konvergensi.contracts import Contract
from konvergensi.standardise import REFERENCE_VERSION
from konvergensi.standardise import regions as ref


def programmes_frame(contracts: list[Contract]) -> pd.DataFrame:
    """One row per source contract."""
    return pd.DataFrame(
        [
            {
                "source": c.source,
                "ministry": c.ministry,
                "programme": c.programme,
                "intervention_type": c.intervention_type,
                "role": c.role,
                "cadence": c.cadence,
            }
            for c in contracts
        ]
    )


def villages_frame(regency_codes: list[str]) -> pd.DataFrame:
    """Every village of the given regencies, with the names of its kecamatan, regency, province."""
    kecamatan, regencies, provinces = ref.kecamatan(), ref.regencies(), ref.provinces()
    rows = []
    for regency in sorted(set(regency_codes)):
        for code, name in ref.villages_of_regency(regency):
            rows.append(
                {
                    "village_code": code,
                    "village_name": name,
                    "kecamatan_code": code[:8],
                    "kecamatan_name": kecamatan.get(code[:8]),
                    "regency_code": code[:5],
                    "regency_name": regencies.get(code[:5]),
                    "province_code": code[:2],
                    "province_name": provinces.get(code[:2]),
                    "reference_version": REFERENCE_VERSION,
                }
            )
    return pd.DataFrame(rows)
