"""One fixture, ``store``, parametrised over every store and database.

A new store joins the contract suite by adding one parameter here.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from pyjang.database import Database
from pyjang.migrate import Migrator
from pyjang.sessions.stores import Store
from pyjang.sessions.stores.memory import MemoryStore
from pyjang.sessions.stores.redis import RedisStore, connect_redis
from pyjang.sessions.stores.sql import SQLStore

STORES = ["memory", "sqlite", "postgres", "redis"]


async def _sql_store(url: str) -> tuple[SQLStore, Database]:
    database = Database(url)
    await Migrator(database).upgrade()
    return SQLStore(database.engine, timeout=2.0), database


@pytest.fixture(params=STORES)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """Yield a fresh, empty store of each kind."""
    kind = request.param
    database = None
    if kind == "memory":
        made: Store = MemoryStore()
    elif kind == "sqlite":
        made, database = await _sql_store(f"sqlite:///{tmp_path}/store.db")
    elif kind == "postgres":
        made, database = await _sql_store(request.getfixturevalue("postgres_url"))
    else:
        client = connect_redis(request.getfixturevalue("redis_url"), timeout=2.0)
        made = RedisStore(client, timeout=2.0, prefix=f"t{secrets.token_hex(4)}:")
    yield made
    await made.close()
    if database is not None:
        await database.close()
