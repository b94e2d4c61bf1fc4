"""Pure standardisation of raw extract values (IDs, names, dates, sex, region codes) plus flags.

No I/O: every function takes values or pandas Series and returns new ones.
"""

from konvergensi.standardise.dates import (
    birth_date_flags,
    date_sent,
    parse_dates,
    placeholder_date,
    split_place_date,
)
from konvergensi.standardise.ids import (
    DAMAGED,
    INVALID,
    MISSING,
    PLACEHOLDER,
    PLACEHOLDERS,
    VALID,
    KkInfo,
    NikInfo,
    classify_kk,
    classify_nik,
    clean_id,
    nik_equals_kk,
    standardise_kk,
    standardise_nik,
)
from konvergensi.standardise.names import name_key, name_tokens, standardise_names
from konvergensi.standardise.regions import (
    REFERENCE_VERSION,
    kecamatan,
    kecamatan_of,
    kecamatan_of_regency,
    known_kecamatan_prefixes,
    normalise_region_code,
    provinces,
    regencies,
    village_known,
    villages,
    villages_of_regency,
)
from konvergensi.standardise.sex import standardise_sex
from konvergensi.standardise.values import (
    parse_flags,
    parse_numbers,
    parse_whole_numbers,
    text_values,
    value_flags,
)

__all__ = [
    "DAMAGED",
    "INVALID",
    "MISSING",
    "PLACEHOLDER",
    "PLACEHOLDERS",
    "REFERENCE_VERSION",
    "VALID",
    "KkInfo",
    "NikInfo",
    "birth_date_flags",
    "classify_kk",
    "classify_nik",
    "clean_id",
    "date_sent",
    "kecamatan",
    "kecamatan_of",
    "kecamatan_of_regency",
    "known_kecamatan_prefixes",
    "name_key",
    "name_tokens",
    "nik_equals_kk",
    "normalise_region_code",
    "parse_dates",
    "parse_flags",
    "parse_numbers",
    "parse_whole_numbers",
    "placeholder_date",
    "provinces",
    "regencies",
    "split_place_date",
    "standardise_kk",
    "standardise_names",
    "standardise_nik",
    "standardise_sex",
    "text_values",
    "value_flags",
    "village_known",
    "villages",
    "villages_of_regency",
]
