"""The canonical beneficiary schema that every source contract maps its columns onto."""

from __future__ import annotations

from enum import StrEnum


class FieldKind(StrEnum):
    """How a canonical field is read and standardised."""

    ID = "id"  # kept as text from the first byte; NIK and KK are classified
    NAME = "name"
    SEX = "sex"
    DATE = "date"
    PLACE_DATE = "place_date"  # "KUPANG, 12-03-1980" packed into one field
    REGION = "region"
    TEXT = "text"
    NUMBER = "number"
    INTEGER = "integer"
    FLAG = "flag"


CANONICAL_FIELDS: dict[str, FieldKind] = {
    "source_record_id": FieldKind.ID,
    "nik": FieldKind.ID,
    "kk": FieldKind.ID,
    "full_name": FieldKind.NAME,
    "sex": FieldKind.SEX,
    "birth_date": FieldKind.DATE,
    "birth_place_date": FieldKind.PLACE_DATE,
    "village_code": FieldKind.REGION,
    "address": FieldKind.TEXT,
    "intervention_date": FieldKind.DATE,
    "amount": FieldKind.NUMBER,
    "quantity": FieldKind.NUMBER,
    "family_id": FieldKind.ID,
    "welfare_decile": FieldKind.INTEGER,
    "extreme_poor": FieldKind.FLAG,
    "relationship": FieldKind.TEXT,
}

# Fields read from text into another type. Each is staged as `<field>_raw` (as sent), `<field>`
# and `<field>_flag`, whose value `unparseable` marks a value sent but not read (the birth date
# comes from `birth_date` or `birth_place_date`). The `parseable` quality rule acts on the flags.
PARSED_FIELDS = (
    "birth_date",
    "intervention_date",
    "amount",
    "quantity",
    "welfare_decile",
    "extreme_poor",
)

# Every contract must map these; the rest are optional.
REQUIRED_FIELDS = ("source_record_id", "full_name", "village_code")

INTERVENTION_TYPES = (
    "land_reform",
    "skills_training",
    "umkm_mentoring",
    "farm_inputs",
    "cash_for_work",
    "job_access",
    "financing",
    "social_assistance",
)

# The four intervention types of the coordinating ministry's convergence strategy.
CONVERGENCE_STRATEGY_TYPES = ("job_access", "skills_training", "umkm_mentoring", "financing")
