"""The regency the sample lives in: its real kecamatan and villages from the pinned Kemendagri list.

Also a few kecamatan of neighbouring regencies, where some residents were first registered
(their NIK keeps that prefix after they move).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from konvergensi.standardise.regions import (
    kecamatan_of_regency,
    regencies,
    villages_of_regency,
)


@dataclass(frozen=True)
class Geography:
    """Kecamatan and villages of one regency, as parallel arrays (index = position)."""

    regency: str  # dotted "53.01"
    regency_name: str  # "Kabupaten Kupang"
    kecamatan_codes: np.ndarray  # dotted "53.01.24"
    kecamatan_names: np.ndarray
    village_codes: np.ndarray  # dotted "53.01.24.2002"
    village_names: np.ndarray
    village_kecamatan: np.ndarray  # index into kecamatan_codes
    outside_kecamatan_codes: np.ndarray  # kecamatan of neighbouring regencies (may be empty)

    @property
    def regency_digits(self) -> str:
        """`53.01` -> `5301`."""
        return self.regency.replace(".", "")


def _neighbours(regency: str) -> list[str]:
    """The province's main city and the next regency: where movers most often come from."""
    province, number = regency.split(".")
    known = regencies()
    candidates = [f"{province}.71", f"{province}.{int(number) + 1:02d}", f"{province}.01"]
    return [c for c in dict.fromkeys(candidates) if c != regency and c in known]


def load_geography(regency: str = "53.01") -> Geography:
    """Kecamatan and villages of a regency (dotted code like `53.01`)."""
    kec = kecamatan_of_regency(regency)
    vil = villages_of_regency(regency)
    if not kec or not vil:
        raise ValueError(f"regency {regency!r} has no kecamatan or villages in the reference list")
    kec_codes = np.array([c for c, _ in kec])
    position = {c: i for i, c in enumerate(kec_codes)}
    outside = [c for n in _neighbours(regency) for c, _ in kecamatan_of_regency(n)]
    return Geography(
        regency=regency,
        regency_name=regencies().get(regency, regency),
        kecamatan_codes=kec_codes,
        kecamatan_names=np.array([n for _, n in kec], dtype=object),
        village_codes=np.array([c for c, _ in vil]),
        village_names=np.array([n for _, n in vil], dtype=object),
        village_kecamatan=np.array([position[c[:8]] for c, _ in vil], dtype=np.int64),
        outside_kecamatan_codes=np.array(outside, dtype="<U8"),
    )
