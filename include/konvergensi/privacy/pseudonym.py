"""Keyed pseudonyms (HMAC-SHA256) for the analytics zone.

NIK structure is public, so an unkeyed hash could be reversed by enumeration. The key lives
outside code and data: the Airflow connection `konvergensi_pseudonym_key` (password field), which
a secrets backend provides in production and konvergensi.keys fills from a local key file for
the embedded demo. The same key and id always give the same pseudonym, so pseudonyms stay stable
from one build to the next; a new key gives new pseudonyms everywhere (key_id tells which key a
snapshot was built with).
"""

from __future__ import annotations

import hashlib
import hmac

MIN_KEY_BYTES = 16
DIGEST_HEX_CHARS = 24  # 96 bits: no collision in practice even for every Indonesian resident
_BLOCK = 64  # SHA-256 block size in bytes


class MissingKeyError(RuntimeError):
    """No pseudonymisation key is configured."""


def check_key(key: str | bytes | None) -> bytes:
    """The key as bytes; refuse a missing or short key instead of publishing weak pseudonyms."""
    if not key:
        raise MissingKeyError(
            "no pseudonymisation key: set the Airflow connection konvergensi_pseudonym_key "
            f"(password = a random secret of at least {MIN_KEY_BYTES} bytes)"
        )
    raw = key.encode() if isinstance(key, str) else key
    if len(raw) < MIN_KEY_BYTES:
        raise MissingKeyError(f"pseudonymisation key is shorter than {MIN_KEY_BYTES} bytes")
    return raw


def key_id(key: bytes) -> str:
    """A public fingerprint of the key: tells whether two snapshots share pseudonyms."""
    return hmac.digest(check_key(key), b"konvergensi key id", hashlib.sha256).hex()[:12]


def key_parameters(key: bytes) -> dict[str, bytes]:
    """The key's HMAC pads, as the named parameters `$ipad` and `$opad` of pseudonym_sql."""
    key = check_key(key)
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    padded = key.ljust(_BLOCK, b"\0")
    return {
        "ipad": bytes(b ^ 0x36 for b in padded),
        "opad": bytes(b ^ 0x5C for b in padded),
    }


def pseudonym_sql(expression: str, prefix: str) -> str:
    """DuckDB SQL for `prefix` + HMAC-SHA256(key, `prefix:value`) of a text expression.

    The HMAC is spelled out (RFC 2104) so DuckDB computes it in parallel, without a Python
    loop; the key enters only as the parameters from key_parameters, never as SQL text. The
    prefix is part of the message, so a person and a household with the same id get unrelated
    pseudonyms.
    """
    if not prefix.isalpha():
        raise ValueError(f"pseudonym prefix must be letters, not {prefix!r}")
    inner = f"sha256($ipad || encode('{prefix}:' || {expression}))"
    return f"'{prefix}' || substr(sha256($opad || unhex({inner})), 1, {DIGEST_HEX_CHARS})"
