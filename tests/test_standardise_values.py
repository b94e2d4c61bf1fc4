"""Numbers, whole numbers and yes/no flags as ministries write them: every unambiguous form read,
an ambiguous or unreadable one left unread (never guessed), and flagged apart from an empty cell."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from konvergensi.standardise import parse_flags, parse_numbers, parse_whole_numbers, value_flags


def _read(values: list[str | None], parse=parse_numbers) -> list:
    out = parse(pd.Series(values, dtype="str"))
    return [None if pd.isna(v) else v for v in out]


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ("300000", 300000.0),
        ("300000.00", 300000.0),
        ("Rp 300.000", 300000.0),  # dotted thousands (Indonesian)
        ("Rp300.000,50", 300000.5),
        ("Rp 300.000,-", 300000.0),  # no cents
        ("Rp. 1.500.000,--", 1500000.0),
        ("300000,-", 300000.0),
        ("150.375", 150375.0),  # text (a CSV cell): dotted thousands, the documented convention
        ("IDR 1.500.000", 1500000.0),
        ("1.234.567", 1234567.0),
        ("1,234,567", 1234567.0),  # comma thousands (English Excel)
        ("1,234,567.89", 1234567.89),
        ("1,000.5", 1000.5),
        ("1.250,5", 1250.5),
        ("12,5", 12.5),  # a bare decimal comma
        ("0,25", 0.25),
        ("0,250", 0.25),  # thousands groups never start with 0
        ("0.250", 0.25),
        ("1.5", 1.5),
        ("-1.250,5", -1250.5),
        ("1.5e5", 150000.0),
        (" 2 000 ", 2000.0),
        ("300\u00a0000", 300000.0),  # a no-break space, as Excel writes thousands in some locales
        ("12 5", None),  # two numbers, or a typo: not joined into 125
        ("300,000", None),  # 300 (decimal comma) or 300000 (thousands): never guessed
        ("1,250", None),
        ("12,5 kg", None),
        ("1.2.3", None),
        ("1,23,456", None),
        ("inf", None),
        ("nan", None),
        ("dua", None),
        ("-", None),
        (",-", None),
        ("", None),
        (None, None),
    ],
)
def test_numbers_are_read_only_where_unambiguous(sent, expected):
    [got] = _read([sent])
    if expected is None:
        assert got is None
    else:
        assert math.isclose(got, expected)


def test_cells_that_were_numbers_in_the_file_are_read_as_plain_numbers():
    # The same text, once a number in the file (an Excel numeric cell, a JSON number) and once
    # text: only the text follows the Indonesian dotted-thousands convention.
    sent = pd.Series(["150.375", "150.375", "2.125", "-1.500", "1e3", "inf", None], dtype="str")
    native = pd.Series([True, False, True, True, True, True, True])
    assert [None if pd.isna(v) else v for v in parse_numbers(sent, native)] == [
        150.375,
        150375.0,
        2.125,
        -1.5,
        1000.0,
        None,
        None,
    ]
    deciles = pd.Series(["3", "1.000", "1.000"], dtype="str")
    assert parse_whole_numbers(deciles, pd.Series([True, True, False])).tolist() == [3, 1, 1000]


def test_whole_numbers_are_not_rounded_or_cut():
    sent = ["2", "2.0", "2,0", "200", "2,5", "Desil 3", "99999999999", None]
    assert _read(sent, parse_whole_numbers) == [2, 2, 2, 200, None, None, None, None]
    assert parse_whole_numbers(pd.Series(sent, dtype="str")).dtype == "Int32"


def test_unknown_flag_text_is_missing_not_false():
    sent = pd.Series(["Ya", "tidak", "1", "0", " TRUE ", "Miskin Ekstrem", "", None], dtype="str")
    flags = parse_flags(sent, ["1", "YA", "TRUE"], ["0", "TIDAK", "FALSE"])
    assert [None if pd.isna(v) else v for v in flags] == [
        True,
        False,
        True,
        False,
        True,
        None,
        None,
        None,
    ]


def test_value_flags_tell_unparseable_from_missing():
    raw = pd.Series(["12,5", "300,000", None], dtype="string", index=[7, 8, 9])
    flags = value_flags(raw, parse_numbers(raw))
    assert flags.index.tolist() == [7, 8, 9]
    assert flags.tolist() == ["parsed", "unparseable", "missing"]
