"""Load and check the YAML source contracts.

A contract says everything the pipeline needs to know about one ministry's extract: who sends
it, how often, what the file looks like, which of its columns mean what, and which quality rules
apply at which severity. DAGs, staging, validation and the sample generator are all driven from
these files, so adding a ministry is adding a file.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from konvergensi.contracts.schema import CANONICAL_FIELDS, INTERVENTION_TYPES, REQUIRED_FIELDS

_SOURCE_ID = re.compile(r"^[a-z][a-z0-9_]{1,40}$")


class ContractError(ValueError):
    """A contract file is missing, unreadable or inconsistent."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Landing(_Strict):
    """Where the ministry's files arrive and how they are named."""

    pattern: str = Field(
        description="file name with a {period} placeholder, e.g. atr_{period}.xlsx"
    )

    @field_validator("pattern")
    @classmethod
    def _has_period(cls, value: str) -> str:
        if "{period}" not in value:
            raise ValueError("landing.pattern must contain {period}")
        return value


class FileFormat(_Strict):
    """How to read the file: type and the options that type needs."""

    type: Literal["csv", "xlsx", "xls", "json", "ndjson"]
    delimiter: str = Field(
        ",",
        description="CSV delimiter: one character (',', ';', '|'), 'tab', or 'auto' to detect it",
    )
    encoding: str = Field(
        "auto",
        description="'auto' detects UTF-8, UTF-8 with BOM, UTF-16 with BOM or cp1252; else a "
        "Python codec name such as utf-8 or cp1252",
    )
    header_row: int = Field(1, ge=1, description="1-based row holding the header (xlsx/csv)")
    header_rows: int = Field(
        1,
        ge=1,
        le=5,
        description="rows the header spans (xlsx/xls): merged cells are filled across their "
        "span and each column's parts joined top to bottom with a space, e.g. 'Lahir Tanggal'",
    )
    sheet: str | int | None = Field(None, description="sheet name or 0-based index (xlsx)")
    sheet_match: str | None = Field(
        None,
        description="regex on sheet names (xlsx) when `sheet` is not set; of the matching "
        "sheets (all sheets when neither is set) the first whose header has every mapped "
        "column is read",
    )

    @field_validator("delimiter")
    @classmethod
    def _one_character(cls, value: str) -> str:
        if value in ("tab", "\\t"):
            return "\t"
        if value != "auto" and (len(value) != 1 or value in '"\r\n'):
            raise ValueError(f"{value!r} is not one character: use ',', ';', '|', 'tab' or 'auto'")
        return value

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        if value == "auto":
            return value
        try:
            "".encode(value)  # LookupError for unknown codecs and non-text ones (base64, zlib)
        except LookupError as exc:
            raise ValueError(
                f"{value!r} is not a known text encoding: use 'auto' or a codec name such as "
                "utf-8, cp1252 (Windows 'ANSI') or utf-16"
            ) from exc
        return value

    @model_validator(mode="after")
    def _one_sheet_rule(self) -> FileFormat:
        if self.sheet is not None and self.sheet_match is not None:
            raise ValueError("give format.sheet or format.sheet_match, not both")
        if self.sheet_match is not None:
            try:
                re.compile(self.sheet_match)
            except re.error as exc:
                raise ValueError(f"format.sheet_match is not a valid regex: {exc}") from exc
        return self


class Parsing(_Strict):
    """How the source writes dates, sex and region codes."""

    date_formats: list[str] = ["%Y-%m-%d"]
    sex_codes: dict[str, Literal["L", "P"]] = Field(
        default_factory=dict, description="extra raw codes for sex, e.g. {'1': 'L', '2': 'P'}"
    )
    region_code_system: Literal["kemendagri", "bps"] = "kemendagri"
    region_crosswalk: str | None = Field(
        None,
        description="for BPS-coded sources: CSV with columns bps_code, kemendagri_code, "
        "relative to the contracts folder",
    )
    flag_true: list[str] = ["1", "Y", "YA", "TRUE", "BENAR"]
    flag_false: list[str] = Field(
        ["0", "N", "TIDAK", "FALSE", "SALAH"],
        description="spellings of 'no' (case-insensitive); a flag in neither list is missing "
        "and flagged unparseable, never taken as no",
    )

    @model_validator(mode="after")
    def _flags_disjoint(self) -> Parsing:
        both = {v.strip().upper() for v in self.flag_true} & {
            v.strip().upper() for v in self.flag_false
        }
        if both:
            raise ValueError(f"parsing.flag_true and parsing.flag_false share {sorted(both)}")
        return self

    @model_validator(mode="after")
    def _crosswalk_for_bps(self) -> Parsing:
        if self.region_code_system == "bps" and not self.region_crosswalk:
            raise ValueError(
                "region_code_system bps needs parsing.region_crosswalk: a CSV mapping "
                "bps_code to kemendagri_code"
            )
        if self.region_code_system == "kemendagri" and self.region_crosswalk:
            raise ValueError("parsing.region_crosswalk is only used with region_code_system bps")
        return self


