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
PACKAGE_BRANCH = "pyjang"
APP_BRANCH = "app"
PACKAGE_VERSIONS = Path(__file__).parent / "migrations" / "versions"
MODEL_MODULES = [
    "pyjang.models",
    "pyjang.sessions.stores.sql",
    "pyjang.ratelimit_storage",
    "pyjang.posts",
    "pyjang.admin.audit",
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
            return not await conn.run_sync(self._is_current)

    def _is_current(self, connection: Connection) -> bool:
        # A revision another depends on may be recorded only through its
        # dependant, so compare everything applied, not the rows themselves.
        current = MigrationContext.configure(connection).get_current_heads()
        if not current:
            return not self.heads()
        scripts = ScriptDirectory.from_config(self.config())
        applied = {rev.revision for rev in scripts.iterate_revisions(current, "base")}
        return self.heads() <= applied

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
        if self._is_current(connection):
            return
        current = MigrationContext.configure(connection).get_current_heads()
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
        """Write a revision autogenerated from the models; return its path.

        Returns None when the models match the database. A revision in an
        app's own folder goes on that app's branch, which starts on top of
        pyjang's revisions.
        """
        await self.upgrade()
        async with self.database.engine.connect() as conn:
            script = await conn.run_sync(self._revision, message, directory)
        return script

    def _revision(
        self, connection: Connection, message: str, directory: Path | None
    ) -> str | None:
        folder = directory or self.locations[-1]
        config = self.config(connection)
        options: dict[str, object] = {"head": f"{PACKAGE_BRANCH}@head"}
        if folder.resolve() != PACKAGE_VERSIONS.resolve():
            options = self._app_branch(config, folder)
        revision = command.revision(
            config,
            message=message,
            autogenerate=True,
            version_path=str(folder),
            **options,  # type: ignore[arg-type]
        )
        scripts = revision if isinstance(revision, list) else [revision]
        return scripts[0].path if scripts and scripts[0] is not None else None

    def _app_branch(self, config: Config, folder: Path) -> dict[str, object]:
        label = APP_BRANCH
        scripts = ScriptDirectory.from_config(config)
        if any(label in (rev.branch_labels or ()) for rev in scripts.walk_revisions()):
            return {"head": f"{label}@head"}
        package_heads = [
            rev.revision
            for rev in scripts.walk_revisions()
            if rev.is_head and PACKAGE_BRANCH in _labels(scripts, rev.revision)
        ]
        return {"head": "base", "branch_label": label, "depends_on": package_heads}


def _labels(scripts: ScriptDirectory, revision: str) -> set[str]:
    labels: set[str] = set()
    for rev in scripts.iterate_revisions(revision, "base"):
        labels.update(rev.branch_labels or ())
    return labels
