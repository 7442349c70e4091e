"""Two real instances sharing one PostgreSQL and one Redis act as one server."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest

from pyjang.cluster.services import LocalRedis
from tests.conftest import TEST_KEY
from tests.scaleout.conftest import Browser, instance_env

pytestmark = pytest.mark.slow

NEW_KEY = "rotated-session-key-abcdefghijklmnopqrstuvwxyz"


def pair(servers: Any, env: dict[str, str]) -> tuple[Any, Any]:
    first = servers(env={**env, "INSTANCE_ID": "a"}).start()
    second = servers(env={**env, "INSTANCE_ID": "b"}).start()
    return first, second


def test_register_on_a_and_use_b_then_logout_on_b(
    servers: Any, fresh_postgres_url: str, local_redis: LocalRedis, browser: Browser
) -> None:
    a, b = pair(servers, instance_env(fresh_postgres_url, local_redis.url))
    assert browser.register(a.url, "two@example.com").status_code == 303
    page = browser.get(f"{b.url}/dashboard")
    assert page.status_code == 200 and "two@example.com" in page.text
    assert 'id="instance-name">b<' in page.text
    old_cookies = dict(browser.cookies)
    assert browser.logout(b.url).status_code == 303
    browser.cookies = old_cookies
    assert browser.get(f"{a.url}/dashboard").status_code == 302, "logged out everywhere"


def test_key_rotation_across_instances(
    servers: Any, fresh_postgres_url: str, local_redis: LocalRedis, browser: Browser
) -> None:
    env = instance_env(fresh_postgres_url, local_redis.url)
    a, b = pair(servers, env)
    browser.register(a.url, "rotate@example.com")
    old_cookie = browser.cookies["session_id"]
    a.stop()
    rotated = {**env, "SESSION_KEY": NEW_KEY, "SESSION_KEY_FALLBACKS": TEST_KEY}
    a2 = servers(env={**rotated, "INSTANCE_ID": "a2"}).start()
    page = browser.get(f"{a2.url}/dashboard")
    assert page.status_code == 200, "a cookie signed with the old key still works"
    assert browser.cookies["session_id"] != old_cookie, "and is re-signed"
    assert browser.get(f"{b.url}/dashboard").status_code == 302, (
        "an instance that never learnt the new key treats the new cookie as unknown"
    )
    b.stop()
    b2 = servers(env={**rotated, "INSTANCE_ID": "b2"}).start()
    assert browser.get(f"{b2.url}/dashboard").status_code == 200
    keys = {browser.get(f"{s.url}/ready").json()["key_id"] for s in (a2, b2)}
    assert len(keys) == 1


def test_a_password_change_on_a_ends_the_session_on_b(
    servers: Any, make_browser: Any, fresh_postgres_url: str, local_redis: LocalRedis
) -> None:
    a, b = pair(servers, instance_env(fresh_postgres_url, local_redis.url))
    first, second = make_browser(), make_browser()
    first.register(a.url, "change@example.com")
    second.login(b.url, "change@example.com")
    assert second.get(f"{b.url}/dashboard").status_code == 200

    async def change_password() -> None:
        connection = await asyncpg.connect(fresh_postgres_url)
        await connection.execute(
            "UPDATE pyjang_users"
            " SET auth_version = auth_version + 1, password_hash = 'x'"
        )
        await connection.close()

    asyncio.run(change_password())
    assert second.get(f"{b.url}/dashboard").status_code == 302
    assert first.get(f"{a.url}/dashboard").status_code == 302


def test_the_db_store_on_postgres_shares_sessions_without_redis(
    servers: Any, fresh_postgres_url: str, browser: Browser
) -> None:
    a, b = pair(servers, instance_env(fresh_postgres_url, None))
    assert browser.get(f"{a.url}/ready").json()["checks"]["sessions"] == "ok"
    browser.register(a.url, "db@example.com")
    assert browser.get(f"{b.url}/dashboard").status_code == 200
