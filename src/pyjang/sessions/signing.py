"""Sign session tokens with the current key and accept older ones.

A cookie value is ``<token>.<signature>``. The signature is an HMAC-SHA256 of
the token under ``SESSION_KEY``; a cookie signed with a key from
``SESSION_KEY_FALLBACKS`` still verifies and is reported as needing a new
signature. The store never sees the token itself, only :func:`token_digest`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Signer", "Verified", "key_fingerprint", "new_token", "token_digest"]

_LABEL = b"pyjang.session.v1:"
_FINGERPRINT_LABEL = b"pyjang key id"
_TOKEN_BYTES = 32
_COOKIE_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}$")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def new_token() -> str:
    """Return a fresh random session token (256 bits, URL-safe)."""
    return _b64(secrets.token_bytes(_TOKEN_BYTES))


def token_digest(token: str) -> str:
    """Return the store key for ``token``: its SHA-256, hex-encoded."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def key_fingerprint(key: bytes) -> str:
    """Return a short, non-reversible id of ``key`` for comparing instances."""
    return hmac.new(key, _FINGERPRINT_LABEL, hashlib.sha256).hexdigest()[:16]


@dataclass(frozen=True)
class Verified:
    """A token whose signature checked out, and whether to sign it anew."""

    token: str
    needs_resign: bool


class Signer:
    """Sign tokens with ``keys[0]``; verify against every key in ``keys``."""

    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise ValueError("at least one signing key is required")
        self._keys = list(keys)

    def sign(self, token: str) -> str:
        """Return the cookie value for ``token``."""
        return f"{token}.{self._signature(self._keys[0], token)}"

    def verify(self, value: str) -> Verified | None:
        """Return the token in ``value``, or None when malformed or forged."""
        if len(value) != 87 or _COOKIE_SHAPE.match(value) is None:
            return None
        token, signature = value.split(".")
        for index, key in enumerate(self._keys):
            if hmac.compare_digest(signature, self._signature(key, token)):
                return Verified(token, needs_resign=index > 0)
        return None

    @staticmethod
    def _signature(key: bytes, token: str) -> str:
        return _b64(hmac.digest(key, _LABEL + token.encode("ascii"), "sha256"))
