"""Sessions and rate limits through a real Redis Sentinel and over TLS."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pyjang.cluster.services import wait_for_port
from tests.conftest import free_port, require_binary
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


@pytest.fixture
def tls_redis(tmp_path: Path) -> Iterator[str]:
    """Yield a ``rediss://`` URL of a real redis-server speaking TLS only."""
    binary = require_binary("redis-server")
    openssl = require_binary("openssl")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            "--port",
            "0",
            "--tls-port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--tls-cert-file",
            str(cert),
            "--tls-key-file",
            str(key),
            "--tls-ca-cert-file",
            str(cert),
            "--tls-auth-clients",
            "no",
            "--save",
            "",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port, 10, process)
    yield f"rediss://127.0.0.1:{port}/0?ssl_ca_certs={cert}"
    process.terminate()
    process.wait(10)


def test_sessions_and_limits_over_tls(
    servers: Any, fresh_postgres_url: str, tls_redis: str, make_browser: Any
) -> None:
    env = instance_env(fresh_postgres_url, tls_redis, RATE_LIMIT_AUTH="2/minute")
    server = servers(env=env).start()
    browser = make_browser()
    assert browser.register(server.url, "tls@example.com").status_code == 303
    assert browser.get(f"{server.url}/dashboard").status_code == 200
    other = make_browser()
    assert other.login(server.url, "x@example.com", "wrong password").status_code == 401
    assert other.login(server.url, "x@example.com", "wrong password").status_code == 429
