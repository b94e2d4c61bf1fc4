"""NIK / KK cleaning and classification: exact outcomes per rule, plus properties.

All numbers are generated from the published structure; none belongs to a real person.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from konvergensi.standardise import ids
from konvergensi.standardise.ids import (
    DAMAGED,
    INVALID,
    MISSING,
    PLACEHOLDER,
    PLACEHOLDERS,
    VALID,
    classify_kk,
    classify_nik,
    clean_id,
    nik_equals_kk,
    standardise_kk,
    standardise_nik,
)
from konvergensi.standardise.regions import known_kecamatan_prefixes

TODAY = dt.date(2026, 6, 30)  # fixes the century rule: YY <= 26 -> 20YY, YY > 26 -> 19YY
WOMAN_1980 = "5301245203800001"  # kec 53.01.24, 12-03-1980 + 40, serial 0001
MAN_1980 = "5301241203800001"
PROP = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def nik(value):
    """classify_nik with the fixed test date."""
    return classify_nik(value, today=TODAY)


# ------------------------------------------------------------------ clean_id


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("5301245203800001", "5301245203800001"),
        ("  5301245203800001\t", "5301245203800001"),
        ("'5301245203800001", "5301245203800001"),
        ('"5301245203800001"', "5301245203800001"),
        ("5301 2452 0380 0001", "5301245203800001"),
        ("5301.2452.0380.0001", "5301245203800001"),
        ("5301-2452-0380-0001", "5301245203800001"),
        ("  5.30124E+15 ", "5.30124E+15"),
        ("5301245203800001.0", "5301245203800001.0"),
        ("", None),
        ("   ", None),
        ("'", None),
        (None, None),
        (float("nan"), None),
        (pd.NA, None),
    ],
)
def test_clean_id(raw, expected):
    assert clean_id(raw) == expected


# ------------------------------------------------------------------ NIK valid


def test_woman_nik_decodes_birth_date_sex_and_prefix():
    info = nik(WOMAN_1980)
    assert info == ids.NikInfo(
        clean=WOMAN_1980,
        status=VALID,
        reason=None,
        birth_date=dt.date(1980, 3, 12),
        sex="P",
        region_prefix="53.01.24",
        warnings=(),
    )


def test_man_nik_decodes_without_offset():
    info = nik(MAN_1980)
    assert (info.status, info.birth_date, info.sex) == (VALID, dt.date(1980, 3, 12), "L")


@pytest.mark.parametrize(
    "raw",
    [
        "'5301245203800001",
        "5301 2452 0380 0001",
        "5301.2452.0380.0001",
        " 5301-2452-0380-0001 ",
        '"5301245203800001"',
        5301245203800001,
    ],
)
def test_formatted_nik_is_valid(raw):
    info = nik(raw)
    assert (info.clean, info.status, info.sex) == (WOMAN_1980, VALID, "P")


@pytest.mark.parametrize(("yy", "year"), [("26", 2026), ("00", 2000), ("27", 1927), ("99", 1999)])
def test_century_rule(yy, year):
    info = nik(f"5301240101{yy}0001")
    assert info.birth_date == dt.date(year, 1, 1)


def test_leap_day_valid_only_in_leap_years():
    assert nik("5301242902000001").birth_date == dt.date(2000, 2, 29)
    assert nik("5301246902840001").birth_date == dt.date(1984, 2, 29)
    assert nik("5301242902010001").reason == "no such date 29-02-2001"


def test_unknown_region_prefix_is_only_a_warning():
    assert "53.01.99" not in known_kecamatan_prefixes()
    info = nik("5301995203800001")
    assert info.status == VALID
    assert info.region_prefix == "53.01.99"
    assert info.warnings == ("unknown_region_prefix",)


def test_papua_prefix_is_valid():
    known = sorted(p for p in known_kecamatan_prefixes() if p.startswith("96."))
    assert known, "pinned list should know Papua Barat Daya (96)"
    info = nik(known[0].replace(".", "") + "1203800001")
    assert (info.status, info.warnings) == (VALID, ())


def test_future_birth_date_is_a_warning():
    info = nik("5301241512260001")  # 15-12-2026 is after TODAY
    assert info.status == VALID
    assert info.warnings == ("birth_date_in_future",)


# ------------------------------------------------------------------ NIK not valid


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("5.30124E+15", "scientific notation"),
        ("5,30124E+15", "scientific notation"),
        ("5.301245203800001e+15", "scientific notation"),
        ("5301245203800001.0", "ends with .0"),
        (5301245203800001.0, "ends with .0"),
        ("5301245203800001.00", "decimal point"),
        ("5301245203800001,5", "decimal point"),
        ("530124520380000", "length 15 != 16 (a digit was lost)"),
    ],
)
def test_damaged(raw, reason):
    info = nik(raw)
    assert (info.status, info.reason, info.birth_date, info.sex) == (DAMAGED, reason, None, None)
    assert info.clean == str(raw).strip()


@pytest.mark.parametrize(
    "raw",
    ["0000000000000000", "1111111111111111", "1234567890123456", "7777777777777777"],
)
def test_placeholder(raw):
    info = nik(raw)
    assert (info.clean, info.status, info.reason) == (raw, PLACEHOLDER, "placeholder value")


def test_placeholder_set():
    assert {"0000000000000000", "1111111111111111", "1234567890123456"} <= PLACEHOLDERS
    assert all(d * 16 in PLACEHOLDERS for d in "0123456789")


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("53012452038000", "length 14 != 16"),
        ("53012452038000011", "length 17 != 16"),
        ("53012452038000A1", "non-digit characters"),
        ("530124520380OOO1", "non-digit characters"),
        ("0001245203800001", "province 00"),
        ("5300245203800001", "regency 00"),
        ("5301005203800001", "kecamatan 00"),
        ("5301243503800001", "day 35 not in 01-31 or 41-71"),
        ("5301240003800001", "day 00 not in 01-31 or 41-71"),
        ("5301247203800001", "day 72 not in 01-31 or 41-71"),
        ("5301241213800001", "month 13"),
        ("5301241200800001", "month 00"),
        ("5301243102800001", "no such date 31-02"),
        ("5301247104800001", "no such date 31-04"),
        ("5301245203800000", "serial 0000"),
    ],
)
def test_invalid(raw, reason):
    info = nik(raw)
    assert (info.status, info.reason) == (INVALID, reason)
    assert (info.birth_date, info.sex, info.region_prefix) == (None, None, None)


@pytest.mark.parametrize("raw", [None, "", "   ", float("nan"), "''"])
def test_missing(raw):
    assert nik(raw) == ids.NikInfo(None, MISSING, None, None, None, None, ())


# ------------------------------------------------------------------ KK


@pytest.mark.parametrize(
    ("raw", "status", "reason"),
    [
        ("5301241203200001", VALID, None),
        ("'5301 2412 0320 0001", VALID, None),
        ("5301245203200001", INVALID, "day 52 not in 01-31"),
        ("5301243102200001", INVALID, "no such date 31-02"),
        ("5301241213200001", INVALID, "month 13"),
        ("5301241203200000", INVALID, "serial 0000"),
        ("0001241203200001", INVALID, "province 00"),
        ("530124120320001", DAMAGED, "length 15 != 16 (a digit was lost)"),
        ("5.30124E+15", DAMAGED, "scientific notation"),
        ("1111111111111111", PLACEHOLDER, "placeholder value"),
        ("  ", MISSING, None),
        (None, MISSING, None),
    ],
)
def test_classify_kk(raw, status, reason):
    info = classify_kk(raw, today=TODAY)
    assert (info.status, info.reason) == (status, reason)


# ------------------------------------------------------------------ vectorised


def test_standardise_nik_columns_and_values():
    raw = pd.Series(
        [WOMAN_1980, None, "5.30124E+15", "5301995203800001", MAN_1980, WOMAN_1980, ""],
        index=[10, 11, 12, 13, 14, 10, 16],
    )
    out = standardise_nik(raw, today=TODAY)
    assert list(out.columns) == [
        "nik",
        "nik_status",
        "nik_reason",
        "nik_birth_date",
        "nik_sex",
        "nik_warnings",
    ]
    assert out.index.equals(raw.index)
    assert str(out["nik_birth_date"].dtype) == "datetime64[ms]"
    assert out["nik_status"].tolist() == [
        VALID,
        MISSING,
        DAMAGED,
        VALID,
        VALID,
        VALID,
        MISSING,
    ]
    assert out["nik"].iloc[2] == "5.30124E+15"
    assert out["nik"].iloc[[1, 6]].isna().all()
    assert out["nik_reason"].iloc[2] == "scientific notation"
    assert out["nik_sex"].iloc[[0, 4]].tolist() == ["P", "L"]
    assert out["nik_birth_date"].iloc[0] == pd.Timestamp("1980-03-12")
    assert pd.isna(out["nik_birth_date"].iloc[2])
    assert out["nik_warnings"].iloc[3] == "unknown_region_prefix"
    assert out["nik_warnings"].iloc[[0, 1, 2]].isna().all()


def test_standardise_nik_vectorised_warnings():
    raw = pd.Series(["5301241512260001", "5301995512260001", MAN_1980] * 2)
    out = standardise_nik(raw, today=TODAY)
    assert out["nik_warnings"].iloc[0] == "birth_date_in_future"
    assert out["nik_warnings"].iloc[1] == "unknown_region_prefix,birth_date_in_future"
    assert pd.isna(out["nik_warnings"].iloc[2])
    assert out["nik_birth_date"].iloc[1] == pd.Timestamp("2026-12-15")


def test_standardise_kk_columns():
    raw = pd.Series(["5301241203200001", None, "5301245203200001"], index=["a", "b", "c"])
    out = standardise_kk(raw, today=TODAY)
    assert list(out.columns) == ["kk", "kk_status", "kk_reason"]
    assert out.index.equals(raw.index)
    assert out["kk_status"].tolist() == [VALID, MISSING, INVALID]
    assert out["kk_reason"].iloc[2] == "day 52 not in 01-31"


def test_standardise_nik_empty_series():
    out = standardise_nik(pd.Series([], dtype="str"))
    assert len(out) == 0 and "nik_status" in out


def test_nik_equals_kk():
    a = pd.Series([WOMAN_1980, WOMAN_1980, None, None], index=[3, 4, 5, 6])
    b = pd.Series([WOMAN_1980, MAN_1980, None, WOMAN_1980])
    assert nik_equals_kk(a, b).tolist() == [True, False, False, False]
    assert nik_equals_kk(a, b).index.equals(a.index)


# ------------------------------------------------------------------ properties

_PREFIXES = sorted(known_kecamatan_prefixes())


@st.composite
def valid_niks(draw):
    """A structurally valid NIK with a known prefix and a birth date inside the century window."""
    prefix = draw(st.sampled_from(_PREFIXES)).replace(".", "")
    born = draw(st.dates(min_value=dt.date(1927, 1, 1), max_value=TODAY))
    woman = draw(st.booleans())
    serial = draw(st.integers(1, 9999))
    day = born.day + (40 if woman else 0)
    return f"{prefix}{day:02d}{born:%m%y}{serial:04d}", born, "P" if woman else "L"


id_like = st.one_of(
    st.text(max_size=30),
    st.from_regex(r"[0-9 .,eE+'\-\"]{0,22}", fullmatch=True),
    st.from_regex(r"[1-9][0-9]{15}", fullmatch=True),
    st.none(),
)


@PROP
@given(id_like)
def test_clean_and_classify_never_raise(value):
    clean_id(value)
    info = nik(value)
    assert info.status in {VALID, INVALID, PLACEHOLDER, DAMAGED, MISSING}
    assert (info.reason is None) == (info.status in {VALID, MISSING})
    assert classify_kk(value, today=TODAY).status in {VALID, INVALID, PLACEHOLDER, DAMAGED, MISSING}


@PROP
@given(valid_niks())
def test_generated_valid_nik_is_unchanged_and_valid(case):
    value, born, sex = case
    assume(value not in PLACEHOLDERS)
    assert clean_id(value) == value
    info = nik(value)
    assert (info.clean, info.status, info.birth_date, info.sex) == (value, VALID, born, sex)
    assert info.warnings == ()


@PROP
@given(st.lists(st.one_of(id_like, valid_niks().map(lambda c: c[0])), max_size=25))
def test_vectorised_matches_scalar_and_keeps_index(values):
    index = pd.Index(np.arange(len(values)) * 7 + 3)
    raw = pd.Series(values, index=index, dtype=object)
    out = standardise_nik(raw, today=TODAY)
    kk = standardise_kk(raw, today=TODAY)
    assert out.index.equals(index) and kk.index.equals(index)
    for pos, value in enumerate(values):
        info = nik(value)
        row = out.iloc[pos]
        assert row["nik_status"] == info.status
        assert (None if pd.isna(row["nik"]) else row["nik"]) == info.clean
        assert (None if pd.isna(row["nik_reason"]) else row["nik_reason"]) == info.reason
        assert (None if pd.isna(row["nik_sex"]) else row["nik_sex"]) == info.sex
        warn = None if pd.isna(row["nik_warnings"]) else row["nik_warnings"]
        assert warn == (",".join(info.warnings) or None)
        birth = row["nik_birth_date"]
        assert (None if pd.isna(birth) else birth.date()) == info.birth_date
        kinfo = classify_kk(value, today=TODAY)
        assert kk["kk_status"].iloc[pos] == kinfo.status
        kreason = kk["kk_reason"].iloc[pos]
        assert (None if pd.isna(kreason) else kreason) == kinfo.reason
