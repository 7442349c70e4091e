"""Throwaway PostgreSQL and Redis servers, and a cookie-keeping HTTP client.

Instances run in production mode, so their cookies are ``Secure``; the
client keeps cookies itself and sends them over plain HTTP to loopback.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import httpx2
import pytest

from pyjang.cluster.services import LocalPostgres, LocalRedis, find_postgres_bin
from tests.conftest import STRONG_PASSWORD, TEST_KEY, require, require_binary


@pytest.fixture
def local_redis(tmp_path: Path) -> Iterator[LocalRedis]:
    """Yield a throwaway redis-server the test may pause or stop."""
    require_binary("redis-server")
    server = LocalRedis(tmp_path / "redis").start()
    yield server
    server.stop()


@pytest.fixture
def local_postgres(tmp_path: Path) -> Iterator[LocalPostgres]:
    """Yield a throwaway PostgreSQL cluster the test may pause or stop."""
    if find_postgres_bin() is None:
        require("PostgreSQL server", "initdb and pg_ctl are not installed")
    server = LocalPostgres(tmp_path / "pg").start()
    yield server
    server.stop(remove=True)


class Browser:
    """An HTTP client that keeps cookies the way a browser on HTTPS would."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}
        self.http = httpx2.Client(follow_redirects=False, timeout=10)

    def request(self, method: str, url: str, **kwargs: Any) -> httpx2.Response:
        headers = dict(kwargs.pop("headers", {}))
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = self.http.request(method, url, headers=headers, **kwargs)
        for header in response.headers.get_list("set-cookie"):
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response

    def get(self, url: str, **kwargs: Any) -> httpx2.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx2.Response:
        return self.request("POST", url, **kwargs)

    def token(self, url: str) -> str:
        match = re.search(r'name="csrf_token" value="([^"]+)"', self.get(url).text)
        assert match is not None, url
        return match.group(1)

    def register(
        self, base: str, email: str, password: str = STRONG_PASSWORD
    ) -> httpx2.Response:
        data = {"email": email, "password": password, "password_confirm": password}
        data["csrf_token"] = self.token(f"{base}/register")
        return self.post(f"{base}/register", data=data)

    def login(
        self, base: str, email: str, password: str = STRONG_PASSWORD, **headers: str
    ) -> httpx2.Response:
        data = {
            "email": email,
            "password": password,
            "csrf_token": self.token(f"{base}/login"),
        }
        return self.post(f"{base}/login", data=data, headers=headers)

    def logout(self, base: str) -> httpx2.Response:
        return self.post(
            f"{base}/logout", data={"csrf_token": self.token(f"{base}/dashboard")}
        )

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def browser() -> Iterator[Browser]:
    client = Browser()
    yield client
    client.close()


def instance_env(
    database_url: str, redis_url: str | None, **extra: str
) -> dict[str, str]:
    """Return the environment of a production instance on loopback."""
    env = {
        "SESSION_KEY": TEST_KEY,
        "DATABASE_URL": database_url,
        "HTTPS_REDIRECT": "false",
        "SHUTDOWN_DRAIN": "0.2s",
        "SESSION_STORE_TIMEOUT": "0.5s",
        "LOG_FORMAT": "json",
        **extra,
    }
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


@pytest.fixture
def make_browser() -> Iterator[Any]:
    """Return a factory of clients, all closed after the test."""
    made: list[Browser] = []

    def make() -> Browser:
        made.append(Browser())
        return made[-1]

    yield make
    for client in made:
        client.close()


@pytest.fixture
def local_sentinel(local_redis: LocalRedis, tmp_path: Path) -> Iterator[str]:
    """Yield a ``redis+sentinel://`` URL of a real Sentinel watching local_redis."""
    import subprocess

    from tests.conftest import free_port

    port = free_port()
    config = tmp_path / "sentinel.conf"
    config.write_text(
        f"port {port}\nbind 127.0.0.1\ndir {tmp_path}\n"
        f"sentinel monitor pyjangmaster 127.0.0.1 {local_redis.port} 1\n"
    )
    binary = require_binary("redis-server")
    process = subprocess.Popen(
        [binary, str(config), "--sentinel"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    from pyjang.cluster.services import wait_for_port

    wait_for_port(port, 10, process)
    yield f"redis+sentinel://127.0.0.1:{port}/pyjangmaster/0"
    process.terminate()
    process.wait(10)
