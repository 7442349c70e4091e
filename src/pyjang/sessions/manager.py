"""Load a request's session from its cookie and commit it when the view is done.

The commit rules are the session guarantees:

- a request that changed nothing writes nothing;
- a change is merged into the stored value with compare-and-set, so two
  requests that set different keys at the same time both win;
- a destroyed session stays destroyed: a slower request never writes it back;
- login and privilege changes move the data to a new token.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from typing import Any

from pyjang.errors import StoreError
from pyjang.sessions.session import Session
from pyjang.sessions.signing import Signer, new_token, token_digest
from pyjang.sessions.stores import Store

__all__ = ["SessionManager"]

logger = logging.getLogger(__name__)

COOKIE_NAME = "session_id"
MERGE_ATTEMPTS = 10
MERGE_BACKOFF = 0.002


def encode(created_at: float, data: dict[str, Any]) -> bytes:
    """Return the stored form of a session: compact, key-sorted JSON."""
    envelope = {"c": created_at, "d": data}
    return json.dumps(envelope, sort_keys=True, separators=(",", ":")).encode()


def decode(raw: bytes) -> tuple[float, dict[str, Any]]:
    """Return ``(created_at, data)``; raises ValueError for anything else."""
    envelope = json.loads(raw)
    if not isinstance(envelope, dict):
        raise ValueError("session envelope is not an object")
    created, data = envelope.get("c"), envelope.get("d")
    if not isinstance(created, int | float) or not isinstance(data, dict):
        raise ValueError("session envelope lacks its fields")
    return float(created), data


class SessionManager:
    """Turn cookies into sessions and sessions back into store writes."""

    def __init__(
        self,
        store: Store,
        signer: Signer,
        *,
        lifetime: float,
        idle_timeout: float,
        secure: bool,
        cookie_name: str = COOKIE_NAME,
    ) -> None:
        self.store = store
        self.signer = signer
        self.lifetime = lifetime
        self.idle_timeout = idle_timeout
        self.secure = secure
        self.cookie_name = cookie_name

    async def load(self, cookie: str | None) -> Session:
        """Return the session for ``cookie``, or a new empty one.

        A forged, malformed, unknown or expired cookie gives an empty session.
        Raises StoreError when the store fails; the cookie is then left alone.
        """
        if not cookie:
            return Session()
        verified = self.signer.verify(cookie)
        if verified is None:
            logger.warning("session cookie rejected: bad shape or signature")
            return Session()
        key = token_digest(verified.token)
        raw = await self.store.get(key, refresh=self.idle_timeout)
        if raw is None:
            return Session()
        try:
            created_at, data = decode(raw)
        except ValueError:
            logger.warning("session entry unreadable; starting a new session")
            return Session()
        if created_at + self.lifetime <= time.time():
            await self.store.delete(key)
            return Session()
        session = Session(
            data, token=verified.token, created_at=created_at, snapshot=raw
        )
        session.needs_resign = verified.needs_resign
        return session

    async def commit(self, session: Session, *, https: bool = False) -> str | None:
        """Write what the request changed; return a Set-Cookie value or None.

        The cookie is ``Secure`` in production, and in development too when
        the request itself came over HTTPS. Raises StoreError when the store
        fails.
        """
        secure = self.secure or https
        if session.destroyed:
            return await self._destroy(session, secure)
        if session.cycle_requested:
            return await self._cycle(session, secure)
        if not session.touched:
            return self._cookie(session, secure) if session.needs_resign else None
        if session.is_new:
            return await self._create(session, secure)
        await self._merge(session)
        return self._cookie(session, secure) if session.needs_resign else None

    async def _destroy(self, session: Session, secure: bool) -> str | None:
        if session.token is None:
            return None
        await self.store.delete(token_digest(session.token))
        return self._format("", 0, secure)

    async def _cycle(self, session: Session, secure: bool) -> str | None:
        old_token = session.token
        session.token, session.snapshot = None, None
        session.created_at = time.time()
        cookie = await self._create(session, secure)
        if old_token is not None:
            await self.store.delete(token_digest(old_token))
        return cookie or (self._format("", 0, secure) if old_token else None)

    async def _create(self, session: Session, secure: bool) -> str | None:
        if not session.data():
            return None
        raw = encode(session.created_at, session.data())
        for _ in range(MERGE_ATTEMPTS):
            token = new_token()
            if await self.store.add(token_digest(token), raw, self._ttl(session)):
                session.token, session.snapshot = token, raw
                return self._cookie(session, secure)
        raise StoreError(
            "could not allocate a session token; the store refuses new keys"
        )

    async def _merge(self, session: Session) -> None:
        assert session.token is not None and session.snapshot is not None
        raw = encode(session.created_at, session.data())
        if raw == session.snapshot:
            return
        _, original = decode(session.snapshot)
        current = session.data()
        changed = {
            k: v for k, v in current.items() if k not in original or original[k] != v
        }
        removed = original.keys() - current.keys()
        key, expected = token_digest(session.token), session.snapshot
        for attempt in range(MERGE_ATTEMPTS):
            created_at, stored = decode(expected)
            stored = {k: v for k, v in stored.items() if k not in removed} | changed
            merged = encode(created_at, stored)
            if await self.store.replace(
                key, merged, self._ttl(session), expected=expected
            ):
                session.snapshot = merged
                return
            latest = await self.store.get(key)
            if latest is None:
                return  # destroyed meanwhile: never revive it
            expected = latest
            # A little random back-off keeps racing writers from colliding again.
            await asyncio.sleep(random.uniform(0, MERGE_BACKOFF * (attempt + 1)))
        raise StoreError("the session changed under this request too many times")

    def _ttl(self, session: Session) -> float:
        remaining = session.created_at + self.lifetime - time.time()
        return max(1.0, min(self.idle_timeout, remaining))

    def _cookie(self, session: Session, secure: bool) -> str:
        assert session.token is not None
        max_age = int(max(1, session.created_at + self.lifetime - time.time()))
        return self._format(self.signer.sign(session.token), max_age, secure)

    def _format(self, value: str, max_age: int, secure: bool) -> str:
        flag = "; Secure" if secure else ""
        return (
            f"{self.cookie_name}={value}; Path=/; Max-Age={max_age}; HttpOnly; "
            f"SameSite=Lax{flag}"
        )
