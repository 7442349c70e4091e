"""The per-process objects every view and check shares, built from settings."""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass, field
from pathlib import Path

from starlette.requests import Request

from pyjang.database import Database
from pyjang.migrate import Migrator
from pyjang.ratelimits import AuthLimiter, build_limit_storage
from pyjang.sessions import SessionManager, Signer, key_fingerprint
from pyjang.sessions.stores import Purging, Store
from pyjang.sessions.stores.memory import MemoryStore
from pyjang.sessions.stores.redis import RedisStore, connect_redis
from pyjang.sessions.stores.sql import SQLStore
from pyjang.settings import Settings
from pyjang.templating import Templates

__all__ = ["Runtime", "begin_draining", "build_store", "is_draining", "runtime"]

logger = logging.getLogger(__name__)

PURGE_INTERVAL = 300.0
MIGRATION_POLL_INTERVAL = 2.0


def build_store(settings: Settings, database: Database) -> Store:
    """Return the session store ``SESSION_STORE`` names."""
    timeout = settings.session_store_timeout
    backend = settings.store_backend
    if backend == "memory":
        return MemoryStore()
    if backend == "redis":
        assert settings.redis_url is not None
        return RedisStore(
            connect_redis(settings.redis_url, timeout=timeout), timeout=timeout
        )
    return SQLStore(database.engine, timeout=timeout)


@dataclass
class Runtime:
    """Settings, database, session store and templates of one app instance."""

    settings: Settings
    database: Database
    store: Store
    sessions: SessionManager
    templates: Templates
    migrator: Migrator
    limiter: AuthLimiter
    migrated: asyncio.Event = field(default_factory=asyncio.Event)
    migration_error: str | None = None
    draining: bool = False
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @classmethod
    def build(
        cls, settings: Settings, templates: Templates, migrations: list[Path]
    ) -> Runtime:
        """Build every shared object from ``settings``; nothing connects yet."""
        database = Database(
            settings.database_url,
            pool_size=settings.database_pool_size,
            max_overflow=settings.database_max_overflow,
        )
        store = build_store(settings, database)
        manager = SessionManager(
            store,
            Signer(settings.signing_keys),
            lifetime=settings.session_lifetime,
            idle_timeout=settings.session_idle_timeout,
            secure=not settings.debug,
        )
        migrator = Migrator(database, extra_locations=migrations)
        limiter = AuthLimiter(
            build_limit_storage(settings, database.engine),
            settings.rate_limit_auth,
            timeout=settings.session_store_timeout,
        )
        return cls(settings, database, store, manager, templates, migrator, limiter)

    @property
    def key_id(self) -> str:
        """Return the fingerprint of the current ``SESSION_KEY``."""
        return key_fingerprint(self.settings.signing_keys[0])

    async def start(self) -> None:
        """Migrate (in the background when asked to) and start housekeeping."""
        if self.settings.auto_migrate:
            self.tasks.append(asyncio.create_task(self._migrate()))
        else:
            self.tasks.append(asyncio.create_task(self._await_migrations()))
        for purging in (self.store, self.limiter.storage):
            if isinstance(purging, Purging) and not isinstance(purging, MemoryStore):
                self.tasks.append(asyncio.create_task(self._purge_forever(purging)))

    async def _migrate(self) -> None:
        try:
            await self.migrator.upgrade()
        except Exception as error:
            self.migration_error = str(error)
            logger.error("%s", error)
            return
        self.migrated.set()

    async def _await_migrations(self) -> None:
        # Someone else migrates (`pyjang migrate`); stay unready until they have.
        while True:
            try:
                if not await self.migrator.pending():
                    self.migrated.set()
                    return
            except Exception as error:
                logger.warning("cannot read the schema version: %s", error)
            await asyncio.sleep(MIGRATION_POLL_INTERVAL)

    async def _purge_forever(self, store: Purging) -> None:
        await self.migrated.wait()
        while True:
            # Jitter spreads instances apart so they do not purge in step.
            await asyncio.sleep(PURGE_INTERVAL * random.uniform(0.5, 1.5))
            try:
                purged = await store.purge_expired()
            except Exception as error:
                logger.warning("session purge failed: %s", error)
                continue
            if purged:
                logger.info("purged %d expired sessions", purged)

    async def stop(self) -> None:
        """Cancel housekeeping and close the store and the database."""
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.store.close()
        await self.database.close()


def runtime(request: Request) -> Runtime:
    """Return the runtime of the app serving ``request``."""
    value: Runtime = request.app.state.runtime
    return value


_process = {"draining": False}


def begin_draining() -> None:
    """Mark this process as draining: ``/ready`` answers 503 from now on."""
    _process["draining"] = True


def is_draining() -> bool:
    """Return True once this process has started draining."""
    return _process["draining"]
