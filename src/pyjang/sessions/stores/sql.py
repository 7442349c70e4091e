"""A store in a table of the app's own database (SQLite or PostgreSQL)."""

from __future__ import annotations

import time
from collections.abc import Coroutine
from typing import Any, TypeVar

from sqlalchemy import (
    Column,
    Float,
    Index,
    LargeBinary,
    String,
    Table,
    delete,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql import Executable

from pyjang.database import Base
from pyjang.sessions.stores.guard import bounded

__all__ = ["SQLStore", "sessions_table"]

T = TypeVar("T")

sessions_table = Table(
    "pyjang_sessions",
    Base.metadata,
    Column("key", String(64), primary_key=True),
    Column("data", LargeBinary, nullable=False),
    Column("expires_at", Float(precision=53), nullable=False),
    Index("ix_pyjang_sessions_expires_at", "expires_at"),
)
_t = sessions_table

# Pushing the expiry forward is a write; skipping it while the entry still has
# at least this share of the idle timeout left keeps most reads to one SELECT.
REFRESH_SLACK = 0.1
MAX_REFRESH_SLACK = 60.0
PURGE_BATCH = 1000
PURGE_LOCK_ID = 0x70796A61  # "pyja": one instance purges at a time


class SQLStore:
    """Keep values in ``pyjang_sessions``; expired rows are purged in batches."""

    def __init__(self, engine: AsyncEngine, *, timeout: float = 1.0) -> None:
        self._engine = engine
        self._timeout = timeout
        self._is_postgres = engine.dialect.name == "postgresql"

    async def get(self, key: str, *, refresh: float | None = None) -> bytes | None:
        """Return the value under ``key``, or None when missing or expired."""
        return await self._bounded("get", self._get(key, refresh))

    async def _get(self, key: str, refresh: float | None) -> bytes | None:
        now = time.time()
        query = select(_t.c.data, _t.c.expires_at).where(
            _t.c.key == key, _t.c.expires_at > now
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
            if row is None:
                return None
            if refresh is not None and row.expires_at < now + refresh * (
                1 - REFRESH_SLACK
            ):
                push = (
                    update(_t)
                    .where(_t.c.key == key, _t.c.expires_at < now + refresh)
                    .values(expires_at=now + refresh)
                )
                await conn.execute(push)
                await conn.commit()
            return bytes(row.data)

    async def add(self, key: str, value: bytes, ttl: float) -> bool:
        """Write ``value`` under a new ``key``; False when the key exists."""
        return await self._bounded("add", self._add(key, value, ttl))

    async def _add(self, key: str, value: bytes, ttl: float) -> bool:
        now = time.time()
        stale = delete(_t).where(_t.c.key == key, _t.c.expires_at <= now)
        insert = _t.insert().values(key=key, data=value, expires_at=now + ttl)
        try:
            async with self._engine.begin() as conn:
                await conn.execute(stale)
                await conn.execute(insert)
        except IntegrityError:
            return False
        return True

    async def replace(
        self, key: str, value: bytes, ttl: float, *, expected: bytes
    ) -> bool:
        """Swap in ``value`` only if the stored value is ``expected``."""
        now = time.time()
        statement = (
            update(_t)
            .where(_t.c.key == key, _t.c.data == expected, _t.c.expires_at > now)
            .values(data=value, expires_at=now + ttl)
        )
        return await self._bounded("replace", self._changed(statement))

    async def delete(self, key: str) -> None:
        """Remove ``key``; a missing key is not an error."""
        await self._bounded("delete", self._changed(delete(_t).where(_t.c.key == key)))

    async def ping(self) -> None:
        """Return when the table answers a query."""
        await self._bounded("ping", self._ping())

    async def _ping(self) -> None:
        async with self._engine.connect() as conn:
            await conn.execute(select(_t.c.key).limit(1))

    async def _changed(self, statement: Executable) -> bool:
        async with self._engine.begin() as conn:
            result = await conn.execute(statement)
        return bool(result.rowcount == 1)

    async def _bounded(self, operation: str, work: Coroutine[Any, Any, T]) -> T:
        return await bounded("database", self._timeout, operation, work)

    async def close(self) -> None:
        """Leave the engine to its owner, the app's database."""

    async def purge_expired(self) -> int:
        """Delete up to one batch of expired rows and return how many went.

        On PostgreSQL an advisory lock lets only one instance purge at a time;
        the others skip the round instead of deleting the same rows.
        """
        expired = (
            select(_t.c.key).where(_t.c.expires_at <= time.time()).limit(PURGE_BATCH)
        )
        statement = delete(_t).where(_t.c.key.in_(expired))
        async with self._engine.begin() as conn:
            if self._is_postgres:
                locked = await conn.scalar(
                    text("SELECT pg_try_advisory_xact_lock(:id)"), {"id": PURGE_LOCK_ID}
                )
                if not locked:
                    return 0
            result = await conn.execute(statement)
        return result.rowcount
