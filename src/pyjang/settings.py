"""Typed settings read from the environment and a ``.env`` file.

Every value is validated when the process starts; a bad one raises
:class:`~pyjang.errors.ConfigError` naming the variable, so the command line can
print one line and exit instead of a traceback.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict, SettingsError

from pyjang.durations import parse_duration, parse_size
from pyjang.errors import ConfigError

__all__ = ["RateLimit", "Settings", "load_settings"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_RATE = re.compile(
    r"^\s*(\d+)\s*(?:/|per)\s*(\d+)?\s*(second|minute|hour|day)s?"
    r"(?:\s*(?:burst|with bursts of)\s*(\d+))?\s*$",
    re.I,
)
_PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
MIN_KEY_LENGTH = 32
MIN_KEY_SYMBOLS = 10  # a key of one repeated character is not random
MIN_TOKEN_LENGTH = 16


@dataclass(frozen=True)
class RateLimit:
    """A sustained ``rate`` per ``period`` seconds, allowing ``burst`` at once."""

    rate: int
    period: int
    burst: int

    @classmethod
    def parse(cls, text: str) -> RateLimit:
        """Read ``5/minute``, ``5 per 10 minutes`` or ``5/minute burst 10``."""
        match = _RATE.match(text)
        if match is None:
            raise ValueError("use a rate such as 5/minute or 5/minute burst 10")
        rate, count, unit, burst = match.groups()
        period = int(count or 1) * _PERIODS[unit.lower()]
        limit = cls(int(rate), period, int(burst or rate))
        if limit.rate < 1 or limit.burst < limit.rate:
            raise ValueError(
                "the rate must be at least 1 and the burst at least the rate"
            )
        return limit

    @property
    def window(self) -> int:
        """Return the seconds in which ``burst`` attempts are allowed."""
        return max(1, self.period * self.burst // self.rate)

    def __str__(self) -> str:
        return f"{self.rate}/{self.period}s burst {self.burst}"


def _split(value: Any) -> Any:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


Duration = Annotated[float, Field(ge=0)]
CommaList = Annotated[list[str], NoDecode]


class Settings(BaseSettings):
    """Every setting of a pyjang app; see the README for each variable."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    database_url: str = "sqlite:///./pyjang.db"
    database_replica_url: str | None = None
    database_pool_size: int = Field(5, ge=1, le=1000)
    database_max_overflow: int = Field(5, ge=0, le=1000)
    redis_url: str | None = None
    session_store: Literal["memory", "db", "redis"] | None = None
    session_key: SecretStr | None = None
    session_key_fallbacks: Annotated[list[SecretStr], NoDecode] = []
    csrf_secret: SecretStr | None = None
    session_lifetime: Duration = 12 * 3600.0
    session_idle_timeout: Duration = 30 * 60.0
    session_store_timeout: Duration = 1.0
    debug: bool = False
    port: int = Field(8080, ge=0, le=65535)
    host: str = "127.0.0.1"
    allowed_hosts: CommaList = ["localhost", "127.0.0.1"]
    public_url: str | None = None
    trusted_proxies: Annotated[list[Network], NoDecode] = []
    instance_id: str = ""
    log_level: Literal["debug", "info", "warning", "error", "critical"] = "info"
    log_format: Literal["json", "text"] | None = None
    shutdown_drain: Duration = 5.0
    shutdown_timeout: Duration = 30.0
    auto_migrate: bool = True
    https_redirect: bool = True
    metrics_token: SecretStr | None = None
    rate_limit_auth: Annotated[RateLimit, NoDecode] = RateLimit(5, 60, 10)
    max_body_size: int = 1024 * 1024
    smtp_host: str | None = None
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_pass: SecretStr | None = None
    smtp_from: str = "noreply@localhost"

    @field_validator(
        "session_lifetime",
        "session_idle_timeout",
        "session_store_timeout",
        "shutdown_drain",
        "shutdown_timeout",
        mode="before",
    )
    @classmethod
    def _duration(cls, value: Any) -> float:
        return parse_duration(value)

    @field_validator("max_body_size", mode="before")
    @classmethod
    def _size(cls, value: Any) -> int:
        return parse_size(value)

    @field_validator("rate_limit_auth", mode="before")
    @classmethod
    def _rate(cls, value: Any) -> Any:
        return RateLimit.parse(value) if isinstance(value, str) else value

    @field_validator("allowed_hosts", "session_key_fallbacks", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        return _split(value)

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _networks(cls, value: Any) -> Any:
        items = _split(value)
        if not isinstance(items, list):
            return items
        return [ipaddress.ip_network(str(item), strict=False) for item in items]

    @field_validator("database_url", "database_replica_url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        scheme = urlsplit(value).scheme.split("+")[0]
        if scheme not in ("sqlite", "postgres", "postgresql"):
            raise ValueError("use sqlite:///path.db or postgresql://user@host/db")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value is not None and urlsplit(value).scheme not in (
            "redis",
            "rediss",
            "unix",
            "redis+sentinel",
        ):
            raise ValueError(
                "use redis://host:6379/0, rediss://… or redis+sentinel://…"
            )
        return value or None

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("use a scheme and host such as https://example.com")
        return f"{parts.scheme}://{parts.netloc}"

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        if not value or any(c.isspace() for c in value):
            raise ValueError("use an address such as 127.0.0.1 or 0.0.0.0")
        return value

    @field_validator("session_key", "csrf_secret", "metrics_token", mode="before")
    @classmethod
    def _secret(cls, value: Any) -> Any:
        # A variable that expands to nothing is a mistake, not a choice.
        if isinstance(value, str) and not value.strip():
            raise ValueError(
                "is set but empty; give it a long random value or unset it"
            )
        return value

    @model_validator(mode="after")
    def _production_rules(self) -> Settings:
        if self.session_key is None and not self.debug:
            raise ValueError(
                "SESSION_KEY is required when DEBUG=false; set it to the same "
                "random value on every instance, or run `pyjang run --dev`"
            )
        keys = [self.session_key, *self.session_key_fallbacks, self.csrf_secret]
        for key in (k.get_secret_value() for k in keys if k is not None):
            if len(key.strip()) < MIN_KEY_LENGTH or len(set(key)) < MIN_KEY_SYMBOLS:
                raise ValueError(
                    f"SESSION_KEY, SESSION_KEY_FALLBACKS and CSRF_SECRET need at "
                    f"least {MIN_KEY_LENGTH} random characters each; generate one with "
                    "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
                )
        if self.session_store == "redis" and not self.redis_url:
            raise ValueError("SESSION_STORE=redis needs REDIS_URL")
        if self.session_idle_timeout > self.session_lifetime:
            raise ValueError("SESSION_IDLE_TIMEOUT cannot exceed SESSION_LIFETIME")
        for name in (
            "session_lifetime",
            "session_idle_timeout",
            "session_store_timeout",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name.upper()} must be longer than zero")
        if not self.allowed_hosts:
            raise ValueError(
                "ALLOWED_HOSTS is empty; list the host names, or * for any"
            )
        token = self.metrics_token
        if token is not None and len(token.get_secret_value()) < MIN_TOKEN_LENGTH:
            raise ValueError(
                f"METRICS_TOKEN needs at least {MIN_TOKEN_LENGTH} characters"
            )
        return self

    @property
    def store_backend(self) -> Literal["memory", "db", "redis"]:
        """Return the configured session store, defaulting by ``REDIS_URL``."""
        if self.session_store is not None:
            return self.session_store
        return "redis" if self.redis_url else "db"

    @property
    def instance_name(self) -> str:
        """Return ``INSTANCE_ID`` or ``hostname:port``."""
        return self.instance_id or f"{socket.gethostname()}:{self.port}"

    @property
    def log_style(self) -> Literal["json", "text"]:
        """Return ``LOG_FORMAT``, defaulting to text in development."""
        return self.log_format or ("text" if self.debug else "json")

    @property
    def signing_keys(self) -> list[bytes]:
        """Return the current session key first, then the fallbacks."""
        keys = [self.session_key, *self.session_key_fallbacks]
        return [key.get_secret_value().encode() for key in keys if key is not None]

    @property
    def csrf_key(self) -> bytes:
        """Return ``CSRF_SECRET`` or a key derived from ``SESSION_KEY``."""
        if self.csrf_secret is not None:
            return self.csrf_secret.get_secret_value().encode()
        return b"csrf:" + self.signing_keys[0]


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    location = [str(part) for part in first.get("loc", ())]
    message = first.get("msg", "is invalid").removeprefix("Value error, ")
    if not location:
        return f"invalid configuration: {message}"
    name = location[0].upper()
    value = first.get("input")
    shown = "" if "KEY" in name or "SECRET" in name or "PASS" in name else f"={value!r}"
    return f"invalid configuration: {name}{shown}: {message}"


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment, ``.env`` and ``overrides``.

    Raises :class:`ConfigError` with one line naming the variable to fix.
    """
    try:
        return Settings(**overrides)
    except ValidationError as error:
        raise ConfigError(_describe(error)) from None
    except SettingsError as error:
        match = re.search(r'field "(\w+)"', str(error))
        name = match.group(1).upper() if match else "a setting"
        raise ConfigError(f"invalid configuration: {name} cannot be parsed") from None
