"""Session guarantees, over every store: writes, rotation, keys, concurrency."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyjang.sessions import SessionManager, Signer
from pyjang.sessions.signing import token_digest
from pyjang.sessions.stores import Store
from pyjang.sessions.stores.memory import MemoryStore

pytestmark = pytest.mark.anyio

KEY = b"k" * 40
OLD_KEY = b"o" * 40


class CountingStore:
    """Wrap a store and count the calls made to it."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.calls: list[str] = []

    async def get(self, key: str, *, refresh: float | None = None) -> bytes | None:
        self.calls.append("get")
        return await self.inner.get(key, refresh=refresh)

    async def add(self, key: str, value: bytes, ttl: float) -> bool:
        self.calls.append("add")
        return await self.inner.add(key, value, ttl)

    async def replace(
        self, key: str, value: bytes, ttl: float, *, expected: bytes
    ) -> bool:
        self.calls.append("replace")
        return await self.inner.replace(key, value, ttl, expected=expected)

    async def delete(self, key: str) -> None:
        self.calls.append("delete")
        await self.inner.delete(key)

    async def ping(self) -> None:
        await self.inner.ping()

    async def close(self) -> None:
        await self.inner.close()


def manager(
    store: Store, *keys: bytes, lifetime: float = 3600, idle: float = 600
) -> SessionManager:
    return SessionManager(
        store, Signer(keys or (KEY,)), lifetime=lifetime, idle_timeout=idle, secure=True
    )


def cookie_value(set_cookie: str) -> str:
    return set_cookie.split(";", 1)[0].split("=", 1)[1]


async def start(m: SessionManager, **data: object) -> str:
    session = await m.load(None)
    session.update(data)
    header = await m.commit(session)
    assert header is not None
    return cookie_value(header)


async def test_an_untouched_new_session_writes_nothing(store: Store) -> None:
    counting = CountingStore(store)
    session = await manager(counting).load(None)
    assert await manager(counting).commit(session) is None
    assert counting.calls == []


async def test_the_cookie_is_flagged_and_the_store_keeps_a_digest(store: Store) -> None:
    m = manager(store)
    session = await m.load(None)
    session["cart"] = [1, 2]
    header = await m.commit(session)
    assert header is not None
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Secure" in header
    assert "Path=/" in header
    token = cookie_value(header).split(".")[0]
    assert await store.get(token) is None, "the raw token must not be a store key"
    assert await store.get(token_digest(token)) is not None


async def test_a_request_that_changes_nothing_writes_nothing(store: Store) -> None:
    m = manager(store)
    cookie = await start(m, a=1)
    counting = CountingStore(store)
    m2 = manager(counting)
    session = await m2.load(cookie)
    assert session["a"] == 1
    _ = dict(session)
    assert await m2.commit(session) is None
    assert counting.calls == ["get"], "one round trip: load and refresh together"


async def test_a_fallback_key_is_accepted_and_resigned(store: Store) -> None:
    cookie = await start(manager(store, OLD_KEY), user="u1")
    rotated = manager(store, KEY, OLD_KEY)
    session = await rotated.load(cookie)
    assert session["user"] == "u1"
    header = await rotated.commit(session)
    assert header is not None
    new_cookie = cookie_value(header)
    assert new_cookie != cookie
    assert (await manager(store, KEY).load(new_cookie))["user"] == "u1"


async def test_an_unknown_key_is_anonymous_without_a_lookup(store: Store) -> None:
    cookie = await start(manager(store, b"x" * 40), user="u1")
    counting = CountingStore(store)
    session = await manager(counting).load(cookie)
    assert dict(session) == {} and session.is_new
    assert counting.calls == []


async def test_destroy_deletes_and_is_never_revived(store: Store) -> None:
    m = manager(store)
    cookie = await start(m, user="u1")
    slow = await m.load(cookie)
    fast = await m.load(cookie)
    fast.destroy()
    header = await m.commit(fast)
    assert header is not None and "Max-Age=0" in header
    slow["late"] = "write"
    await m.commit(slow)
    assert dict(await m.load(cookie)) == {}


async def test_concurrent_changes_to_different_keys_both_survive(store: Store) -> None:
    m = manager(store)
    cookie = await start(m, base=0)
    sessions = [await m.load(cookie) for _ in range(6)]
    for index, session in enumerate(sessions):
        session[f"key{index}"] = index
    await asyncio.gather(*(m.commit(s) for s in sessions))
    final = dict(await m.load(cookie))
    assert final == {"base": 0, **{f"key{i}": i for i in range(6)}}


async def test_a_removed_key_stays_removed_beside_a_concurrent_change(
    store: Store,
) -> None:
    m = manager(store)
    cookie = await start(m, a=1, b=2)
    first, second = await m.load(cookie), await m.load(cookie)
    del first["a"]
    second["c"] = 3
    await asyncio.gather(m.commit(first), m.commit(second))
    assert dict(await m.load(cookie)) == {"b": 2, "c": 3}


async def test_cycle_moves_the_data_to_a_new_token(store: Store) -> None:
    m = manager(store)
    cookie = await start(m, cart=[1])
    session = await m.load(cookie)
    session.cycle()
    session["user"] = "u1"
    header = await m.commit(session)
    assert header is not None
    assert dict(await m.load(cookie)) == {}, "the old token is dead"
    assert dict(await m.load(cookie_value(header))) == {"cart": [1], "user": "u1"}


async def test_the_absolute_lifetime_ends_a_session(store: Store) -> None:
    m = manager(store, lifetime=1.0, idle=1.0)
    cookie = await start(m, a=1)
    assert (await m.load(cookie))["a"] == 1
    await asyncio.sleep(1.2)
    assert dict(await m.load(cookie)) == {}


async def test_the_idle_timeout_is_refreshed_by_use(store: Store) -> None:
    m = manager(store, lifetime=60, idle=1.0)
    cookie = await start(m, a=1)
    for _ in range(3):
        await asyncio.sleep(0.5)
        assert (await m.load(cookie))["a"] == 1
    await asyncio.sleep(1.3)
    assert dict(await m.load(cookie)) == {}


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.one_of(
        st.text(max_size=300),
        st.binary(max_size=300).map(lambda b: b.decode("latin-1")),
    )
)
async def test_garbage_cookies_give_an_empty_session(value: str) -> None:
    m = manager(MemoryStore())
    session = await m.load(value)
    assert dict(session) == {} and session.is_new


async def test_a_forged_signature_on_a_real_token_is_refused(store: Store) -> None:
    m = manager(store)
    cookie = await start(m, user="u1")
    token, signature = cookie.split(".")
    forged = f"{token}.{signature[::-1]}"
    assert dict(await m.load(forged)) == {}
