"""Login limits are shared by instances, keyed on the real client, and persist."""

from __future__ import annotations

from typing import Any

import pytest

from pyjang.cluster.services import LocalRedis
from tests.scaleout.conftest import Browser, instance_env

pytestmark = pytest.mark.slow

POLICY = "3/minute"  # a burst of 3 attempts, then 429


def attempts_until_limited(
    browser: Browser, urls: list[str], limit: int = 10, **headers: str
) -> int:
    for attempt in range(1, limit + 1):
        url = urls[attempt % len(urls)]
        response = browser.login(
            url, "victim@example.com", "wrong password here", **headers
        )
        if response.status_code == 429:
            assert int(response.headers["retry-after"]) >= 1
            assert "Too many attempts" in response.text
            return attempt
        assert response.status_code == 401
    raise AssertionError("never limited")


@pytest.mark.parametrize("store", ["redis", "db"])
def test_alternating_instances_share_one_count(
    store: str,
    servers: Any,
    make_browser: Any,
    fresh_postgres_url: str,
    local_redis: LocalRedis,
    browser: Browser,
) -> None:
    redis_url = local_redis.url if store == "redis" else None
    env = instance_env(fresh_postgres_url, redis_url, RATE_LIMIT_AUTH=POLICY)
    a = servers(env=env).start()
    single = attempts_until_limited(make_browser(), [a.url])
    b = servers(env=env).start()
    other_account = make_browser()
    shared = 0
    for attempt in range(1, 10):
        url = (a.url, b.url)[attempt % 2]
        status = other_account.login(
            url, f"other{store}@example.com", "wrong password x"
        ).status_code
        if status == 429:
            shared = attempt
            break
    assert single == 4
    assert shared == 1, "the client IP is already over the limit on both instances"
    del browser


def behind_proxy(servers: Any, database_url: str, redis: LocalRedis) -> Any:
    """Start an instance that trusts a balancer on loopback."""
    env = instance_env(
        database_url, redis.url, RATE_LIMIT_AUTH=POLICY, TRUSTED_PROXIES="127.0.0.1/32"
    )
    return servers(env=env).start()


def test_spoofed_forwarded_for_does_not_reset_the_count(
    servers: Any, make_browser: Any, fresh_postgres_url: str, local_redis: LocalRedis
) -> None:
    a = behind_proxy(servers, fresh_postgres_url, local_redis)
    browser = make_browser()
    real = "203.0.113.9"
    assert attempts_until_limited(browser, [a.url], **{"X-Forwarded-For": real}) == 4
    for spoof in ("198.51.100.1", "10.0.0.1", "garbage"):
        response = browser.login(
            a.url, "x@example.com", "wrong", **{"X-Forwarded-For": f"{spoof}, {real}"}
        )
        assert response.status_code == 429, spoof
    fresh = browser.login(
        a.url, "x@example.com", "wrong", **{"X-Forwarded-For": "203.0.113.10"}
    )
    assert fresh.status_code == 401, "another real client is not limited"


def test_the_count_survives_a_restart(
    servers: Any, make_browser: Any, fresh_postgres_url: str, local_redis: LocalRedis
) -> None:
    env = instance_env(fresh_postgres_url, local_redis.url, RATE_LIMIT_AUTH=POLICY)
    a = servers(env=env).start()
    browser = make_browser()
    for _ in range(3):
        assert (
            browser.login(a.url, "r@example.com", "wrong password").status_code == 401
        )
    assert a.stop() == 0
    again = servers(env=env, port=a.port).start()
    assert (
        browser.login(again.url, "r@example.com", "wrong password").status_code == 429
    )


def test_login_is_limited_per_account_across_ips(
    servers: Any, make_browser: Any, fresh_postgres_url: str, local_redis: LocalRedis
) -> None:
    a = behind_proxy(servers, fresh_postgres_url, local_redis)
    browser = make_browser()
    for index in range(3):
        ip = f"198.51.100.{index + 1}"
        response = browser.login(
            a.url, "target@example.com", "wrong", **{"X-Forwarded-For": ip}
        )
        assert response.status_code == 401
    response = browser.login(
        a.url, "TARGET@example.com", "wrong", **{"X-Forwarded-For": "198.51.100.99"}
    )
    assert response.status_code == 429, "many IPs against one account are limited"
