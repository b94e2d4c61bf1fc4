"""Name keys: exact outcomes per rule, plus idempotence and no-raise properties.

Names are made up from common given names and NTT clan names; none is a real record.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from konvergensi.standardise.names import name_key, name_tokens, standardise_names

PROP = settings(max_examples=200, deadline=None)


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        # case, accents, whitespace, punctuation
        ("  yohanes   benu ", "YOHANES BENU"),
        ("José Müller", "JOSE MULLER"),
        ("Maria Tefa-Selan", "MARIA TEFA SELAN"),
        ("Yohanes (Benu)", "YOHANES BENU"),
        ("1. Yohanes Benu", "YOHANES BENU"),
        # apostrophes, straight and curly, are removed
        ("Ba'u", "BAU"),
        ("Ba’u", "BAU"),
        ("Ba‘u", "BAU"),
        ("Maria Ba`u", "MARIA BAU"),
        # initials are kept as single letters
        ("YOHANES BENU.Z", "YOHANES BENU Z"),
        ("Yohanes B. Tefa", "YOHANES B TEFA"),
        # titles and salutations
        ("H. Ahmad Selan", "AHMAD SELAN"),
        ("Hj. Siti Aminah", "SITI AMINAH"),
        ("Bpk Yohanes Kase", "YOHANES KASE"),
        ("Bpk.Yohanes Kase", "YOHANES KASE"),
        ("Bapak Yohanes Kase", "YOHANES KASE"),
        ("Ibu Maria Taneo", "MARIA TANEO"),
        ("Ny. Maria Taneo", "MARIA TANEO"),
        ("Nyonya Maria Taneo", "MARIA TANEO"),
        ("Sdr. Petrus Bani", "PETRUS BANI"),
        ("Sdri. Agustina Bani", "AGUSTINA BANI"),
        ("Pdt. Petrus Nubatonis", "PETRUS NUBATONIS"),
        ("Fr. Petrus Nubatonis", "PETRUS NUBATONIS"),
        ("Sr. Maria Nenobais", "MARIA NENOBAIS"),
        ("Drs. Petrus Tanesib", "PETRUS TANESIB"),
        ("Dra. Maria Tanesib", "MARIA TANESIB"),
        ("Ir. Petrus Tanesib", "PETRUS TANESIB"),
        ("dr. Maria Tanesib", "MARIA TANESIB"),
        ("Prof. Dr. Ir. H. Petrus Tanesib", "PETRUS TANESIB"),
        # degree suffixes, before and after a comma
        ("Maria Tefa, S.Pd.", "MARIA TEFA"),
        ("Maria Tefa S.Pd", "MARIA TEFA"),
        ("Maria Tefa SPd", "MARIA TEFA"),
        ("Maria Tefa, S.E.", "MARIA TEFA"),
        ("Maria Tefa S.E.", "MARIA TEFA"),
        ("Maria Tefa, SE", "MARIA TEFA"),
        ("Petrus Selan, S.H.", "PETRUS SELAN"),
        ("Petrus Selan, S.Sos", "PETRUS SELAN"),
        ("Petrus Selan S.Kep.", "PETRUS SELAN"),
        ("Petrus Selan, S.Kom", "PETRUS SELAN"),
        ("Petrus Selan, S.T.", "PETRUS SELAN"),
        ("Petrus Selan, S.Pt", "PETRUS SELAN"),
        ("Petrus Selan, S.P.", "PETRUS SELAN"),
        ("Petrus Selan, M.Si.", "PETRUS SELAN"),
        ("Petrus Selan, M.M.", "PETRUS SELAN"),
        ("Petrus Selan, A.Md.", "PETRUS SELAN"),
        ("Petrus Selan, S.Ag", "PETRUS SELAN"),
        ("Petrus Selan, S.Th.", "PETRUS SELAN"),
        ("Drs. Petrus Selan, S.Pd., M.Pd.", "PETRUS SELAN"),
        # short degrees without dots or comma may be name words: kept
        ("Petrus Selan SE", "PETRUS SELAN SE"),
        # pre-1972 spellings
        ("Soekarno", "SUKARNO"),
        ("Djoko", "JOKO"),
        ("Tjipto", "CIPTO"),
        ("Njoman", "NYOMAN"),
        ("Sjarif", "SYARIF"),
        ("Chairul", "KHAIRUL"),
        # the old j for y is deliberately not rewritten
        ("Jusuf", "JUSUF"),
        ("Yohanes", "YOHANES"),
        # Muhammad and Abdul variants
        ("M. Yusuf", "MUHAMMAD YUSUF"),
        ("M.Yusuf", "MUHAMMAD YUSUF"),
        ("M Yusuf", "M YUSUF"),
        ("Yusuf M.", "YUSUF M"),
        ("Muh. Yusuf", "MUHAMMAD YUSUF"),
        ("Moh Yusuf", "MUHAMMAD YUSUF"),
        ("Moch. Yusuf", "MUHAMMAD YUSUF"),
        ("Mochammad Yusuf", "MUHAMMAD YUSUF"),
        ("Mohamad Yusuf", "MUHAMMAD YUSUF"),
        ("Muhamad Yusuf", "MUHAMMAD YUSUF"),
        ("Mohammad Yusuf", "MUHAMMAD YUSUF"),
        ("Muhammad Yusuf", "MUHAMMAD YUSUF"),
        ("Mhd Yusuf", "MUHAMMAD YUSUF"),
        ("H. M. Yusuf", "MUHAMMAD YUSUF"),
        ("Abd. Rahman", "ABDUL RAHMAN"),
        ("Abd Rahman", "ABDUL RAHMAN"),
        # a title alone is kept rather than emptied
        ("Ibu", "IBU"),
        # empty
        ("", None),
        ("   ", None),
        ("...", None),
        (None, None),
    ],
)
def test_name_key(raw, key):
    assert name_key(raw) == key


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("Pandjaitan", "Panjaitan"),
        ("Soeharto", "Suharto"),
        ("Tjokro", "Cokro"),
        ("Sjamsoeddin", "Syamsuddin"),
        ("Njai", "Nyai"),
        ("Achmad", "Akhmad"),
    ],
)
def test_old_and_new_spellings_share_a_key(old, new):
    assert name_key(old) == name_key(new)


def test_name_tokens():
    assert name_tokens("YOHANES BENU Z") == ["YOHANES", "BENU", "Z"]
    assert name_tokens("") == []
    assert name_tokens(None) == []


def test_standardise_names_keeps_index_and_maps_values():
    raw = pd.Series(["Ba'u", None, "M. Yusuf", "Ba'u", "  "], index=[9, 8, 7, 9, 5])
    out = standardise_names(raw)
    assert out.index.equals(raw.index)
    assert out.iloc[[0, 2, 3]].tolist() == ["BAU", "MUHAMMAD YUSUF", "BAU"]
    assert out.iloc[[1, 4]].isna().all()


def test_standardise_names_empty():
    assert len(standardise_names(pd.Series([], dtype="str"))) == 0


_PIECES = st.sampled_from(
    [
        "H.", "Hj", "Ibu", "Ny.", "M.", "M", "Moch.", "Abd.", "Drs.", "dr.", ",", ", S.Pd.", "S.E.",
        "SE", "SPd", ".", "'", "’", "-", "Yohanes", "Benu", "Ba'u", "Soekarno", "Djoko", "NJ",
        "Tjahjo", "Sjarif", "Chairul", "Z", "oe", "dj", "é", "ß", "Œ", "１", "ﬁ", "  ",
    ]
)  # fmt: skip
name_like = st.one_of(
    st.text(max_size=40),
    st.lists(_PIECES, max_size=10).map(" ".join),
    st.lists(_PIECES, max_size=10).map("".join),
)


@PROP
@given(name_like)
def test_name_key_is_idempotent_and_never_raises(raw):
    key = name_key(raw)
    if key is not None:
        assert key == key.strip() and "  " not in key
        assert all(c == " " or "A" <= c <= "Z" for c in key)
        assert name_key(key) == key


@PROP
@given(st.lists(st.one_of(name_like, st.none()), max_size=20))
def test_standardise_names_matches_name_key(values):
    raw = pd.Series(values, index=[i * 3 for i in range(len(values))], dtype=object)
    out = standardise_names(raw)
    assert out.index.equals(raw.index) and len(out) == len(raw)
    assert [None if pd.isna(v) else v for v in out] == [name_key(v) for v in values]
