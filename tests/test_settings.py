"""Settings: parsing, defaults and one-line errors naming the variable."""

from __future__ import annotations

import pytest

from pyjang.durations import format_duration, parse_duration, parse_size
from pyjang.errors import ConfigError
from pyjang.settings import RateLimit, load_settings
from tests.conftest import TEST_KEY


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30m", 1800),
        ("12h", 43200),
        ("7d", 604800),
        ("1.5s", 1.5),
        ("250ms", 0.25),
        ("90", 90),
    ],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "abc", "-5m", "5 minutes", "1e9s", "m", "5mm"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="use a number"):
        parse_duration(text)


def test_sizes_and_formatting() -> None:
    assert parse_size("512k") == 512 * 1024
    assert parse_size("2MB") == 2 * 1024**2
    assert format_duration(1800) == "30m" and format_duration(1.5) == "1.5s"
    with pytest.raises(ValueError):
        parse_size("lots")


def test_rate_limits() -> None:
    assert RateLimit.parse("5/minute burst 10") == RateLimit(5, 60, 10)
    assert RateLimit.parse("5 per minute with bursts of 10").window == 120
    assert RateLimit.parse("100 per 10 minutes") == RateLimit(100, 600, 100)
    for bad in ("5", "five/minute", "5/fortnight", "5/minute burst 2", "0/minute"):
        with pytest.raises(ValueError):
            RateLimit.parse(bad)


def test_defaults_follow_the_spec() -> None:
    settings = load_settings(session_key=TEST_KEY)
    assert settings.database_url == "sqlite:///./pyjang.db"
    assert settings.store_backend == "db"
    assert (
        settings.session_lifetime == 12 * 3600 and settings.session_idle_timeout == 1800
    )
    assert settings.port == 8080 and settings.host == "127.0.0.1"
    assert settings.allowed_hosts == ["localhost", "127.0.0.1"]
    assert settings.shutdown_drain == 5 and settings.shutdown_timeout == 30
    assert settings.session_store_timeout == 1 and settings.log_style == "json"
    assert settings.rate_limit_auth == RateLimit(5, 60, 10)
    assert (
        load_settings(session_key=TEST_KEY, redis_url="redis://x").store_backend
        == "redis"
    )


def test_environment_and_dotenv_are_read(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    monkeypatch.setenv("SESSION_KEY", TEST_KEY)
    monkeypatch.setenv("ALLOWED_HOSTS", "a.test, .b.test")
    with open(".env", "w") as handle:
        handle.write("SESSION_LIFETIME=7d\nTRUSTED_PROXIES=10.0.0.0/8,::1\n")
    settings = load_settings()
    assert settings.allowed_hosts == ["a.test", ".b.test"]
    assert settings.session_lifetime == 7 * 86400
    assert [str(n) for n in settings.trusted_proxies] == ["10.0.0.0/8", "::1/128"]


def test_secrets_hide_in_repr() -> None:
    old = "old-key-9f8e7d6c5b4a39281706f5e4d3c2b1a0"
    settings = load_settings(session_key=TEST_KEY, session_key_fallbacks=old)
    assert TEST_KEY not in repr(settings) and old not in repr(settings)
    assert settings.signing_keys == [TEST_KEY.encode(), old.encode()]


@pytest.mark.parametrize(
    ("overrides", "name"),
    [
        ({}, "SESSION_KEY"),
        ({"session_key": "short"}, "SESSION_KEY"),
        (
            {"session_key": TEST_KEY, "session_key_fallbacks": "tiny"},
            "SESSION_KEY_FALLBACKS",
        ),
        ({"session_key": TEST_KEY, "session_store": "redis"}, "REDIS_URL"),
        (
            {"session_key": TEST_KEY, "session_idle_timeout": "2d"},
            "SESSION_IDLE_TIMEOUT",
        ),
        ({"session_key": TEST_KEY, "port": "99999"}, "PORT"),
        ({"session_key": TEST_KEY, "redis_url": "http://x"}, "REDIS_URL"),
        ({"session_key": TEST_KEY, "public_url": "example.com"}, "PUBLIC_URL"),
        ({"session_key": TEST_KEY, "database_pool_size": "0"}, "DATABASE_POOL_SIZE"),
        ({"session_key": TEST_KEY, "log_level": "loud"}, "LOG_LEVEL"),
        ({"session_key": TEST_KEY, "session_store": "files"}, "SESSION_STORE"),
        ({"session_key": TEST_KEY, "host": "a b"}, "HOST"),
        ({"session_key": ""}, "SESSION_KEY"),
        ({"session_key": " " * 40}, "SESSION_KEY"),
        ({"session_key": "a" * 40}, "SESSION_KEY"),
        ({"session_key": TEST_KEY, "csrf_secret": "short"}, "CSRF_SECRET"),
        ({"session_key": TEST_KEY, "allowed_hosts": ""}, "ALLOWED_HOSTS"),
        (
            {"session_key": TEST_KEY, "session_idle_timeout": "0"},
            "SESSION_IDLE_TIMEOUT",
        ),
        (
            {"session_key": TEST_KEY, "session_store_timeout": "0"},
            "SESSION_STORE_TIMEOUT",
        ),
        ({"session_key": TEST_KEY, "metrics_token": "a"}, "METRICS_TOKEN"),
    ],
)
def test_bad_settings_raise_one_line_naming_the_variable(
    overrides: dict[str, str], name: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(**overrides)
    message = str(caught.value)
    assert name in message and "\n" not in message
    assert "short" not in message and "tiny" not in message


def test_development_needs_no_key() -> None:
    settings = load_settings(debug=True)
    assert settings.session_key is None and settings.log_style == "text"