class Rule(_Strict):
    """One quality rule from the rule catalogue, with its severity and parameters."""

    model_config = ConfigDict(extra="allow", frozen=True)

    rule: str
    severity: Literal["error", "warn"] = "error"

    @property
    def params(self) -> dict[str, Any]:
        """The rule's own parameters (everything but its name and severity)."""
        return dict(self.model_extra or {})


class Quality(_Strict):
    """Row-level rules (quarantine or flag rows) and batch-level rules (fail the file)."""

    rows: list[Rule] = Field(default_factory=list)
    batch: list[Rule] = Field(default_factory=list)


class Synthetic(_Strict):
    """How the sample generator imitates this source (ignored in production)."""

    weight: float = Field(1.0, gt=0, description="relative share of the sample's source rows")
    unit: Literal["person", "household_head", "household_members"] = "person"
    min_age: int = 18
    max_age: int = 70
    poor_bias: float = Field(3.0, ge=1, description="odds multiplier for welfare deciles 1-4")
    churn: float = Field(0.1, ge=0, le=1, description="share of beneficiaries replaced per period")
    amount: tuple[float, float] | None = None
    quantity: tuple[float, float] | None = None
    delivered_encoding: str = Field("utf-8", description="encoding the generator writes text in")
    noise: dict[str, float] = Field(default_factory=dict)
    village_code_style: Literal["dotted", "plain"] = Field(
        "dotted", description="village codes written 53.01.24.2002 (dotted) or 5301242002 (plain)"
    )
    sex_style: Literal["L/P", "LAKI-LAKI/PEREMPUAN", "Laki-laki/Perempuan"] | None = Field(
        None, description="sex codes when parsing.sex_codes has none; None: picked from the source"
    )
    name_case: Literal["upper", "title"] | None = Field(
        None, description="how names are written; None: picked from the source"
    )
    flag_style: Literal["1/0", "Ya/Tidak"] | None = Field(
        None, description="how yes/no flags are written; None: picked from the source"
    )


class Contract(_Strict):
    """One source's contract, as loaded from contracts/<source>.yaml."""

    source: str
    ministry: str
    programme: str
    intervention_type: str | None = None
    role: Literal["intervention", "target_register"] = "intervention"
    cadence: Literal["monthly", "quarterly"]
    owner: str = "konvergensi"
    start: date = date(2026, 1, 1)
    landing: Landing
    format: FileFormat
    parsing: Parsing = Parsing()
    columns: dict[str, str]
    quality: Quality = Quality()
    synthetic: Synthetic = Synthetic()
    path: Path | None = Field(None, exclude=True)

    @field_validator("source")
    @classmethod
    def _source_id(cls, value: str) -> str:
        if not _SOURCE_ID.match(value):
            raise ValueError("source must be lower_snake_case, 2-41 characters")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Contract:
        unknown = sorted(set(self.columns) - set(CANONICAL_FIELDS))
        if unknown:
            raise ValueError(
                f"columns maps unknown canonical fields {unknown}; "
                f"known fields: {', '.join(CANONICAL_FIELDS)}"
            )
        missing = [f for f in REQUIRED_FIELDS if f not in self.columns]
        if missing:
            raise ValueError(f"columns must map the required canonical fields {missing}")
        if self.role == "intervention" and self.intervention_type not in INTERVENTION_TYPES:
            raise ValueError(
                f"intervention_type {self.intervention_type!r} is not one of {INTERVENTION_TYPES}"
            )
        return self

    def landing_name(self, period: str) -> str:
        """The file name this source delivers for a period."""
        return self.landing.pattern.format(period=period)

    def crosswalk_path(self) -> Path | None:
        """The declared BPS -> Kemendagri crosswalk file, resolved next to the contract."""
        if self.parsing.region_crosswalk is None:
            return None
        base = self.path.parent if self.path is not None else Path.cwd()
        return (base / self.parsing.region_crosswalk).resolve()


def load_contract(path: Path) -> Contract:
    """Read one contract file, with an error that names the file and the offending key."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise ContractError(
            f"contract {path.name} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} on "
            f"line {line}; probably saved as ANSI/cp1252): save {path} as UTF-8 (in Notepad: "
            "Save As, Encoding: UTF-8)"
        ) from exc
    except (OSError, yaml.YAMLError) as exc:
        raise ContractError(f"cannot read contract {path}: {exc}") from exc
    if not isinstance(raw, dict):
        raise ContractError(f"contract {path} must be a YAML mapping")
    try:
        contract = Contract.model_validate({**raw, "path": path})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ContractError(f"contract {path.name} is invalid: {problems}") from exc
    if contract.source != path.stem:
        raise ContractError(
            f"contract {path.name} declares source {contract.source!r}; "
            f"rename the file to {contract.source}.yaml or fix the source"
        )
    return contract


def load_contracts(directory: Path) -> list[Contract]:
    """All contracts in a folder, sorted by source id."""
    if not directory.is_dir():
        raise ContractError(f"contracts folder {directory} does not exist")
    return [load_contract(p) for p in sorted(directory.glob("*.yaml"))]
