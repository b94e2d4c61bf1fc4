"""The rule catalogue: what each contract rule name means, as Great Expectations expectations.

Row rules quarantine (severity `error`) or flag (severity `warn`) the rows that break them;
batch rules judge the whole file and fail it. Every expectation carries the rule's name, its
severity, a sentence an operator understands and the fix, in its `meta`.
Great Expectations is imported inside the builders: never at DAG parse time.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from konvergensi.contracts.model import Contract, Rule
from konvergensi.contracts.schema import PARSED_FIELDS

# Derived column the gate computes before validating: is the intervention date in the period?
IN_PERIOD_COLUMN = "_check_intervention_in_period"


@dataclass(frozen=True)
class Check:
    """One expectation derived from a contract rule, with what an operator needs to know."""

    rule: str
    level: str  # "row" or "batch"
    severity: str  # "error" or "warn"
    column: str | None
    description: str
    fix: str
    expectation_type: str
    kwargs: dict[str, Any]


def _row(rule: Rule, kind: str, description: str, fix: str, **kwargs: Any) -> Check:
    """A row check on the column named in the expectation's own `column` argument."""
    return Check(rule.rule, "row", rule.severity, kwargs["column"], description, fix, kind, kwargs)


def _required(rule: Rule, contract: Contract) -> list[Check]:
    return [
        _row(
            rule,
            "ExpectColumnValuesToNotBeNull",
            f"`{contract.columns.get(column, column)}` ({column}) must not be empty",
            "ask the ministry to fill the value and resend the corrected file",
            column=column,
        )
        for column in rule.params.get("columns", [])
    ]


def _record_id_unique(rule: Rule, contract: Contract) -> list[Check]:
    name = contract.columns["source_record_id"]
    return [
        _row(
            rule,
            "ExpectColumnValuesToBeInSet",
            f"`{name}` must be unique in the file (repeats after the first are rejected)",
            "check whether the ministry exported the same record twice",
            column="_record_id_repeat",
            value_set=[False],
        )
    ]


def _village_known(rule: Rule, contract: Contract) -> list[Check]:
    name = contract.columns["village_code"]
    return [
        _row(
            rule,
            "ExpectColumnValuesToBeInSet",
            f"`{name}` must be a village code in the pinned Kemendagri list",
            "check the code against the Kemendagri list; if the source uses BPS codes, "
            "declare parsing.region_code_system: bps and parsing.region_crosswalk in its contract",
            column="village_known",
            value_set=[True],
        )
    ]


def _id_valid(field: str) -> Callable[[Rule, Contract], list[Check]]:
    def build(rule: Rule, contract: Contract) -> list[Check]:
        name = contract.columns.get(field, field)
        return [
            _row(
                rule,
                "ExpectColumnValuesToBeInSet",
                f"`{name}` must be a structurally valid {field.upper()} or empty "
                "(not a placeholder, not damaged by Excel)",
                "ask the ministry to export ID columns as text; see the reason per row",
                column=f"{field}_status",
                value_set=["valid", "missing"],
            )
        ]

    return build


def _sex_known(rule: Rule, contract: Contract) -> list[Check]:
    name = contract.columns.get("sex", "sex")
    return [
        _row(
            rule,
            "ExpectColumnValuesToNotBeNull",
            f"`{name}` must be a known code for sex (L/P, LAKI-LAKI/PEREMPUAN, ...)",
            "add the source's code to parsing.sex_codes in the contract if it is legitimate",
            column="sex",
        )
    ]


def _between(field: str, what: str) -> Callable[[Rule, Contract], list[Check]]:
    def build(rule: Rule, contract: Contract) -> list[Check]:
        low, high = rule.params.get("min"), rule.params.get("max")
        column = "age" if field == "age" else field
        if field == "age":
            low, high = rule.params.get("min_age", 0), rule.params.get("max_age", 120)
        return [
            _row(
                rule,
                "ExpectColumnValuesToBeBetween",
                f"{what} must be between {low} and {high}",
                "check the value with the ministry; fix the contract if the range changed",
                column=column,
                min_value=low,
                max_value=high,
            )
        ]

    return build


def _intervention_in_period(rule: Rule, contract: Contract) -> list[Check]:
    name = contract.columns.get("intervention_date", "intervention_date")
    return [
        _row(
            rule,
            "ExpectColumnValuesToBeInSet",
            f"`{name}` must fall within the extract's period",
            "check that the file was exported for the right period; a date format change "
            "(day and month swapped) also shows up here",
            column=IN_PERIOD_COLUMN,
            value_set=[True],
        )
    ]


_DATE_FIX = (
    "ask the ministry to correct the date; if the source writes dates that way, add the "
    "format to parsing.date_formats in the contract"
)
_NUMBER_FIX = (
    "ask the ministry to correct the value: plain numbers such as 300000, 300.000, 300.000,50 "
    "or 12,5 (`300,000` is 300 or 300000 and is never guessed)"
)
# Parsed field -> (what it is read as, what to do about a value that could not be read).
_READ_AS = {
    "birth_date": ("a date", _DATE_FIX),
    "intervention_date": ("a date", _DATE_FIX),
    "amount": ("a number", _NUMBER_FIX),
    "quantity": ("a number", _NUMBER_FIX),
    "welfare_decile": ("a whole number", "ask the ministry for the decile as a whole number"),
    "extreme_poor": (
        "yes or no",
        "ask the ministry to correct the value; if the source writes yes/no that way, add the "
        "spelling to parsing.flag_true or parsing.flag_false in the contract",
    ),
}


