"""A ``limits`` storage in the app's SQL database, for sites without Redis.

The ``limits`` library ships Redis, Memcached, MongoDB and memory storages but
none for SQL; this one implements its async storage and sliding-window
interfaces over one table, so every instance shares the counts and they
survive restarts.
"""

from __future__ import annotations

import time
from typing import Any

from limits.aio.storage import SlidingWindowCounterSupport, Storage
from sqlalchemy import (
    Column,
    Float,
    Index,
    Integer,
    String,
    Table,
    case,
    delete,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from pyjang.database import Base

__all__ = ["SQLLimitStorage", "rate_limits_table"]

rate_limits_table = Table(
    "pyjang_rate_limits",
    Base.metadata,
    Column("key", String(255), primary_key=True),
    Column("count", Integer, nullable=False),
    Column("expires_at", Float(precision=53), nullable=False),
    Index("ix_pyjang_rate_limits_expires_at", "expires_at"),
)
_t = rate_limits_table


class SQLLimitStorage(Storage, SlidingWindowCounterSupport):
    """Counters with an expiry in ``pyjang_rate_limits``."""

    STORAGE_SCHEME = ["pyjang+sql"]

    def __init__(self, engine: AsyncEngine, **options: Any) -> None:
        super().__init__(None, wrap_exceptions=False)
        self._engine = engine
        self._insert = (
            postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
        )

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return (DBAPIError, OSError)

    async def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add ``amount`` to ``key``, starting a new window when it expired."""
        now = time.time()
        insert = self._insert(_t).values(key=key, count=amount, expires_at=now + expiry)
        expired = _t.c.expires_at <= now
        upsert = insert.on_conflict_do_update(
            index_elements=[_t.c.key],
            set_={
                "count": case(
                    (expired, insert.excluded.count), else_=_t.c.count + amount
                ),
                "expires_at": case(
                    (expired, insert.excluded.expires_at), else_=_t.c.expires_at
                ),
            },
        ).returning(_t.c.count)
        async with self._engine.begin() as conn:
            return int(await conn.scalar(upsert) or 0)

    async def decr(self, key: str, amount: int = 1) -> None:
        """Take back ``amount`` from ``key`` (a hit that lost a race)."""
        statement = _t.update().where(_t.c.key == key).values(count=_t.c.count - amount)
        async with self._engine.begin() as conn:
            await conn.execute(statement)

    async def get(self, key: str) -> int:
        """Return the live count under ``key`` (0 when missing or expired)."""
        return (await self._row(key))[0]

    async def get_expiry(self, key: str) -> float:
        """Return when ``key`` expires, as a Unix time."""
        count, expires_at = await self._row(key)
        return expires_at if count else time.time()

    async def _row(self, key: str) -> tuple[int, float]:
        query = select(_t.c.count, _t.c.expires_at).where(
            _t.c.key == key, _t.c.expires_at > time.time()
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return (int(row[0]), float(row[1])) if row else (0, 0.0)

    async def check(self) -> bool:
        """Return True when the table answers."""
        try:
            async with self._engine.connect() as conn:
                await conn.execute(select(_t.c.key).limit(1))
        except Exception:
            return False
        return True

    async def reset(self) -> int | None:
        """Delete every counter and return how many went."""
        async with self._engine.begin() as conn:
            return (await conn.execute(delete(_t))).rowcount

    async def clear(self, key: str) -> None:
        """Delete the counter under ``key``."""
        async with self._engine.begin() as conn:
            await conn.execute(delete(_t).where(_t.c.key == key))

    async def purge_expired(self) -> int:
        """Delete expired counters and return how many went."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                delete(_t).where(_t.c.expires_at <= time.time())
            )
        return result.rowcount

    def _window_keys(self, key: str, expiry: int, now: float) -> tuple[str, str]:
        window = int(now // expiry)
        return f"{key}/{window - 1}", f"{key}/{window}"

    async def acquire_sliding_window_entry(
        self, key: str, limit: int, expiry: int, amount: int = 1
    ) -> bool:
        """Count a hit unless the weighted count would pass ``limit``."""
        if amount > limit:
            return False
        previous, previous_ttl, current, _ = await self.get_sliding_window(key, expiry)
        if int(previous * previous_ttl / expiry + current) + amount > limit:
            return False
        _, current_key = self._window_keys(key, expiry, time.time())
        current = await self.incr(current_key, 2 * expiry, amount)
        if int(previous * previous_ttl / expiry + current) > limit:
            await self.decr(current_key, amount)  # a concurrent hit won the race
            return False
        return True

    async def get_sliding_window(
        self, key: str, expiry: int
    ) -> tuple[int, float, int, float]:
        """Return the previous and current windows' counts and time left."""
        now = time.time()
        previous_key, current_key = self._window_keys(key, expiry, now)
        window_end = (int(now // expiry) + 1) * expiry
        previous = await self.get(previous_key)
        current = await self.get(current_key)
        # The previous window weighs as much as the current one has left to run.
        previous_ttl = window_end - now if previous else 0.0
        return previous, previous_ttl, current, window_end + expiry - now

    async def clear_sliding_window(self, key: str, expiry: int) -> None:
        """Delete both windows of ``key``."""
        for window_key in self._window_keys(key, expiry, time.time()):
            await self.clear(window_key)
