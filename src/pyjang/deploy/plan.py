"""What to deploy: the current settings plus the command line's choices.

A :class:`Plan` is the one input of every file renderer except the two
balancers (which take plain arguments so a local cluster can reuse them). It
derives the values several files need alike: the instances' addresses, how
long a stop may take, and the non-secret settings each instance gets. The
secret settings never leave :class:`~pyjang.settings.Settings` through a
plan; files name them and leave the value to the operator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from pyjang.deploy.model import (
    MAX_INSTANCES,
    Backend,
    TLSFiles,
    check_path,
    check_port,
    loopback_backends,
)
from pyjang.deploy.templating import seconds
from pyjang.durations import format_duration
from pyjang.settings import Settings

__all__ = ["PLACEHOLDER", "SECRET_NAMES", "STOP_MARGIN", "Plan"]

PLACEHOLDER = "CHANGE_ME"
SECRET_NAMES = (
    "SESSION_KEY",
    "SESSION_KEY_FALLBACKS",
    "CSRF_SECRET",
    "METRICS_TOKEN",
    "SMTP_PASS",
    "DATABASE_URL",
    "DATABASE_REPLICA_URL",
    "REDIS_URL",
)
STOP_MARGIN = 10
_APP = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")
_IMAGE = re.compile(r"^[a-z0-9][a-z0-9._/:@-]{0,254}$")
_EXAMPLE_DATABASE = f"postgresql://pyjang:{PLACEHOLDER}@db.internal:5432/pyjang"


@dataclass(frozen=True)
class Plan:
    """Settings and options for one run of ``pyjang generate``.

    ``port`` overrides ``PORT`` as the first instance's port; ``servers``
    replaces the loopback instances a balancer lists. Raises ``ValueError``
    when an option is out of range.
    """

    settings: Settings
    instances: int = 2
    port: int | None = None
    app: str | None = None
    servers: tuple[Backend, ...] = ()
    tls: bool = True
    tls_files: TLSFiles = field(default_factory=TLSFiles)
    image: str = "pyjang-app:latest"
    executable: str = "/opt/pyjang/venv/bin/pyjang"

    def __post_init__(self) -> None:
        if not 1 <= self.instances <= MAX_INSTANCES:
            raise ValueError(f"--instances must be between 1 and {MAX_INSTANCES}")
        if self.app is not None and not _APP.match(self.app):
            raise ValueError(f"--app {self.app!r} must be written MODULE:ATTRIBUTE")
        if not _IMAGE.match(self.image):
            raise ValueError(f"--image {self.image!r} is not an image reference")
        check_path(self.executable, "executable")
        loopback_backends(self.base_port, self.instances)

    @property
    def base_port(self) -> int:
        """Return the first instance's port."""
        port = self.settings.port if self.port is None else self.port
        return check_port(port)

    @property
    def ports(self) -> list[int]:
        """Return the loopback ports of the instances on one server."""
        return [self.base_port + offset for offset in range(self.instances)]

    @property
    def backends(self) -> list[Backend]:
        """Return ``servers``, or the instances on this server's loopback."""
        if self.servers:
            return list(self.servers)
        return loopback_backends(self.base_port, self.instances)

    @property
    def stop_seconds(self) -> int:
        """Return how long a stop may take: drain, in-flight grace, margin."""
        drain = self.settings.shutdown_drain + self.settings.shutdown_timeout
        return seconds(drain) + STOP_MARGIN

    @property
    def server_names(self) -> list[str]:
        """Return the public host name, or ``_`` (any) when none is set."""
        url = self.settings.public_url
        host = urlsplit(url).hostname if url else None
        return [host] if host else ["_"]

    @property
    def run_arguments(self) -> list[str]:
        """Return the arguments after ``pyjang``: ``run`` and ``--app``."""
        return ["run", "--app", self.app] if self.app else ["run"]

    def environment(self, trusted_proxies: str) -> dict[str, str]:
        """Return every non-secret setting an instance needs, as variables.

        ``trusted_proxies`` is used when ``TRUSTED_PROXIES`` is not set; it
        should name where the balancer connects from.
        """
        values = {**self._http_environment(trusted_proxies), **self._app_environment()}
        for name, value in values.items():
            if any(ord(char) < 32 for char in value):
                raise ValueError(f"{name} cannot hold control characters")
        return values

    def _http_environment(self, trusted_proxies: str) -> dict[str, str]:
        settings = self.settings
        hosts = list(settings.allowed_hosts)
        hosts += [name for name in self.server_names if name not in (*hosts, "_")]
        values = {
            "ALLOWED_HOSTS": ",".join(hosts),
            "TRUSTED_PROXIES": ",".join(map(str, settings.trusted_proxies))
            or trusted_proxies,
            "MAX_BODY_SIZE": str(settings.max_body_size),
        }
        if settings.public_url:
            values["PUBLIC_URL"] = settings.public_url
        return values

    def _app_environment(self) -> dict[str, str]:
        settings = self.settings
        limit = settings.rate_limit_auth
        values = {
            "LOG_LEVEL": settings.log_level,
            "LOG_FORMAT": settings.log_format or "json",
            "SHUTDOWN_DRAIN": format_duration(settings.shutdown_drain),
            "SHUTDOWN_TIMEOUT": format_duration(settings.shutdown_timeout),
            "DATABASE_POOL_SIZE": str(settings.database_pool_size),
            "DATABASE_MAX_OVERFLOW": str(settings.database_max_overflow),
            "SESSION_LIFETIME": format_duration(settings.session_lifetime),
            "SESSION_IDLE_TIMEOUT": format_duration(settings.session_idle_timeout),
            "SESSION_STORE_TIMEOUT": format_duration(settings.session_store_timeout),
            "RATE_LIMIT_AUTH": f"{limit.rate} per {limit.period} seconds "
            f"burst {limit.burst}",
            "AUTO_MIGRATE": "true" if settings.auto_migrate else "false",
        }
        if settings.session_store:
            values["SESSION_STORE"] = settings.session_store
        if settings.smtp_host:
            values["SMTP_HOST"] = settings.smtp_host
            values["SMTP_PORT"] = str(settings.smtp_port)
            values["SMTP_FROM"] = settings.smtp_from
            if settings.smtp_user:
                values["SMTP_USER"] = settings.smtp_user
        return values

    def database_url_example(self) -> str:
        """Return ``DATABASE_URL`` with its password replaced by a placeholder.

        A SQLite URL becomes an example PostgreSQL URL, since instances on
        several servers or in containers cannot share a SQLite file.
        """
        parts = urlsplit(self.settings.database_url)
        if parts.scheme.startswith("sqlite") or not parts.hostname:
            return _EXAMPLE_DATABASE
        return _masked(self.settings.database_url, always=True)

    def redis_url_example(self) -> str | None:
        """Return ``REDIS_URL`` with any password replaced, or ``None``."""
        url = self.settings.redis_url
        return None if url is None else _masked(url, always=False)


def _masked(url: str, *, always: bool) -> str:
    parts = urlsplit(url)
    host = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else parts.hostname
    netloc = f"{host}:{parts.port}" if parts.port else str(host or "")
    if parts.password is not None or always:
        netloc = f"{parts.username or ''}:{PLACEHOLDER}@{netloc}"
    elif parts.username:
        netloc = f"{parts.username}@{netloc}"
    query = "&".join(
        item for item in parts.query.split("&") if item.startswith("sslmode=")
    )
    return parts._replace(netloc=netloc, query=query, fragment="").geturl()
