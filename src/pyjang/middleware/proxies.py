"""Believe ``X-Forwarded-*`` and ``Forwarded`` only from trusted proxies.

The client address is found by walking the forwarded chain from the right —
the end our own proxies wrote — past trusted hops only; whatever a client put
at the left of the chain is ignored. Scheme and host are taken from forwarded
headers only when the direct peer is a trusted proxy.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["ProxyHeadersMiddleware", "client_ip", "parse_forwarded"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_PAIR = re.compile(r'\s*([a-zA-Z]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;,\s]*)\s*')
MAX_HOPS = 32


def client_ip(scope: Scope) -> str:
    """Return the client address settled on for this request."""
    client = scope.get("client")
    return client[0] if client else "unknown"


def _ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip().strip('"')
    if value.startswith("["):
        value = value[1:].split("]", 1)[0]
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def parse_forwarded(value: str) -> list[dict[str, str]]:
    """Return the elements of an RFC 7239 ``Forwarded`` header, left to right."""
    elements = []
    for element in value.split(",")[:MAX_HOPS]:
        pairs = {}
        for pair in element.split(";"):
            match = _PAIR.fullmatch(pair)
            if match:
                pairs[match.group(1).lower()] = match.group(2).strip('"')
        elements.append(pairs)
    return elements


class ProxyHeadersMiddleware:
    """Rewrite the scope's client, scheme and host from trusted proxies."""

    def __init__(self, app: ASGIApp, *, trusted: Sequence[Network]) -> None:
        self.app = app
        self.trusted = list(trusted)

    def _trusted(self, address: Address | None) -> bool:
        return address is not None and any(address in net for net in self.trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        scope["peer"] = client
        http = scope["type"] in ("http", "websocket")
        if http and self.trusted and client and self._trusted(_ip(client[0])):
            self._rewrite(scope)
        await self.app(scope, receive, send)

    def _rewrite(self, scope: Scope) -> None:
        headers: dict[bytes, bytes] = {}
        for name, value in scope["headers"]:
            if name in headers:
                headers[name] += b"," + value
            else:
                headers[name] = value
        forwarded = headers.get(b"forwarded")
        # Balancers write X-Forwarded-For; a Forwarded header beside it may
        # come from the client, so it counts only when it stands alone.
        if forwarded is not None and b"x-forwarded-for" not in headers:
            elements = parse_forwarded(forwarded.decode("latin-1"))
            hops = [element.get("for", "") for element in elements]
            proto = elements[-1].get("proto") if elements else None
            host = elements[-1].get("host") if elements else None
        else:
            chain = headers.get(b"x-forwarded-for", b"").decode("latin-1")
            hops = [hop for hop in chain.split(",")[-MAX_HOPS:] if hop.strip()]
            proto = _last(headers.get(b"x-forwarded-proto"))
            host = _last(headers.get(b"x-forwarded-host"))
        address = self._walk(hops)
        if address is not None:
            scope["client"] = (str(address), 0)
        if proto in ("http", "https"):
            scope["scheme"] = proto
        if host and host.isprintable() and len(host) <= 255:
            kept = [(k, v) for k, v in scope["headers"] if k != b"host"]
            scope["headers"] = [*kept, (b"host", host.encode("latin-1"))]

    def _walk(
        self, hops: list[str]
    ) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
        found = None
        for hop in reversed(hops):
            address = _ip(hop)
            if address is None:
                return found
            found = address
            if not self._trusted(address):
                return address
        return found


def _last(value: bytes | None) -> str | None:
    if not value:
        return None
    return value.decode("latin-1").split(",")[-1].strip() or None
