"""The small values every deployment renderer shares.

A :class:`Backend` is one app instance a balancer sends requests to,
:class:`TLSFiles` names the certificate files a balancer terminates TLS with,
and :class:`DnsDiscovery` tells HAProxy to find instances through DNS (as in
Compose, where one service name resolves to every replica). Each value checks
itself when built, so nothing that could break a config file's syntax — a
space, a quote, a semicolon, a newline — ever reaches a template.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "Backend",
    "DnsDiscovery",
    "TLSFiles",
    "check_port",
    "format_address",
    "loopback_backends",
    "parse_servers",
]

MAX_INSTANCES = 100
_HOSTNAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
_UNSAFE_IN_PATH = frozenset("\"'\\`$;#{}")


def check_port(port: int, what: str = "port") -> int:
    """Return ``port`` when it lies in 1 to 65535; raise ``ValueError`` otherwise."""
    if not 1 <= port <= 65535:
        raise ValueError(f"{what} {port} is out of range; use 1 to 65535")
    return port


def check_host(host: str) -> str:
    """Return ``host`` when it is an IP address or a DNS name, else raise."""
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        pass
    if not _HOSTNAME.match(host):
        raise ValueError(f"{host!r} is not a host name or IP address")
    return host


def check_path(path: str, what: str) -> str:
    """Return ``path`` when it is absolute and safe to quote, else raise.

    Spaces and non-ASCII letters are fine (templates quote such paths);
    quotes, backslashes, ``$``, ``;``, ``#``, braces and control characters,
    which config syntaxes give meaning to, raise ``ValueError``.
    """
    unsafe = any(ord(char) < 32 or char in _UNSAFE_IN_PATH for char in path)
    if unsafe or not path.startswith("/") or "/../" in f"{path}/":
        raise ValueError(
            f"{what} {path!r} must be an absolute path without quotes, "
            "backslashes, $, ;, # or braces"
        )
    return path


def format_address(host: str, port: int) -> str:
    """Return ``host:port``, bracketing an IPv6 address (``[::1]:8080``)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@dataclass(frozen=True)
class Backend:
    """One app instance behind the balancer: a ``name`` and its address."""

    name: str
    host: str
    port: int

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"backend name {self.name!r} must be letters and digits")
        object.__setattr__(self, "host", check_host(self.host))
        check_port(self.port, f"backend {self.name} port")

    @property
    def address(self) -> str:
        """Return ``host:port`` as balancer configs spell it."""
        return format_address(self.host, self.port)


@dataclass(frozen=True)
class TLSFiles:
    """Where the balancer finds its certificate chain and private key.

    ``bundle`` is for HAProxy, which wants chain and key in one PEM file
    (``cat fullchain.pem privkey.pem > haproxy.pem``).
    """

    certificate: str = "/etc/ssl/pyjang/fullchain.pem"
    private_key: str = "/etc/ssl/pyjang/privkey.pem"
    bundle: str = "/etc/ssl/pyjang/haproxy.pem"

    def __post_init__(self) -> None:
        check_path(self.certificate, "certificate")
        check_path(self.private_key, "private key")
        check_path(self.bundle, "certificate bundle")


@dataclass(frozen=True)
class DnsDiscovery:
    """Let HAProxy resolve each backend's host to up to ``slots`` instances."""

    nameserver: str = "127.0.0.11"
    nameserver_port: int = 53
    slots: int = 10

    def __post_init__(self) -> None:
        check_host(self.nameserver)
        check_port(self.nameserver_port, "nameserver port")
        if not 1 <= self.slots <= 1000:
            raise ValueError("DNS discovery slots must be between 1 and 1000")

    @property
    def address(self) -> str:
        """Return the nameserver's ``host:port``."""
        return format_address(self.nameserver, self.nameserver_port)


def loopback_backends(port: int, instances: int) -> list[Backend]:
    """Return ``instances`` backends on 127.0.0.1 at ``port``, ``port + 1``, …

    Raises ``ValueError`` when the count is outside 1 to 100 or a port would
    pass 65535.
    """
    if not 1 <= instances <= MAX_INSTANCES:
        raise ValueError(f"instances must be between 1 and {MAX_INSTANCES}")
    check_port(port)
    last = port + instances - 1
    if last > 65535:
        raise ValueError(
            f"{instances} instances from port {port} would need port {last}; "
            "use a lower port or fewer instances"
        )
    return [
        Backend(f"app{number}", "127.0.0.1", port + number - 1)
        for number in range(1, instances + 1)
    ]


def _split_server(item: str) -> tuple[str, int]:
    host, separator, port = item.rpartition(":")
    if not separator or not host or not port.isdigit():
        raise ValueError(f"server {item!r} must be written host:port")
    return host.strip("[]"), check_port(int(port), f"server {item!r}: port")


def parse_servers(text: str | Sequence[str]) -> list[Backend]:
    """Return backends for ``"host:port,host:port"`` (or a list of such items).

    IPv6 addresses are written in brackets: ``[2001:db8::1]:8080``. Raises
    ``ValueError`` for an empty list, a malformed item or a duplicate.
    """
    items = text.split(",") if isinstance(text, str) else list(text)
    items = [item.strip() for item in items if item.strip()]
    if not items:
        raise ValueError("give at least one server as host:port")
    if len(items) > MAX_INSTANCES:
        raise ValueError(f"give at most {MAX_INSTANCES} servers")
    backends = []
    for number, item in enumerate(items, start=1):
        host, port = _split_server(item)
        backends.append(Backend(f"app{number}", host, port))
    addresses = [backend.address for backend in backends]
    if len(set(addresses)) != len(addresses):
        raise ValueError("each server may be listed only once")
    return backends
