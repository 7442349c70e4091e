"""Fixtures for the deployment-file tests: settings, tools and certificates."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pyjang.deploy import Plan, TLSFiles
from pyjang.settings import Settings, load_settings
from tests.conftest import require_binary

# Distinctive values no template could produce by accident.
_SECRETS = {
    "SESSION_KEY": "sk-7f3a9c1e5b7d9f1a3c5e7b9d1f3a5c7e",
    "SESSION_KEY_FALLBACKS": "fb-one-2c4e6a8c0e2a4c6e8a0c2e4a6c8e,"
    "fb-two-9d7b5f3d1b9f7d5b3f1d9b7f5d3b",
    "CSRF_SECRET": "csrf-41c3e5a7c9e1a3c5e7a9c1e3a5c7",
    "METRICS_TOKEN": "mt-8e6c4a2e0c8a6e4c2a0e8c6a4e2c",
    "SMTP_PASS": "smtp-5b3d1f9b7d5f3b1d9f7b5d3f1b9d",
    "DATABASE_URL": "postgresql://app:dbpw-93c1e7a5c3e1a9c7e5@db.example.internal"
    ":5432/appdb?sslmode=require",
    "DATABASE_REPLICA_URL": "postgresql://app:replpw-2a8c6e4a2c0e8a6c4e"
    "@replica.example.internal:5432/appdb",
    "REDIS_URL": "redis://:redispw-6d4b2f0d8b6f4d2b0f@cache.example.internal:6379/0",
}
_SECRET_VALUES = [
    "sk-7f3a9c1e5b7d9f1a3c5e7b9d1f3a5c7e",
    "fb-one-2c4e6a8c0e2a4c6e8a0c2e4a6c8e",
    "fb-two-9d7b5f3d1b9f7d5b3f1d9b7f5d3b",
    "csrf-41c3e5a7c9e1a3c5e7a9c1e3a5c7",
    "mt-8e6c4a2e0c8a6e4c2a0e8c6a4e2c",
    "smtp-5b3d1f9b7d5f3b1d9f7b5d3f1b9d",
    "dbpw-93c1e7a5c3e1a9c7e5",
    "replpw-2a8c6e4a2c0e8a6c4e",
    "redispw-6d4b2f0d8b6f4d2b0f",
]


_PACKAGES = {"systemd-analyze": "systemd"}


@pytest.fixture
def secret_environment() -> dict[str, str]:
    """Return every secret variable set to a distinctive value."""
    return dict(_SECRETS)


@pytest.fixture
def secret_values() -> list[str]:
    """Return the secret strings (keys and passwords) that must never leak."""
    return list(_SECRET_VALUES)


def _setting_names() -> list[str]:
    return [name.upper() for name in Settings.model_fields]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Run each test in an empty folder with no pyjang variable set."""
    for name in _setting_names():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def make_plan() -> Callable[..., Plan]:
    """Return a factory: settings overrides and plan options → a Plan."""

    def factory(settings: dict[str, Any] | None = None, **options: Any) -> Plan:
        values = {"debug": True, **(settings or {})}
        return Plan(settings=load_settings(**values), **options)

    return factory


@pytest.fixture
def require() -> Callable[[str], str]:
    """Return a function that finds a binary or skips (fails when required)."""

    def find(name: str) -> str:
        path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
        if path:
            return path
        package = _PACKAGES.get(name, name)
        message = f"{name} is not installed (apt-get install {package})"
        if os.environ.get("PYJANG_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{message}, and PYJANG_REQUIRE_SERVICES=1 requires it")
        pytest.skip(message)

    return find


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TLSFiles]:
    """Return a self-signed certificate for localhost, made with openssl."""
    openssl = shutil.which("openssl") or require_binary("openssl")
    folder = tmp_path_factory.mktemp("tls")
    certificate, key = folder / "fullchain.pem", folder / "privkey.pem"
    request = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
    subject = ["-subj", "/CN=localhost", "-keyout", str(key), "-out", str(certificate)]
    subprocess.run(
        [openssl, *request, *subject],
        check=True,
        capture_output=True,
        timeout=60,
    )
    bundle = folder / "haproxy.pem"
    bundle.write_text(certificate.read_text() + key.read_text())
    yield TLSFiles(str(certificate), str(key), str(bundle))
