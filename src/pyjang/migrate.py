"""Apply and create migrations, safely when many instances start at once.

Migrations run under a lock: a PostgreSQL advisory lock, or a file lock next
to a SQLite database. The first instance migrates; the others wait for the
lock, find nothing pending and go on. Each revision runs in its own
transaction, so a migration killed half-way leaves the previous revision in
place and the next instance finishes the work.
"""

from __future__ import annotations

import fcntl
import importlib
import logging
import os
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from pyjang.database import Base, Database
from pyjang.errors import MigrationError

__all__ = ["Migrator", "target_metadata"]

logger = logging.getLogger(__name__)

ADVISORY_LOCK_ID = 0x70796A6D  # "pyjm"
PACKAGE_VERSIONS = Path(__file__).parent / "migrations" / "versions"
MODEL_MODULES = [
    "pyjang.models",
    "pyjang.sessions.stores.sql",
    "pyjang.ratelimit_storage",
]


def target_metadata() -> MetaData:
    """Return the metadata of every model module imported so far."""
    for module in MODEL_MODULES:
        importlib.import_module(module)
    return Base.metadata


class Migrator:
    """Bring ``database`` to the newest revision of every version folder."""

    def __init__(
        self, database: Database, *, extra_locations: Sequence[Path] = ()
    ) -> None:
        self.database = database
        self.locations = [PACKAGE_VERSIONS, *extra_locations]

    def config(self, connection: Connection | None = None) -> Config:
        """Return an Alembic config over the package's and the app's folders."""
        config = Config()
        config.set_main_option(
            "script_location", str(Path(__file__).parent / "migrations")
        )
        config.set_main_option(
            "version_locations", " ".join(str(p) for p in self.locations)
        )
        config.set_main_option("path_separator", "space")
        config.attributes["connection"] = connection
        return config

    def heads(self) -> set[str]:
        """Return the newest revision of each branch."""
        return set(ScriptDirectory.from_config(self.config()).get_heads())

    async def pending(self) -> bool:
        """Return True while the database lacks a revision the code has."""
        async with self.database.engine.connect() as conn:
            current = await conn.run_sync(
                lambda sync: set(MigrationContext.configure(sync).get_current_heads())
            )
        return current != self.heads()

    async def upgrade(self) -> None:
        """Apply pending revisions under the lock; raise MigrationError on failure."""
        try:
            async with self._lock() as conn:
                await conn.run_sync(self._upgrade)
                await conn.commit()
        except MigrationError:
            raise
        except Exception as error:
            message = f"migrations failed: {type(error).__name__}: {error}"
            raise MigrationError(message) from error

    def _upgrade(self, connection: Connection) -> None:
        current = set(MigrationContext.configure(connection).get_current_heads())
        if current == self.heads():
            return
        logger.info(
            "applying migrations from %s", sorted(current) or "an empty database"
        )
        command.upgrade(self.config(connection), "heads")
        logger.info("migrations applied; now at %s", sorted(self.heads()))

    @asynccontextmanager
    async def _lock(self) -> AsyncIterator[AsyncConnection]:
        if self.database.is_sqlite:
            async with self._file_lock(), self.database.engine.connect() as conn:
                yield conn
            return
        lock = text("SELECT pg_advisory_lock(:id)")
        unlock = text("SELECT pg_advisory_unlock(:id)")
        async with self.database.engine.connect() as conn:
            await conn.execute(lock, {"id": ADVISORY_LOCK_ID})
            await conn.commit()
            try:
                yield conn
            finally:
                await conn.rollback()
                await conn.execute(unlock, {"id": ADVISORY_LOCK_ID})
                await conn.commit()

    @asynccontextmanager
    async def _file_lock(self) -> AsyncIterator[None]:
        path = self.database.url.database
        if not path or path == ":memory:":
            yield
            return
        descriptor = os.open(f"{path}.migrate.lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            # flock blocks; a thread keeps the event loop answering /ready.
            await anyio.to_thread.run_sync(fcntl.flock, descriptor, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
            os.close(descriptor)

    async def make(self, message: str, *, directory: Path | None = None) -> str | None:
        """Write a revision autogenerated from the models; return its path."""
        await self.upgrade()
        async with self.database.engine.connect() as conn:
            script = await conn.run_sync(self._revision, message, directory)
        return script

    def _revision(
        self, connection: Connection, message: str, directory: Path | None
    ) -> str | None:
        folder = directory or self.locations[-1]
        revision = command.revision(
            self.config(connection),
            message=message,
            autogenerate=True,
            version_path=str(folder),
        )
        scripts = revision if isinstance(revision, list) else [revision]
        return scripts[0].path if scripts and scripts[0] is not None else None
