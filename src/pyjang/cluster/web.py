"""A small blocking HTTP client for probing instances and balancers.

It handles cookies by hand on purpose: the app marks its cookies ``Secure``
in production, and a cookie jar would refuse to send them over the plain
HTTP that instances speak behind a balancer.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import urlsplit

__all__ = ["Reply", "Unreachable", "check_url", "fetch", "origin"]

DEFAULT_TIMEOUT = 3.0


class Unreachable(Exception):
    """No HTTP answer came back; the message says why in a few words."""


@dataclass(frozen=True)
class Reply:
    """The status, headers and body of one response."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        """Return the first header called ``name`` (any case), or None."""
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)

    def cookie(self, name: str) -> str | None:
        """Return the value the response sets for cookie ``name``, or None."""
        for key, value in self.headers:
            if key.lower() != "set-cookie":
                continue
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value)
            except CookieError:
                continue
            if name in jar:
                return jar[name].value
        return None

    def json(self) -> Any:
        """Return the body parsed as JSON; raise ValueError when it is not."""
        return json.loads(self.body)


def check_url(url: str) -> str:
    """Return ``url`` without a trailing slash; raise ValueError unless http(s)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an http:// or https:// URL with a host")
    try:
        parts.port  # noqa: B018 - reading it validates the port
    except ValueError:
        raise ValueError(f"{url!r} has an invalid port") from None
    return url.rstrip("/")


def origin(url: str) -> str:
    """Return the scheme, host and port of ``url``."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _connection(url: str, timeout: float) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme == "https":
        context = ssl.create_default_context()
        return http.client.HTTPSConnection(
            host, parts.port, timeout=timeout, context=context
        )
    return http.client.HTTPConnection(host, parts.port, timeout=timeout)


def _reason(error: Exception) -> str:
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(error, ssl.SSLError):
        return f"TLS failed: {error.reason or error}"
    if isinstance(error, socket.gaierror):
        return "host name not found"
    return f"{type(error).__name__}: {error}"


def fetch(
    url: str,
    *,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> Reply:
    """Send one request to ``url``; raise :class:`Unreachable` without an answer.

    Redirects are not followed; every status, 5xx included, is a reply.
    """
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection = _connection(url, timeout)
    try:
        connection.request(method, target, body=body, headers=dict(headers or {}))
        response = connection.getresponse()
        return Reply(response.status, response.getheaders(), response.read())
    except (OSError, http.client.HTTPException) as error:
        raise Unreachable(_reason(error)) from None
    finally:
        connection.close()
