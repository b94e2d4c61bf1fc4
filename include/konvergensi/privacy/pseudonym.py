"""Keyed pseudonyms (HMAC-SHA256) for the analytics zone.

NIK structure is public, so an unkeyed hash could be reversed by enumeration. The key lives
outside code and data: an Airflow connection (`konvergensi_pseudonym_key`, password field) in
production, an environment variable or a local key file for the embedded demo.
"""

from __future__ import annotations

import hashlib
import hmac
import os

import pandas as pd

KEY_ENV = "KONVERGENSI_PSEUDONYM_KEY"
MIN_KEY_BYTES = 16


class MissingKeyError(RuntimeError):
    """No pseudonymisation key is configured."""


def check_key(key: str | bytes | None) -> bytes:
    """The key as bytes; refuse a missing or short key instead of publishing weak pseudonyms."""
    if not key:
        raise MissingKeyError(
            "no pseudonymisation key: set the Airflow connection konvergensi_pseudonym_key "
            f"(password = a random secret of at least {MIN_KEY_BYTES} bytes) or {KEY_ENV}"
        )
    raw = key.encode() if isinstance(key, str) else key
    if len(raw) < MIN_KEY_BYTES:
        raise MissingKeyError(f"pseudonymisation key is shorter than {MIN_KEY_BYTES} bytes")
    return raw


def key_from_env() -> bytes:
    """The key from the environment (used outside Airflow: CLI, tests, benchmarks)."""
    return check_key(os.environ.get(KEY_ENV))


def pseudonymise(values: pd.Series, key: bytes, prefix: str) -> pd.Series:
    """HMAC each distinct value once; same key and value give the same pseudonym."""
    unique = pd.Series(values.dropna().unique())
    mapped = unique.map(
        lambda v: prefix + hmac.new(key, str(v).encode(), hashlib.sha256).hexdigest()[:24]
    )
    return values.map(dict(zip(unique, mapped, strict=True)))
