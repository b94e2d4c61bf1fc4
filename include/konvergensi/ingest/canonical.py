"""Map a chunk of a source's columns onto the canonical schema and standardise every field.

The output keeps each value as given next to its standardised form and its flags, so nothing
is silently altered: analysts and reviewers can always see what the ministry sent.
"""

from __future__ import annotations

import difflib
import re
from datetime import date

import pandas as pd

from konvergensi.contracts import Contract
from konvergensi.ingest.crosswalk import Crosswalk
from konvergensi.ingest.errors import SchemaDriftError
from konvergensi.ingest.frames import ROW_NUMBER, column_key
from konvergensi.standardise import (
    birth_date_flags,
    nik_equals_kk,
    normalise_region_code,
    parse_dates,
    placeholder_date,
    split_place_date,
    standardise_kk,
    standardise_names,
    standardise_nik,
    standardise_sex,
    village_known,
)

EXTRA_PREFIX = "extra__"
_THOUSANDS_DOTS = re.compile(r"^\d{1,3}(\.\d{3})+(,\d+)?$")


def _similar(wanted: str, columns: list[str]) -> list[str]:
    """Up to three columns an operator may have meant: names containing the wanted one (or
    contained in it) first, then spelling neighbours."""
    key = column_key(wanted)
    nested = [c for c in columns if len(column_key(c)) >= 3 and key in column_key(c)]
    nested += [c for c in columns if len(column_key(c)) >= 3 and column_key(c) in key]
    close = difflib.get_close_matches(wanted, columns, n=3, cutoff=0.5)
    return list(dict.fromkeys([*nested, *close]))[:3]


def resolve_columns(contract: Contract, columns: list[str], file_name: str) -> dict[str, str]:
    """Canonical field -> the file's column, tolerant of case and spacing; drift is an error."""
    by_key = {column_key(c): c for c in columns if c != ROW_NUMBER}
    resolved, problems = {}, []
    for field, wanted in contract.columns.items():
        found = wanted if wanted in columns else by_key.get(column_key(wanted))
        if found is not None:
            resolved[field] = found
            continue
        similar = _similar(wanted, list(by_key.values()))
        hint = f"; found similar: {', '.join(f'`{s}`' for s in similar)}" if similar else ""
        problems.append(
            f"column `{wanted}` not found in {file_name}; contract {contract.source} maps "
            f"{field} <- {wanted}{hint}"
        )
    if problems:
        raise SchemaDriftError(
            "; ".join(problems)
            + f". Fix: update contracts/{contract.source}.yaml if the ministry renamed the "
            "column, or ask the ministry to resend the file with the agreed columns."
        )
    return resolved


def extra_columns(resolved: dict[str, str], columns: list[str]) -> list[str]:
    """Columns the file has but the contract does not map: kept and reported, never dropped."""
    mapped = set(resolved.values())
    return [c for c in columns if c not in mapped and c != ROW_NUMBER]


def _text(series: pd.Series) -> pd.Series:
    stripped = series.astype("string").str.strip()
    return stripped.mask(stripped == "")


def parse_numbers(raw: pd.Series) -> pd.Series:
    """Amounts as numbers: `300000`, `300.000` (dotted thousands), `Rp 300.000,50`, `1.5e5`."""
    text = _text(raw).str.replace(r"(?i)^rp\.?\s*", "", regex=True).str.replace(" ", "")
    dotted = text.str.match(_THOUSANDS_DOTS.pattern, na=False)
    text = text.mask(dotted, text.str.replace(".", "", regex=False).str.replace(",", "."))
    return pd.to_numeric(text, errors="coerce").astype("float64")


def _flags(raw: pd.Series, true_values: list[str]) -> pd.Series:
    text = _text(raw).str.upper()
    truthy = {v.upper() for v in true_values}
    return text.isin(truthy).astype("boolean").mask(text.isna())


def _none(index: pd.Index, dtype: str = "string") -> pd.Series:
    return pd.Series(pd.NA, index=index, dtype=dtype)


