"""Cross-site request forgery protection for every unsafe method.

Each browser holds a random ``csrftoken`` cookie. Pages embed a masked token
derived from it with ``CSRF_SECRET``; an unsafe request must send that token
back in the ``csrf_token`` form field or the ``X-CSRF-Token`` header (HTMX),
and, when the browser says where it comes from, an ``Origin`` of this site.
"""

from __future__ import annotations

import base64
import hmac
import logging
import re
import secrets
from collections.abc import Sequence
from urllib.parse import parse_qs, urlsplit

from python_multipart.multipart import parse_options_header
from starlette.datastructures import MutableHeaders
from starlette.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pyjang.cookies import request_cookie

__all__ = ["CSRFMiddleware", "csrf_token", "rotate_csrf"]

logger = logging.getLogger(__name__)

COOKIE_NAME = "csrftoken"
FIELD_NAME = "csrf_token"
HEADER_NAME = b"x-csrf-token"
COOKIE_MAX_AGE = 364 * 86400
MAX_FIELDS = 1000
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_COOKIE_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")
_FORBIDDEN = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Forbidden'
    '</title><link rel="stylesheet" href="/static/pyjang.css"></head><body><main '
    'class="container"><div class="alert alert-error" role="alert"><strong>This '
    "form has expired or came from another site.</strong> Reload the page and try "
    "again.</div></main></body></html>"
)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _mac(key: bytes, nonce: str, cookie: str) -> str:
    return _b64(hmac.digest(key, f"{nonce}.{cookie}".encode(), "sha256"))


def csrf_token(scope: Scope) -> str:
    """Return a fresh masked token for the request's CSRF cookie.

    A browser without a cookie gets one now, set on this response.
    """
    state = scope["csrf"]
    if state["cookie"] is None:
        state["cookie"] = _b64(secrets.token_bytes(32))
    nonce = _b64(secrets.token_bytes(12))
    return f"{nonce}.{_mac(state['key'], nonce, state['cookie'])}"


def rotate_csrf(scope: Scope) -> None:
    """Give the browser a new CSRF cookie (on login and logout)."""
    scope["csrf"]["cookie"] = _b64(secrets.token_bytes(32))


def _valid(key: bytes, cookie: str, token: str) -> bool:
    nonce, _, mac = token.partition(".")
    if not nonce or len(token) > 128:
        return False
    expected = _mac(key, nonce, cookie).encode()
    return hmac.compare_digest(mac.encode("utf-8", "replace"), expected)


class CSRFMiddleware:
    """Refuse unsafe requests without a valid token or from a foreign origin."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        key: bytes,
        secure: bool,
        trusted_origins: Sequence[str] = (),
        exempt: Sequence[str] = (),
    ) -> None:
        self.app = app
        self.key = key
        self.secure = secure
        self.trusted_origins = frozenset(trusted_origins)
        self.exempt = tuple(exempt)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.exempt):
            await self.app(scope, receive, send)
            return
        sent_cookie = self._cookie(scope)
        # A missing cookie is made only when a token is asked for: a response
        # that renders no form has no cookie to set.
        scope["csrf"] = {"key": self.key, "cookie": sent_cookie}
        if scope["method"] not in SAFE_METHODS:
            body, problem = await self._check(scope, receive, sent_cookie)
            if problem is not None:
                logger.warning("csrf check failed: %s path=%s", problem, scope["path"])
                await HTMLResponse(_FORBIDDEN, status_code=403)(scope, receive, send)
                return
            receive = _replay(body, receive)

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                cookie = scope["csrf"]["cookie"]
                if cookie is not None and cookie != sent_cookie:
                    MutableHeaders(scope=message).append(
                        "set-cookie", self._format(cookie, scope)
                    )
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    async def _check(
        self, scope: Scope, receive: Receive, cookie: str | None
    ) -> tuple[list[Message], str | None]:
        headers = dict(scope["headers"])
        origin = headers.get(b"origin", b"").decode("latin-1")
        if origin and not self._origin_ok(origin, scope):
            return [], f"foreign origin {origin[:100]!r}"
        if cookie is None:
            return [], "no csrf cookie"
        token = headers.get(HEADER_NAME, b"").decode("latin-1")
        body: list[Message] = []
        if not token:
            body, token = await self._form_token(headers, receive)
        if not token or not _valid(self.key, cookie, token):
            return body, "missing or wrong token"
        return body, None

    def _origin_ok(self, origin: str, scope: Scope) -> bool:
        if origin in self.trusted_origins:
            return True
        host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
        parts = urlsplit(origin)
        scheme: str = scope.get("scheme", "http")
        return parts.scheme == scheme and parts.netloc == host

    async def _form_token(
        self, headers: dict[bytes, bytes], receive: Receive
    ) -> tuple[list[Message], str]:
        body = await _read_body(receive)
        raw = b"".join(message.get("body", b"") for message in body)
        content_type, options = parse_options_header(headers.get(b"content-type", b""))
        if content_type == b"application/x-www-form-urlencoded":
            try:
                values = parse_qs(raw.decode("latin-1"), max_num_fields=MAX_FIELDS)
            except ValueError:
                return body, ""  # more fields than any form of ours has
            return body, values.get(FIELD_NAME, [""])[0]
        if content_type == b"multipart/form-data" and b"boundary" in options:
            return body, _multipart_field(raw, options[b"boundary"], FIELD_NAME)
        return body, ""

    def _cookie(self, scope: Scope) -> str | None:
        value = request_cookie(scope, COOKIE_NAME)
        return value if value and _COOKIE_SHAPE.match(value) else None

    def _format(self, value: str, scope: Scope) -> str:
        secure = "; Secure" if self.secure or scope.get("scheme") == "https" else ""
        return (
            f"{COOKIE_NAME}={value}; Path=/; Max-Age={COOKIE_MAX_AGE}; HttpOnly; "
            f"SameSite=Lax{secure}"
        )


async def _read_body(receive: Receive) -> list[Message]:
    messages = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            return messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    if not messages:
        return receive
    queue = list(messages)

    async def replay() -> Message:
        return queue.pop(0) if queue else await receive()

    return replay


def _multipart_field(raw: bytes, boundary: bytes, name: str) -> str:
    marker = f'name="{name}"'.encode()
    for part in raw.split(b"--" + boundary):
        head, _, value = part.partition(b"\r\n\r\n")
        if marker in head:
            return value.rstrip(b"\r\n").decode("latin-1")
    return ""
