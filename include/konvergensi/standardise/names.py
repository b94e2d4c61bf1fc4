"""Person names to a normalised matching key (titles, degrees, old spellings, Muhammad variants).

The key is for comparing records, not for display.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import numpy as np
import pandas as pd

# Apostrophe-like characters are deleted so that `Ba'u`, `Ba’u` and `Bau` share one key.
_APOSTROPHES = dict.fromkeys(map(ord, "'`\u00b4\u2018\u2019\u201b\u02bb\u02bc\u02b9\u2032"), None)
_NON_ASCII_FOLD = str.maketrans({"ß": "SS", "Æ": "AE", "Ø": "O", "Đ": "D", "Ł": "L", "Œ": "OE",
                                 "Þ": "TH", "Ð": "D", "Ħ": "H", "Ŋ": "NG"})  # fmt: skip
_NOT_NAME = re.compile(r"[^A-Z.,]+")

# Pre-1972 spellings, rewritten to a fixed point. No left side overlaps another, so the
# rewriting is confluent: old and modern spellings of a name reach the same key.
_RESPELL = (("OE", "U"), ("DJ", "J"), ("TJ", "C"), ("NJ", "NY"), ("SJ", "SY"), ("CH", "KH"))
_RESPELL_TRIGGER = re.compile(r"OE|DJ|TJ|NJ|SJ|CH")


def _words(text: str) -> frozenset[str]:
    """Set of the space-separated words of `text` (keeps the word lists readable)."""
    return frozenset(text.split())


# Leading titles and salutations (compared after dots are removed and spellings rewritten).
TITLES: frozenset[str] = _words(
    "H HJ HAJI HAJJAH HAJAH KH BP BPK BAPAK IBU NY NYONYA SDR SDRI SAUDARA SAUDARI "
    "PDT PENDETA FR SR DRS DRA IR DR DRG PROF"
)
# Degree suffixes that are never name words: removed at the end of a name even without dots.
DEGREES: frozenset[str] = _words(
    "SPD SPDI SPDSD SPDK SSOS SKEP SKOM SPT SAG STH SKM SFARM SKED SPSI SSI SHUT STP SSTP "
    "SSTR SIKOM SKG SKEB SIKM SGZ SAP SHUM SLP SMB SAK SSN MPD MSI MKES MKOM MSC MBA MPH MKEP "
    "MSOS MTH MPDI MHUM MSN MKN MAP MAK AMD AMDKEB AMDKEP AMKEB AMKEP AMK AMG AMF AMPD AMAPD "
    "SPOG SPPD SPKK SPJP SPTHT SPKJ SPRAD SPAN SPBS"
)
# Short degrees that could be name words: removed only when written with dots or after a comma.
SHORT_DEGREES: frozenset[str] = _words(
    "SE SH ST SP SS SI SIP SHI SEI SN MM MA MT MH MAG SPA SPB SPM SPS"
)
MUHAMMAD_VARIANTS: frozenset[str] = _words(
    "MUH MOH MOKH MUKH MHD MUHD MOHD MOHAMAD MOHAMMAD MOHAMED MOHAMMED MOKHAMAD MOKHAMMAD "
    "MUHAMAD MUHAMMAD MUHAMED MUHAMMED MUKHAMAD MUKHAMMAD MUHAMAT MUHAMMAT"
)
ABDUL_VARIANTS: frozenset[str] = frozenset({"ABD"})
_KNOWN = TITLES | DEGREES | SHORT_DEGREES | MUHAMMAD_VARIANTS | ABDUL_VARIANTS


def _respell(text: str) -> str:
    """Apply the pre-1972 spelling rules until nothing changes."""
    while _RESPELL_TRIGGER.search(text):
        for old, new in _RESPELL:
            text = text.replace(old, new)
    return text


def _ascii_upper(name: str) -> str:
    """Upper-case ASCII: apostrophes deleted, accents stripped, other letters folded or dropped."""
    text = name.translate(_APOSTROPHES).upper()
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text.translate(_NON_ASCII_FOLD))
        text = text.encode("ascii", "ignore").decode("ascii").translate(_APOSTROPHES).upper()
    return text


def _tokens(text: str) -> list[tuple[str, bool, bool]]:
    """(word, written_with_dot, after_a_comma) from text holding only A-Z, dots, commas, spaces."""
    out: list[tuple[str, bool, bool]] = []
    for seg_no, segment in enumerate(text.split(",")):
        after_comma = seg_no > 0
        for raw in segment.split():
            compact = raw.replace(".", "")
            if not compact:
                continue
            if compact in _KNOWN or "." not in raw:
                out.append((compact, "." in raw, after_comma))
                continue
            parts = raw.split(".")
            for i, part in enumerate(parts):
                if part:
                    out.append((part, i < len(parts) - 1, after_comma))
    return out


def _is_degree(token: tuple[str, bool, bool]) -> bool:
    """A degree suffix: always for DEGREES, for SHORT_DEGREES only when dotted or after a comma."""
    word, dotted, after_comma = token
    return word in DEGREES or (word in SHORT_DEGREES and (dotted or after_comma))


def name_key(name: str | None) -> str | None:
    """Normalised matching form of a name (upper-case ASCII words), None when empty.

    Removes apostrophes, punctuation, digits, leading titles and trailing degrees; maps
    Muhammad and Abd. variants; rewrites pre-1972 spellings (oe, dj, tj, nj, sj, ch). The old
    `j` for `y` is NOT rewritten (it would break modern names), so `Jusuf` and `Yusuf` differ.
    A lone leading `M` is Muhammad only when written `M.`. Idempotent; never raises on text.
    """
    if not isinstance(name, str):
        return None
    text = _NOT_NAME.sub(" ", _ascii_upper(name))
    tokens = _tokens(_respell(text))
    if not tokens:
        return None
    if any(t[2] for t in tokens):
        kept = [t for t in tokens if not (t[2] and _is_degree(t))]
        tokens = kept or tokens[:1]
    while len(tokens) > 1 and _is_degree(tokens[-1]):
        tokens.pop()
    start = 0
    while len(tokens) - start > 1 and tokens[start][0] in TITLES:
        start += 1
    words = [t[0] for t in tokens[start:]]
    if len(words) > 1 and words[0] == "M" and tokens[start][1]:
        words[0] = "MUHAMMAD"
    return " ".join(
        "MUHAMMAD" if w in MUHAMMAD_VARIANTS else "ABDUL" if w in ABDUL_VARIANTS else w
        for w in words
    )


def name_tokens(key: str | None) -> list[str]:
    """Words of a name key (empty list for None)."""
    return key.split() if key else []


# Names recur across the chunks of a file and across files: remember the latest keys
# (about 25 MB at most) so each distinct name is normalised once.
_cached_name_key = lru_cache(maxsize=1 << 17)(name_key)


def standardise_names(raw: pd.Series) -> pd.Series:
    """`name_key` over a Series, computed once per distinct value; same index, `str` dtype."""
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    keys = [_cached_name_key(v) for v in uniques.tolist()]
    table = pd.array([*keys, None], dtype="str")
    return pd.Series(table.take(np.where(codes < 0, len(keys), codes)), index=raw.index)
