"""The store contract, run against every store on a real server."""

from __future__ import annotations

import asyncio
import secrets

import pytest

from pyjang.database import Database
from pyjang.errors import StoreError
from pyjang.sessions.stores import Store
from pyjang.sessions.stores.redis import RedisStore, connect_redis
from pyjang.sessions.stores.sql import SQLStore

pytestmark = pytest.mark.anyio


def key() -> str:
    return secrets.token_hex(32)


async def test_missing_key_is_none(store: Store) -> None:
    assert await store.get(key()) is None
    assert await store.get(key(), refresh=60) is None


async def test_add_then_get_returns_the_bytes(store: Store) -> None:
    k, value = key(), bytes(range(256))
    assert await store.add(k, value, 60)
    assert await store.get(k) == value


async def test_add_refuses_an_existing_key(store: Store) -> None:
    k = key()
    assert await store.add(k, b"first", 60)
    assert not await store.add(k, b"second", 60)
    assert await store.get(k) == b"first"


async def test_replace_swaps_only_the_expected_value(store: Store) -> None:
    k = key()
    await store.add(k, b"v1", 60)
    assert not await store.replace(k, b"v2", 60, expected=b"other")
    assert await store.get(k) == b"v1"
    assert await store.replace(k, b"v2", 60, expected=b"v1")
    assert await store.get(k) == b"v2"


async def test_replace_never_revives_a_deleted_key(store: Store) -> None:
    k = key()
    await store.add(k, b"v1", 60)
    await store.delete(k)
    assert not await store.replace(k, b"v2", 60, expected=b"v1")
    assert await store.get(k) is None


async def test_delete_is_idempotent(store: Store) -> None:
    k = key()
    await store.add(k, b"v", 60)
    await store.delete(k)
    await store.delete(k)
    assert await store.get(k) is None


async def test_entries_expire(store: Store) -> None:
    k = key()
    await store.add(k, b"short", 0.5)
    await asyncio.sleep(0.8)
    assert await store.get(k) is None
    assert await store.add(k, b"again", 60), "an expired key counts as absent"


async def test_refresh_pushes_the_expiry(store: Store) -> None:
    k = key()
    await store.add(k, b"v", 1.0)
    await asyncio.sleep(0.5)
    assert await store.get(k, refresh=5.0) == b"v"
    await asyncio.sleep(0.8)
    assert await store.get(k) == b"v"


async def test_concurrent_replaces_have_one_winner(store: Store) -> None:
    k = key()
    await store.add(k, b"start", 60)
    attempts = [
        store.replace(k, f"v{i}".encode(), 60, expected=b"start") for i in range(10)
    ]
    results = await asyncio.gather(*attempts)
    assert sum(results) == 1
    winner = results.index(True)
    assert await store.get(k) == f"v{winner}".encode()


async def test_ping_answers(store: Store) -> None:
    await store.ping()


async def test_unreachable_redis_raises_store_error_in_time() -> None:
    client = connect_redis("redis://127.0.0.1:1/0", timeout=0.3)
    store = RedisStore(client, timeout=0.3)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(StoreError):
        await store.get(key())
    assert loop.time() - started < 2.0
    await store.close()


async def test_unreachable_database_raises_store_error_in_time() -> None:
    database = Database("postgresql://nobody@127.0.0.1:1/none")
    store = SQLStore(database.engine, timeout=0.3)
    with pytest.raises(StoreError):
        await store.get(key())
    await database.close()
