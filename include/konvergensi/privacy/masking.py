"""Mask personal data before it reaches a log, an error message or an operator's report."""

from __future__ import annotations

import re

_DIGITS = re.compile(r"\d{12,}")


def mask_id(value: object) -> str:
    """Keep the region part of a NIK/KK (first 6 digits, public anyway) and hide the rest."""
    text = "" if value is None else str(value)
    if len(text) <= 6:
        return "*" * len(text)
    return text[:6] + "*" * (len(text) - 6)


def mask_name(value: object) -> str:
    """Keep the first letter of each word of a name."""
    text = "" if value is None else str(value)
    return " ".join(w[:1] + "*" * (len(w) - 1) for w in text.split())


def scrub(message: str) -> str:
    """Mask every run of 12 or more digits (a NIK, KK or mangled ID) in free text."""
    return _DIGITS.sub(lambda m: mask_id(m.group(0)), message)
