"""Map a chunk of a source's columns onto the canonical schema and standardise every field.

The output keeps each value as given next to its standardised form and its flags, so nothing
is silently altered: analysts and reviewers can always see what the ministry sent.
"""

from __future__ import annotations

import difflib
from datetime import date

import pandas as pd

from konvergensi.contracts import Contract
from konvergensi.contracts.model import Parsing
from konvergensi.ingest.crosswalk import Crosswalk
from konvergensi.ingest.errors import SchemaDriftError
from konvergensi.ingest.frames import ROW_NUMBER, column_key, native_numbers
from konvergensi.standardise import (
    birth_date_flags,
    date_sent,
    nik_equals_kk,
    normalise_region_code,
    parse_dates,
    parse_flags,
    parse_numbers,
    parse_whole_numbers,
    placeholder_date,
    split_place_date,
    standardise_kk,
    standardise_names,
    standardise_nik,
    standardise_sex,
    text_values,
    value_flags,
    village_known,
)

EXTRA_PREFIX = "extra__"
# Parsed fields besides the birth date, with their staged type when the contract does not map
# them. Each is staged as `<field>_raw`, `<field>` and `<field>_flag` (contracts.schema).
_PARSED_TYPES = {
    "intervention_date": "datetime64[ms]",
    "amount": "float64",
    "quantity": "float64",
    "welfare_decile": "Int32",
    "extreme_poor": "boolean",
}
_DELIMITERS = ",;|\t"


def _similar(wanted: str, columns: list[str]) -> list[str]:
    """Up to three columns an operator may have meant: names containing the wanted one (or
    contained in it) first, then spelling neighbours."""
    key = column_key(wanted)
    nested = [c for c in columns if len(column_key(c)) >= 3 and key in column_key(c)]
    nested += [c for c in columns if len(column_key(c)) >= 3 and column_key(c) in key]
    close = difflib.get_close_matches(wanted, columns, n=3, cutoff=0.5)
    return list(dict.fromkeys([*nested, *close]))[:3]


def _wrong_delimiter(contract: Contract, header: list[str], file_name: str) -> None:
    """Fail with the likely cause when a CSV header did not split at all: the delimiter."""
    if contract.format.type != "csv" or len(header) != 1:
        return
    counts = {d: header[0].count(d) for d in _DELIMITERS if d != contract.format.delimiter}
    likely = max(counts, key=counts.__getitem__)
    if not counts[likely]:
        return
    shown = "tab" if likely == "\t" else repr(likely)
    raise SchemaDriftError(
        f"the header of {file_name} split into a single column (`{header[0][:80]}`) with "
        f"format.delimiter {contract.format.delimiter!r}: the delimiter is probably wrong (the "
        f"header holds {counts[likely]} x {shown}). Fix: set format.delimiter to {shown} (or "
        f"auto) in contracts/{contract.source}.yaml."
    )


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
        _wrong_delimiter(contract, list(by_key.values()), file_name)
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


def _none(index: pd.Index, dtype: str = "string") -> pd.Series:
    return pd.Series(index=index, dtype=dtype)


def _parse(field: str, raw: pd.Series, parsing: Parsing, native: pd.Series) -> pd.Series:
    """The standardised value of one of the parsed fields other than the birth date; `native`
    marks the cells that were numbers in the file (read as plain numbers, never as text)."""
    if field == "intervention_date":
        return parse_dates(raw, parsing.date_formats).astype("datetime64[ms]")
    if field == "welfare_decile":
        return parse_whole_numbers(raw, native)
    if field == "extreme_poor":
        return parse_flags(raw, parsing.flag_true, parsing.flag_false)
    return parse_numbers(raw, native)


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
    out["source_record_id"] = text_values(col["source_record_id"])

    nik = standardise_nik(col["nik"]) if "nik" in col else None
    if nik is not None:
        out["nik_raw"] = text_values(col["nik"])
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
        out["kk_raw"] = text_values(col["kk"])
        for name in ("kk", "kk_status", "kk_reason"):
            out[name] = kk[name].astype("string")
    else:
        out["kk_raw"] = out["kk"] = out["kk_reason"] = _none(idx)
        out["kk_status"] = pd.Series("missing", index=idx, dtype="string")
    out["nik_equals_kk"] = nik_equals_kk(out["nik"], out["kk"]).astype("bool")

    out["full_name"] = text_values(col["full_name"])
    out["name_key"] = standardise_names(out["full_name"]).astype("string")

    out["sex_raw"] = text_values(col["sex"]) if "sex" in col else _none(idx)
    sex = standardise_sex(out["sex_raw"], parsing.sex_codes or None)
    out["sex"] = sex.astype("string")

    formats = parsing.date_formats
    packed = "birth_place_date" in col
    if packed:
        place, born = split_place_date(col["birth_place_date"], formats)
        out["birth_place"] = place.astype("string")
        out["birth_date_raw"] = text_values(col["birth_place_date"])
    else:
        born_raw = col.get("birth_date")
        out["birth_place"] = _none(idx)
        out["birth_date_raw"] = text_values(born_raw) if born_raw is not None else _none(idx)
        born = (
            parse_dates(born_raw, formats)
            if born_raw is not None
            else pd.Series(pd.NaT, index=idx, dtype="datetime64[ms]")
        )
    out["birth_date"] = pd.to_datetime(born).astype("datetime64[ms]")
    sent = date_sent(out["birth_date_raw"], out["birth_date"], packed)
    out["birth_date_flag"] = birth_date_flags(
        out["birth_date"], out["nik_birth_date"], sent
    ).astype("string")
    out["birth_date_placeholder"] = placeholder_date(out["birth_date"]).astype("bool")
    end = pd.Timestamp(period_end)
    age = (end.year - out["birth_date"].dt.year) - (
        (out["birth_date"].dt.month * 100 + out["birth_date"].dt.day) > (end.month * 100 + end.day)
    )
    out["age"] = age.astype("Int16")

    out["village_code_raw"] = text_values(col["village_code"])
    village = col["village_code"]
    out["village_code"] = (
        normalise_region_code(village) if crosswalk is None else crosswalk.map(village)
    ).astype("string")
    out["village_known"] = village_known(out["village_code"]).astype("bool")
    out["kecamatan_code"] = out["village_code"].str.slice(0, 8)

    out["address"] = text_values(col["address"]) if "address" in col else _none(idx)
    out["family_id"] = text_values(col["family_id"]) if "family_id" in col else _none(idx)
    for field, dtype in _PARSED_TYPES.items():
        raw = text_values(col[field]) if field in col else _none(idx)
        out[f"{field}_raw"] = raw
        out[field] = (
            _parse(field, col[field], parsing, native_numbers(chunk, resolved[field]))
            if field in col
            else _none(idx, dtype)
        )
        out[f"{field}_flag"] = value_flags(raw, out[field])
    out["relationship"] = text_values(col["relationship"]) if "relationship" in col else _none(idx)
    for extra in extras:
        out[EXTRA_PREFIX + extra] = text_values(chunk[extra])
    return out