def standardise_chunk(
    chunk: pd.DataFrame,
    contract: Contract,
    resolved: dict[str, str],
    extras: list[str],
    period_end: date,
    crosswalk: Crosswalk | None = None,
) -> pd.DataFrame:
    """One chunk of the file in the canonical staging shape (lineage columns added by caller).

    `crosswalk` maps a BPS-coded source's village codes to Kemendagri codes.
    """
    idx = chunk.index
    col = {f: chunk[c] for f, c in resolved.items()}
    parsing = contract.parsing
    out = pd.DataFrame(index=idx)
    out["_row_number"] = chunk[ROW_NUMBER].astype("int64")
    out["source_record_id"] = _text(col["source_record_id"])

    nik = standardise_nik(col["nik"]) if "nik" in col else None
    if nik is not None:
        out["nik_raw"] = _text(col["nik"])
        for name in ("nik", "nik_status", "nik_reason", "nik_warnings", "nik_sex"):
            out[name] = nik[name].astype("string")
        out["nik_birth_date"] = pd.to_datetime(nik["nik_birth_date"]).astype("datetime64[ms]")
    else:
        out["nik_raw"] = out["nik"] = out["nik_reason"] = out["nik_warnings"] = _none(idx)
        out["nik_sex"] = _none(idx)
        out["nik_status"] = pd.Series("missing", index=idx, dtype="string")
        out["nik_birth_date"] = pd.Series(pd.NaT, index=idx, dtype="datetime64[ms]")

    if "kk" in col:
        kk = standardise_kk(col["kk"])
        out["kk_raw"] = _text(col["kk"])
        for name in ("kk", "kk_status", "kk_reason"):
            out[name] = kk[name].astype("string")
    else:
        out["kk_raw"] = out["kk"] = out["kk_reason"] = _none(idx)
        out["kk_status"] = pd.Series("missing", index=idx, dtype="string")
    out["nik_equals_kk"] = nik_equals_kk(out["nik"], out["kk"]).astype("bool")

    out["full_name"] = _text(col["full_name"])
    out["name_key"] = standardise_names(out["full_name"]).astype("string")

    out["sex_raw"] = _text(col["sex"]) if "sex" in col else _none(idx)
    sex = standardise_sex(out["sex_raw"], parsing.sex_codes or None)
    out["sex"] = sex.astype("string")

    formats = parsing.date_formats
    if "birth_place_date" in col:
        place, born = split_place_date(col["birth_place_date"], formats)
        out["birth_place"] = place.astype("string")
        out["birth_date_raw"] = _text(col["birth_place_date"])
    else:
        born_raw = col.get("birth_date")
        out["birth_place"] = _none(idx)
        out["birth_date_raw"] = _text(born_raw) if born_raw is not None else _none(idx)
        born = (
            parse_dates(born_raw, formats)
            if born_raw is not None
            else pd.Series(pd.NaT, index=idx, dtype="datetime64[ms]")
        )
    out["birth_date"] = pd.to_datetime(born).astype("datetime64[ms]")
    out["birth_date_flag"] = birth_date_flags(out["birth_date"], out["nik_birth_date"]).astype(
        "string"
    )
    out["birth_date_placeholder"] = placeholder_date(out["birth_date"]).astype("bool")
    end = pd.Timestamp(period_end)
    age = (end.year - out["birth_date"].dt.year) - (
        (out["birth_date"].dt.month * 100 + out["birth_date"].dt.day) > (end.month * 100 + end.day)
    )
    out["age"] = age.astype("Int16")

    out["village_code_raw"] = _text(col["village_code"])
    village = col["village_code"]
    out["village_code"] = (
        normalise_region_code(village) if crosswalk is None else crosswalk.map(village)
    ).astype("string")
    out["village_known"] = village_known(out["village_code"]).astype("bool")
    out["kecamatan_code"] = out["village_code"].str.slice(0, 8)

    out["address"] = _text(col["address"]) if "address" in col else _none(idx)
    if "intervention_date" in col:
        out["intervention_date"] = parse_dates(col["intervention_date"], formats).astype(
            "datetime64[ms]"
        )
    else:
        out["intervention_date"] = pd.Series(pd.NaT, index=idx, dtype="datetime64[ms]")
    for field in ("amount", "quantity"):
        out[field] = (
            parse_numbers(col[field]) if field in col else pd.Series(float("nan"), index=idx)
        )
    out["family_id"] = _text(col["family_id"]) if "family_id" in col else _none(idx)
    decile = parse_numbers(col["welfare_decile"]) if "welfare_decile" in col else None
    out["welfare_decile"] = (
        decile.round().astype("Int8") if decile is not None else _none(idx, "Int8")
    )
    out["extreme_poor"] = (
        _flags(col["extreme_poor"], parsing.flag_true)
        if "extreme_poor" in col
        else _none(idx, "boolean")
    )
    out["relationship"] = _text(col["relationship"]) if "relationship" in col else _none(idx)
    for extra in extras:
        out[EXTRA_PREFIX + extra] = _text(chunk[extra])
    return out
