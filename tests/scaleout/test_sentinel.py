"""Sessions and rate limits through a real Redis Sentinel."""

from __future__ import annotations

from typing import Any

import pytest

from tests.scaleout.conftest import instance_env

pytestmark = pytest.mark.slow


def test_sessions_and_limits_through_sentinel(
    servers: Any, fresh_postgres_url: str, local_sentinel: str, make_browser: Any
) -> None:
    env = instance_env(fresh_postgres_url, local_sentinel, RATE_LIMIT_AUTH="2/minute")
    server = servers(env=env).start()
    browser = make_browser()
    assert browser.get(f"{server.url}/ready").json()["checks"]["sessions"] == "ok"
    assert browser.register(server.url, "sentinel@example.com").status_code == 303
    assert browser.get(f"{server.url}/dashboard").status_code == 200
    other = make_browser()
    assert other.login(server.url, "x@example.com", "wrong password").status_code == 401
    assert other.login(server.url, "x@example.com", "wrong password").status_code == 429
