"""Shared fixtures: clean settings, real PostgreSQL and Redis, in-process apps.

A test that needs PostgreSQL or Redis skips when the service is missing,
unless PYJANG_REQUIRE_SERVICES=1 (as in CI), where a missing service fails.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx2
import pytest
from starlette.testclient import TestClient

from pyjang import create_app
from pyjang.settings import Settings, load_settings

PG_ADMIN_URL = os.environ.get(
    "PYJANG_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test"
)
REDIS_TEST_URL = os.environ.get("PYJANG_TEST_REDIS", "redis://127.0.0.1:6379/9")
TEST_KEY = "test-session-key-0123456789abcdef0123456789"
SETTING_NAMES = {name.upper() for name in Settings.model_fields}


def require(service: str, reason: str) -> None:
    """Skip (or, with PYJANG_REQUIRE_SERVICES=1, fail) for a missing service."""
    message = f"{service} unavailable: {reason}"
    if os.environ.get("PYJANG_REQUIRE_SERVICES") == "1":
        pytest.fail(message)
    pytest.skip(message)


def require_binary(name: str) -> str:
    """Return the path of ``name`` or skip/fail as :func:`require` does."""
    path = shutil.which(name) or (
        f"/usr/sbin/{name}" if Path(f"/usr/sbin/{name}").exists() else None
    )
    if path is None:
        require(name, f"`{name}` is not installed")
    assert path is not None
    return path


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Run every test in its own folder with no pyjang variables set."""
    for name in list(os.environ):
        if name in SETTING_NAMES or name == "PYJANG_APP":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _pg_admin(statement: str) -> None:
    """Run one statement on the admin database, from any thread or loop."""
    import asyncpg

    async def run() -> None:
        connection = await asyncpg.connect(PG_ADMIN_URL, timeout=3)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """Return the URL of a fresh PostgreSQL database, dropped afterwards."""
    name = f"pyjang_test_{secrets.token_hex(4)}"
    try:
        _pg_admin(f'CREATE DATABASE "{name}"')
    except Exception as error:
        require("PostgreSQL", f"{PG_ADMIN_URL}: {type(error).__name__}: {error}")
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def fresh_postgres_url() -> Iterator[str]:
    """Return the URL of an empty PostgreSQL database for one test."""
    name = f"pyjang_t_{secrets.token_hex(4)}"
    try:
        _pg_admin(f'CREATE DATABASE "{name}"')
    except Exception as error:
        require("PostgreSQL", f"{PG_ADMIN_URL}: {type(error).__name__}: {error}")
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def redis_url() -> str:
    """Return the URL of the test Redis database (db 9 of the local server)."""
    import redis

    try:
        redis.Redis.from_url(REDIS_TEST_URL, socket_timeout=2).ping()
    except Exception as error:
        require("Redis", f"{REDIS_TEST_URL}: {type(error).__name__}: {error}")
    return REDIS_TEST_URL


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Return a factory of production-like settings on a private SQLite file."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "session_key": TEST_KEY,
            "database_url": f"sqlite:///{tmp_path}/app.db",
            "allowed_hosts": "testserver,localhost,127.0.0.1",
            "log_format": "text",
        }
        values.update(overrides)
        return load_settings(**values)

    return make


def wait_ready(client: TestClient, timeout: float = 15.0) -> None:
    """Poll ``/ready`` until it answers 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if client.get("/ready").status_code == 200:
            return
        time.sleep(0.05)
    raise AssertionError(f"never ready: {client.get('/ready').text}")


@pytest.fixture
def make_client(
    make_settings: Callable[..., Settings],
) -> Iterator[Callable[..., TestClient]]:
    """Return a factory of started in-process clients (HTTPS, like production)."""
    clients: list[TestClient] = []

    def make(settings: Settings | None = None, **overrides: Any) -> TestClient:
        app = create_app(settings or make_settings(**overrides))
        client = TestClient(app, base_url="https://testserver", follow_redirects=False)
        client.__enter__()
        clients.append(client)
        wait_ready(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    """Return a started in-process client of the starter app on SQLite."""
    return make_client()


def form_token(client: TestClient, path: str = "/login") -> str:
    """Load ``path`` and return the CSRF token embedded in its form."""
    page = client.get(path)
    marker = 'name="csrf_token" value="'
    start = page.text.index(marker) + len(marker)
    return page.text[start : page.text.index('"', start)]


STRONG_PASSWORD = "correct horse battery staple"


def register(
    client: TestClient, email: str, password: str = STRONG_PASSWORD, **extra: str
) -> Any:
    """Submit the registration form and return the response."""
    data = {
        "email": email,
        "password": password,
        "password_confirm": password,
        "csrf_token": form_token(client, "/register"),
        **extra,
    }
    return client.post("/register", data=data)


def login(
    client: TestClient, email: str, password: str = STRONG_PASSWORD, **extra: str
) -> Any:
    """Submit the login form and return the response."""
    data = {
        "email": email,
        "password": password,
        "csrf_token": form_token(client),
        **extra,
    }
    return client.post("/login", data=data)


@pytest.fixture
def helpers() -> Any:
    """Expose the form helpers to test modules as one object."""

    class Helpers:
        token = staticmethod(form_token)
        register = staticmethod(register)
        login = staticmethod(login)
        password = STRONG_PASSWORD

    return Helpers


class ServerProcess:
    """A real ``pyjang run`` subprocess on a free port, logging to a file."""

    def __init__(
        self,
        workdir: Path,
        env: dict[str, str],
        args: list[str],
        port: int | None = None,
    ) -> None:
        self.workdir = workdir
        self.port = port or free_port()
        self.env = {**os.environ, **env, "PORT": str(self.port)}
        self.args = args
        self.log_path = workdir / f"server-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> ServerProcess:
        """Start the server and return once ``/ready`` answers 200."""
        command = [sys.executable, "-m", "pyjang", "run", *self.args]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=self.workdir, env=self.env, stdout=log, stderr=log
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"server exited {self.process.returncode}: {self.log()}"
                )
            try:
                if httpx2.get(f"{self.url}/ready", timeout=1).status_code == 200:
                    return self
            except httpx2.TransportError:
                pass
            time.sleep(0.1)
        self.kill()
        raise AssertionError(f"server never became ready: {self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        """Send ``sig`` and return the exit code."""
        assert self.process is not None
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    """Return a factory of real server processes, all stopped afterwards."""
    started: list[ServerProcess] = []

    def make(
        *args: str,
        env: dict[str, str] | None = None,
        workdir: Path | None = None,
        port: int | None = None,
    ) -> ServerProcess:
        server = ServerProcess(workdir or tmp_path, env or {}, list(args), port)
        started.append(server)
        return server

    yield make
    for server in started:
        server.kill()
