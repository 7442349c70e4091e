"""A store in a table of the app's own database (SQLite or PostgreSQL)."""

from __future__ import annotations

import time

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
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from pyjang.database import Base
from pyjang.sessions.stores.guard import guarded

__all__ = ["SQLStore", "sessions_table"]

sessions_table = Table(
    "pyjang_sessions",
    Base.metadata,
    Column("key", String(64), primary_key=True),
    Column("data", LargeBinary, nullable=False),
    Column("expires_at", Float(precision=53), nullable=False),
    Index("ix_pyjang_sessions_expires_at", "expires_at"),
)

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
        now = time.time()
        query = select(sessions_table.c.data, sessions_table.c.expires_at).where(
            sessions_table.c.key == key, sessions_table.c.expires_at > now
        )
        async with (
            guarded("database", self._timeout, "get"),
            self._engine.connect() as conn,
        ):
            row = (await conn.execute(query)).first()
            if row is None:
                return None
            if refresh is not None and row.expires_at < now + refresh * (
                1 - REFRESH_SLACK
            ):
                await self._push_expiry(conn, key, now + refresh)
            return bytes(row.data)

    async def _push_expiry(
        self, conn: AsyncConnection, key: str, expires_at: float
    ) -> None:
        statement = (
            update(sessions_table)
            .where(
                sessions_table.c.key == key, sessions_table.c.expires_at < expires_at
            )
            .values(expires_at=expires_at)
        )
        await conn.execute(statement)
        await conn.commit()

    async def add(self, key: str, value: bytes, ttl: float) -> bool:
        """Write ``value`` under a new ``key``; False when the key exists."""
        now = time.time()
        stale = delete(sessions_table).where(
            sessions_table.c.key == key, sessions_table.c.expires_at <= now
        )
        insert = sessions_table.insert().values(
            key=key, data=value, expires_at=now + ttl
        )
        async with guarded("database", self._timeout, "add"):
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
            update(sessions_table)
            .where(
                sessions_table.c.key == key,
                sessions_table.c.data == expected,
                sessions_table.c.expires_at > now,
            )
            .values(data=value, expires_at=now + ttl)
        )
        async with (
            guarded("database", self._timeout, "replace"),
            self._engine.begin() as conn,
        ):
            result = await conn.execute(statement)
        return result.rowcount == 1

    async def delete(self, key: str) -> None:
        """Remove ``key``; a missing key is not an error."""
        statement = delete(sessions_table).where(sessions_table.c.key == key)
        async with (
            guarded("database", self._timeout, "delete"),
            self._engine.begin() as conn,
        ):
            await conn.execute(statement)

    async def ping(self) -> None:
        """Return when the table answers a query."""
        async with (
            guarded("database", self._timeout, "ping"),
            self._engine.connect() as conn,
        ):
            await conn.execute(select(sessions_table.c.key).limit(1))

    async def close(self) -> None:
        """Leave the engine to its owner, the app's database."""

    async def purge_expired(self) -> int:
        """Delete up to one batch of expired rows and return how many went.

        On PostgreSQL an advisory lock lets only one instance purge at a time;
        the others skip the round instead of deleting the same rows.
        """
        expired = (
            select(sessions_table.c.key)
            .where(sessions_table.c.expires_at <= time.time())
            .limit(PURGE_BATCH)
        )
        statement = delete(sessions_table).where(sessions_table.c.key.in_(expired))
        async with self._engine.begin() as conn:
            if self._is_postgres:
                locked = await conn.scalar(
                    text("SELECT pg_try_advisory_xact_lock(:id)"), {"id": PURGE_LOCK_ID}
                )
                if not locked:
                    return 0
            result = await conn.execute(statement)
        return result.rowcount
