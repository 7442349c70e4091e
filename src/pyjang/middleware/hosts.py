"""Refuse requests whose Host header is not one of ``ALLOWED_HOSTS``."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["AllowedHostsMiddleware", "host_allowed"]

logger = logging.getLogger(__name__)
MAX_REMEMBERED_HOSTS = 256
# A DNS name or IPv4 address, or a bracketed IPv6 address, then an optional port.
_HOST = re.compile(
    r"^(?:([A-Za-z0-9.-]{1,253})|\[([0-9A-Fa-f:.]{2,45})\])(?::\d{1,5})?$"
)


def host_allowed(host: str, allowed: Sequence[str]) -> bool:
    """Return True when ``host`` (port stripped) matches an allowed pattern.

    ``*`` allows every host; ``.example.com`` allows it and its subdomains.
    """
    match = _HOST.match(host)
    if match is None:
        return False
    name = (match.group(1) or match.group(2)).lower().rstrip(".")
    for pattern in allowed:
        if pattern == "*" or name == pattern.lower():
            return True
        if pattern.startswith(".") and (name.endswith(pattern) or name == pattern[1:]):
            return True
    return False


class AllowedHostsMiddleware:
    """Answer 400 to a Host outside the allow-list; ``exempt`` paths pass."""

    def __init__(
        self, app: ASGIApp, *, allowed: Sequence[str], exempt: Sequence[str] = ()
    ) -> None:
        self.app = app
        self.allowed = [pattern.strip() for pattern in allowed]
        self.exempt = tuple(exempt)
        # Verdicts per Host value; bounded, since clients choose the values.
        self._verdicts: dict[str, bool] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(self.exempt):
            host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
            if not self._allowed(host):
                logger.warning("host not allowed: %r", host[:200])
                response = PlainTextResponse("Bad Request: unknown host.", 400)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _allowed(self, host: str) -> bool:
        verdict = self._verdicts.get(host)
        if verdict is None:
            verdict = host_allowed(host, self.allowed)
            if len(self._verdicts) >= MAX_REMEMBERED_HOSTS:
                self._verdicts.clear()
            self._verdicts[host] = verdict
        return verdict
