"""A store that is paused or stopped: 503 in time, cookie untouched, recovery."""

from __future__ import annotations

import time
from typing import Any

import httpx2
import pytest

from pyjang.cluster.services import LocalPostgres, LocalRedis
from tests.scaleout.conftest import Browser, instance_env

pytestmark = pytest.mark.slow

TIMEOUT = 0.5  # SESSION_STORE_TIMEOUT in instance_env
SLACK = 1.5


def timed_get(
    browser: Browser, url: str, **kwargs: Any
) -> tuple[httpx2.Response, float]:
    started = time.monotonic()
    response = browser.get(url, **kwargs)
    return response, time.monotonic() - started


def assert_unavailable(browser: Browser, base: str, failing: str) -> None:
    cookie = browser.cookies["session_id"]
    response, took = timed_get(browser, f"{base}/dashboard")
    assert response.status_code == 503
    assert took < TIMEOUT + SLACK, f"answered after {took:.2f}s"
    assert "briefly unavailable" in response.text
    assert "session_id" not in response.headers.get("set-cookie", "")
    assert browser.cookies["session_id"] == cookie
    fragment = browser.get(f"{base}/dashboard", headers={"HX-Request": "true"})
    assert fragment.status_code == 503 and "<html" not in fragment.text
    assert browser.get(f"{base}/health").status_code == 200
    ready = browser.get(f"{base}/ready")
    assert ready.status_code == 503
    body = ready.json()
    assert body["status"] == "unavailable" and failing in body["failed"]


def wait_recovered(
    browser: Browser, base: str, timeout: float = 15.0
) -> httpx2.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = browser.get(f"{base}/dashboard")
        if response.status_code != 503:
            return response
        time.sleep(0.2)
    raise AssertionError("never recovered")


@pytest.mark.parametrize("outage", ["pause", "stop"])
def test_redis_outage(
    outage: str,
    servers: Any,
    fresh_postgres_url: str,
    local_redis: LocalRedis,
    browser: Browser,
) -> None:
    server = servers(env=instance_env(fresh_postgres_url, local_redis.url)).start()
    browser.register(server.url, f"{outage}@example.com")
    local_redis.pause() if outage == "pause" else local_redis.stop()
    try:
        assert_unavailable(browser, server.url, "sessions")
    finally:
        local_redis.resume() if outage == "pause" else local_redis.start()
    page = wait_recovered(browser, server.url)
    assert page.status_code == 200, "still logged in: nothing was lost"
    assert browser.get(f"{server.url}/ready").status_code == 200


@pytest.mark.parametrize("outage", ["pause", "stop"])
def test_postgres_outage(
    outage: str, servers: Any, local_postgres: LocalPostgres, browser: Browser
) -> None:
    env = instance_env(local_postgres.url, None)
    server = servers(env=env).start()
    browser.register(server.url, f"pg-{outage}@example.com")
    local_postgres.pause() if outage == "pause" else local_postgres.stop()
    try:
        assert_unavailable(browser, server.url, "database")
    finally:
        local_postgres.resume() if outage == "pause" else local_postgres.start()
    page = wait_recovered(browser, server.url, timeout=30)
    assert page.status_code == 200
