"""BPS village codes -> Kemendagri codes, through the crosswalk file a contract declares.

BPS and Kemendagri number villages differently (Baumata: BPS `5303121006`, Kemendagri
`53.01.24.2002`), so a BPS-coded source is mapped through an explicit, versioned table; a code
missing from it stays unmapped (and fails `village_known`) rather than being guessed.
"""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from konvergensi.contracts import Contract
from konvergensi.ingest.errors import IngestError
from konvergensi.standardise import villages

_SEPARATORS = re.compile(r"[.\s\-]")
_TEN_DIGITS = re.compile(r"[0-9]{10}")


@dataclass(frozen=True)
class Crosswalk:
    """A loaded crosswalk: where it came from, its content hash, and the mapping."""

    path: Path
    sha256: str
    mapping: dict[str, str]  # 10-digit BPS code -> dotted Kemendagri code

    @property
    def label(self) -> str:
        """How batches record which crosswalk mapped them."""
        return f"BPS crosswalk {self.path.name} sha256:{self.sha256[:16]}"

    def map(self, raw: pd.Series) -> pd.Series:
        """BPS codes (dotted or not) -> dotted Kemendagri codes; unknown or malformed -> NA."""
        codes, uniques = pd.factorize(raw, use_na_sentinel=True)
        mapped = [self.mapping.get(_bps_digits(v) or "") for v in uniques.tolist()]
        table = pd.array([*mapped, None], dtype="str")
        return pd.Series(table.take(np.where(codes < 0, len(mapped), codes)), index=raw.index)


def _bps_digits(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    digits = _SEPARATORS.sub("", value.strip())
    return digits if _TEN_DIGITS.fullmatch(digits) else None


def _dotted(value: str) -> str | None:
    digits = _bps_digits(value)
    return None if digits is None else f"{digits[:2]}.{digits[2:4]}.{digits[4:6]}.{digits[6:]}"


@cache
def _load(path: Path, sha256: str, source: str) -> Crosswalk:
    where = f"crosswalk {path.name} (declared by contracts/{source}.yaml)"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        fields = {(f or "").strip().lower(): f for f in reader.fieldnames or []}
        if not {"bps_code", "kemendagri_code"} <= set(fields):
            raise IngestError(f"{where} needs the columns bps_code and kemendagri_code")
        known = villages()
        mapping: dict[str, str] = {}
        for line, row in enumerate(reader, start=2):
            bps = _bps_digits(row[fields["bps_code"]])
            kemendagri = _dotted(row[fields["kemendagri_code"]] or "")
            if bps is None or kemendagri is None:
                raise IngestError(f"{where} line {line}: both codes must have 10 digits")
            if kemendagri not in known:
                raise IngestError(
                    f"{where} line {line}: {kemendagri} is not a village of the pinned "
                    "Kemendagri list; update the crosswalk to the current list"
                )
            if mapping.setdefault(bps, kemendagri) != kemendagri:
                raise IngestError(f"{where} line {line}: BPS code {bps} is mapped twice")
    return Crosswalk(path, sha256, mapping)


def load_crosswalk(contract: Contract) -> Crosswalk | None:
    """The contract's crosswalk (None for Kemendagri-coded sources), checked row by row."""
    path = contract.crosswalk_path()
    if path is None:
        return None
    if not path.is_file():
        raise IngestError(
            f"crosswalk {path} declared by contracts/{contract.source}.yaml does not exist"
        )
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    return _load(path, sha256, contract.source)