def _mapped_parsed_fields(contract: Contract) -> list[str]:
    """The parsed fields this contract maps (the birth date through either of its columns)."""
    mapped = set(contract.columns) | (
        {"birth_date"} if "birth_place_date" in contract.columns else set()
    )
    return [f for f in PARSED_FIELDS if f in mapped]


def _parseable(rule: Rule, contract: Contract) -> list[Check]:
    fields = rule.params.get("columns") or _mapped_parsed_fields(contract)
    unknown = sorted(set(fields) - set(PARSED_FIELDS))
    if unknown:
        raise ValueError(
            f"contract {contract.source}: rule parseable names {unknown}; it checks "
            f"{', '.join(PARSED_FIELDS)}"
        )
    checks = []
    for field in fields:
        packed = field == "birth_date" and "birth_place_date" in contract.columns
        name = contract.columns.get("birth_place_date" if packed else field, field)
        what, fix = _READ_AS[field]
        checks.append(
            _row(
                rule,
                "ExpectColumnValuesToNotBeInSet",
                f"`{name}` ({field}) was sent but could not be read as {what}",
                fix,
                column=f"{field}_flag",
                value_set=["unparseable"],
            )
        )
    return checks


ROW_RULES: dict[str, Callable[[Rule, Contract], list[Check]]] = {
    "required": _required,
    "record_id_unique": _record_id_unique,
    "village_known": _village_known,
    "nik_valid": _id_valid("nik"),
    "kk_valid": _id_valid("kk"),
    "sex_known": _sex_known,
    "birth_date_plausible": _between("age", "age at the end of the period (from birth date)"),
    "amount_in_range": _between("amount", "amount"),
    "quantity_in_range": _between("quantity", "quantity"),
    "decile_in_range": _between("welfare_decile", "welfare decile"),
    "intervention_date_in_period": _intervention_in_period,
    "parseable": _parseable,
}


def _batch(rule: Rule, kind: str, description: str, fix: str, **kwargs: Any) -> Check:
    return Check(rule.rule, "batch", "error", None, description, fix, kind, kwargs)


def batch_checks(contract: Contract, previous_rows: int | None) -> list[Check]:
    """Batch-level checks of a contract; the volume check needs the previous batch's size."""
    checks = []
    for rule in contract.quality.batch:
        p = rule.params
        if rule.rule == "nik_unusable_share":
            checks.append(
                _batch(
                    rule,
                    "ExpectColumnValuesToBeInSet",
                    f"at most {p['max']:.0%} of NIKs may be missing, invalid, placeholder "
                    "or damaged",
                    "ask the ministry to re-export with the NIK column formatted as text",
                    column="nik_status",
                    value_set=["valid"],
                    mostly=round(1 - p["max"], 6),
                )
            )
        elif rule.rule == "nik_trailing_zero_share":
            checks.append(
                _batch(
                    rule,
                    "ExpectColumnValuesToNotMatchRegex",
                    f"at most {p['max']:.0%} of NIKs may end in 0 (Excel cuts NIKs to 15 "
                    "significant digits and pads with 0)",
                    "the file was probably saved from Excel with NIKs as numbers: ask for a "
                    "re-export with the column as text",
                    column="nik",
                    regex="0$",
                    mostly=round(1 - p["max"], 6),
                )
            )
        elif rule.rule == "row_count_change":
            if previous_rows:
                low = math.ceil(previous_rows * p.get("min_ratio", 0.5))
                high = math.floor(previous_rows * p.get("max_ratio", 2.0))
                checks.append(
                    _batch(
                        rule,
                        "ExpectTableRowCountToBeBetween",
                        f"row count must be within {low}-{high} (previous extract had "
                        f"{previous_rows} rows)",
                        "confirm with the ministry that the extract is complete; if the change "
                        "is real, widen row_count_change in the contract",
                        min_value=low,
                        max_value=high,
                    )
                )
        else:
            raise ValueError(f"contract {contract.source}: unknown batch rule {rule.rule!r}")
    return checks


def row_checks(contract: Contract) -> list[Check]:
    """Row-level checks of a contract, in the contract's order.

    Every parsed field the contract maps is checked for unreadable values: fields no
    `parseable` rule of the contract names are checked at severity error, so a value that was
    sent but lost in reading never passes unnoticed.
    """
    checks = []
    for rule in contract.quality.rows:
        if rule.rule not in ROW_RULES:
            raise ValueError(
                f"contract {contract.source}: unknown row rule {rule.rule!r}; "
                f"known rules: {', '.join(ROW_RULES)}"
            )
        checks.extend(ROW_RULES[rule.rule](rule, contract))
    covered = {c.column for c in checks if c.rule == "parseable"}
    unchecked = [f for f in _mapped_parsed_fields(contract) if f"{f}_flag" not in covered]
    if unchecked:
        checks.extend(_parseable(Rule(rule="parseable", columns=unchecked), contract))
    return checks


def known_rules() -> list[str]:
    """Every rule name a contract may use."""
    return [*ROW_RULES, "nik_unusable_share", "nik_trailing_zero_share", "row_count_change"]
