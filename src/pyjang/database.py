"""The SQLAlchemy engine, its connection pool and the declarative base.

``DATABASE_URL`` is written the way operators write it (``sqlite:///app.db``,
``postgres://user@host/db?sslmode=require``); :func:`engine_url` turns it into
the async driver URL SQLAlchemy needs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from sqlalchemy import event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection
from sqlalchemy.sql import Select
from sqlalchemy.util import greenlet_spawn

from pyjang.errors import ConfigError

__all__ = ["Base", "Database", "engine_url"]

SQLITE_BUSY_TIMEOUT_MS = 5000
MAX_COMPILED_STATEMENTS = 256
CLEANUP_SECONDS = 5.0


class Base(DeclarativeBase):
    """Declarative base of every pyjang model and of the user's own models."""


def engine_url(url: str) -> tuple[URL, dict[str, Any]]:
    """Return the async driver URL and its ``connect_args`` for ``url``.

    ``sslmode`` in a PostgreSQL URL becomes asyncpg's ``ssl`` argument.
    Raises :class:`ConfigError` for a URL that cannot be parsed.
    """
    try:
        parsed = make_url(url)
    except Exception:
        raise ConfigError(
            "invalid configuration: DATABASE_URL cannot be parsed"
        ) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite"), {}
    if backend in ("postgres", "postgresql"):
        query = dict(parsed.query)
        connect_args: dict[str, Any] = {}
        sslmode = query.pop("sslmode", None)
        if sslmode is not None:
            connect_args["ssl"] = sslmode if isinstance(sslmode, str) else sslmode[0]
        parsed = parsed.set(drivername="postgresql+asyncpg", query=query)
        return parsed, connect_args
    raise ConfigError(
        f"invalid configuration: DATABASE_URL backend {backend!r} is not supported"
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # WAL lets readers proceed while one writer commits; the busy timeout makes
    # a second process wait for the write lock instead of failing at once.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class Database:
    """Own one async engine and hand out ORM sessions and connections."""

    def __init__(self, url: str, *, pool_size: int = 5, max_overflow: int = 5) -> None:
        driver_url, connect_args = engine_url(url)
        self.url = driver_url
        self.is_sqlite = driver_url.get_backend_name() == "sqlite"
        options: dict[str, Any] = {"connect_args": connect_args, "pool_pre_ping": False}
        if not self.is_sqlite:
            options.update(pool_size=pool_size, max_overflow=max_overflow)
            options["pool_recycle"] = 1800
        self.engine: AsyncEngine = create_async_engine(driver_url, **options)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)
        # Same pool; a lone SELECT needs no BEGIN before it nor ROLLBACK after.
        self._autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self._connect_args = connect_args
        # Statements compiled once for fetch_row on PostgreSQL: the SQL, the
        # parameter names in order and the values bound in the statement.
        self._compiled: dict[Select[Any], tuple[str, tuple[str, ...], dict[str, Any]]]
        self._compiled = {}
        self._cleanups: set[asyncio.Task[None]] = set()

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """Yield an ORM session; commit is the caller's, rollback on error is ours."""
        async with self.sessionmaker() as session:
            yield session

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        """Yield a Core connection inside a transaction committed on success."""
        async with self.engine.begin() as connection:
            yield connection

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """Yield a Core connection in autocommit mode, for one-statement reads.

        Each statement is its own transaction, so nothing but the statement
        itself goes to the server. Use :meth:`connect` for anything that must
        see or write several statements atomically.
        """
        async with self._autocommit.connect() as connection:
            yield connection

    async def fetch_row(
        self, statement: Select[Any], params: Mapping[str, Any]
    ) -> Mapping[str, Any] | None:
        """Return the first row of a one-statement read by column name, or None.

        For the reads on every request (the logged-in user). On PostgreSQL the
        statement is compiled once and run on the pooled asyncpg connection
        itself, a prepared statement the driver keeps: SQLAlchemy's execution
        layer would cost more than the query. ``params`` fill the statement's
        bind parameters and go to the driver as they are (``uuid.UUID``,
        ``int``); a missing one is NULL. Expanding ``IN`` parameters raise
        ValueError. Cancelled mid-query, it lets go at once: the connection
        is dropped and the server told to end the statement.
        """
        if self.is_sqlite:
            async with self.read() as connection:
                result = await connection.execute(statement, dict(params))
                first: Mapping[str, Any] | None = result.mappings().first()
                return first
        sql, args = self._arguments(statement, params)
        return await self._fetch_once(sql, args, repeat_if_dropped=True)

    async def _fetch_once(
        self, sql: str, args: list[Any], *, repeat_if_dropped: bool
    ) -> Mapping[str, Any] | None:
        pooled = await self.engine.raw_connection()
        driver = pooled.driver_connection
        assert driver is not None
        try:
            row: Mapping[str, Any] | None = await driver.fetchrow(sql, *args)
        except BaseException as error:
            await self._release_failed(pooled, driver, error)
            # A pooled connection the server had dropped (a restart, a
            # failover): the read is safe to repeat, once, on a new one.
            dropped = isinstance(error, Exception) and driver.is_closed()
            if repeat_if_dropped and dropped:
                return await self._fetch_once(sql, args, repeat_if_dropped=False)
            raise
        # Check-in may close an overflow connection, which awaits the driver.
        await greenlet_spawn(pooled.close)
        return row

    def _arguments(
        self, statement: Select[Any], params: Mapping[str, Any]
    ) -> tuple[str, list[Any]]:
        compiled = self._compiled.get(statement)
        if compiled is None:
            done = statement.compile(dialect=self.engine.dialect)
            if done.post_compile_params:
                raise ValueError("fetch_row takes no expanding IN parameters")
            names = tuple(done.positiontup or ())
            compiled = (done.string, names, dict(done.params))
            if len(self._compiled) >= MAX_COMPILED_STATEMENTS:
                self._compiled.clear()  # statements built per call: do not hoard
            self._compiled[statement] = compiled
        sql, names, values = compiled
        return sql, [params[n] if n in params else values[n] for n in names]

    async def _release_failed(
        self, pooled: PoolProxiedConnection, driver: Any, error: BaseException
    ) -> None:
        if isinstance(error, asyncpg.PostgresError | asyncpg.DataError) and not (
            driver.is_closed()
        ):
            # The statement failed; the connection is as good as before.
            await greenlet_spawn(pooled.close)
            return
        # Broken, timed out or cancelled mid-query: never pool it again.
        # Outside a greenlet the driver connection is terminated at once
        # rather than closed politely, so a frozen server holds up nothing.
        backend = driver.get_server_pid()
        pooled.invalidate(error)
        if isinstance(error, asyncio.CancelledError):
            task = asyncio.get_running_loop().create_task(self._end_backend(backend))
            self._cleanups.add(task)
            task.add_done_callback(self._cleanups.discard)

    async def _end_backend(self, backend: int) -> None:
        # The server may still run the abandoned statement (waiting on a lock,
        # say) until it next writes to the dropped socket; a backend left per
        # timeout would pile up towards max_connections. End it, if the server
        # answers within a few seconds; on a frozen one nothing can.
        dsn = self.url.set(drivername="postgresql").render_as_string(
            hide_password=False
        )
        try:
            connection = await asyncpg.connect(
                dsn, timeout=CLEANUP_SECONDS, **self._connect_args
            )
        except Exception:  # best effort; the server is unwell
            return
        try:
            await connection.execute(
                "SELECT pg_terminate_backend($1)", backend, timeout=CLEANUP_SECONDS
            )
        except Exception:  # noqa: S110 - best effort, as above
            pass
        finally:
            connection.terminate()

    async def ping(self) -> float:
        """Run ``SELECT 1`` and return the seconds it took; raises on failure."""
        started = time.perf_counter()
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return time.perf_counter() - started

    async def close(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()
