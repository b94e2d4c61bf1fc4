"""Reference tables the models join to: programmes (from contracts), the convergence strategy's
intervention types and the Kemendagri region hierarchy."""

from __future__ import annotations

import pandas as pd

from konvergensi.contracts import Contract
from konvergensi.standardise import REFERENCE_VERSION
from konvergensi.standardise import regions as ref

# The four intervention types of the coordinating ministry's (Kemenko Perekonomian) convergence
# strategy: access to jobs, skills training, UMKM mentoring, access to financing.
STRATEGY_TYPES = ("job_access", "skills_training", "umkm_mentoring", "financing")
# First digit of the village part of a Kemendagri code.
VILLAGE_TYPES = {"1": "kelurahan", "2": "desa", "3": "desa_adat"}


def programmes_frame(contracts: list[Contract]) -> pd.DataFrame:
    """One row per source contract, typed even when there are no contracts."""
    columns = ["source", "ministry", "programme", "intervention_type", "role", "cadence"]
    rows = [
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
    return pd.DataFrame(rows, columns=columns).astype("string")


def strategy_types_frame() -> pd.DataFrame:
    """The convergence strategy's intervention types, one per row."""
    return pd.DataFrame({"intervention_type": list(STRATEGY_TYPES)}, dtype="string")


def villages_frame(regency_codes: list[str]) -> pd.DataFrame:
    """Every village of the given regencies, with the names of its kecamatan, regency, province."""
    kecamatan, regencies, provinces = ref.kecamatan(), ref.regencies(), ref.provinces()
    wanted = set(regency_codes)
    rows = [
        {
            "village_code": code,
            "village_name": name,
            "village_type": VILLAGE_TYPES.get(code[9:10]),
            "kecamatan_code": code[:8],
            "kecamatan_name": kecamatan.get(code[:8]),
            "regency_code": code[:5],
            "regency_name": regencies.get(code[:5]),
            "province_code": code[:2],
            "province_name": provinces.get(code[:2]),
            "reference_version": REFERENCE_VERSION,
        }
        for code, name in sorted(ref.villages().items())
        if code[:5] in wanted
    ]
    columns = [
        "village_code",
        "village_name",
        "village_type",
        "kecamatan_code",
        "kecamatan_name",
        "regency_code",
        "regency_name",
        "province_code",
        "province_name",
        "reference_version",
    ]
    return pd.DataFrame(rows, columns=columns).astype("string")
