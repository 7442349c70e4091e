"""ASGI middleware that puts ``scope["session"]`` around every request."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from starlette.datastructures import MutableHeaders
from starlette.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pyjang.cookies import request_cookie
from pyjang.errors import StoreError
from pyjang.sessions.manager import SessionManager
from pyjang.sessions.session import Session

__all__ = ["SessionMiddleware", "current_session", "unavailable_response"]

logger = logging.getLogger(__name__)

_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Briefly unavailable</title><link rel="stylesheet" href="/static/pyjang.css">
</head><body><main class="container">{body}</main></body></html>"""
_MESSAGE = (
    '<div class="alert alert-error" role="alert"><strong>The service is briefly '
    "unavailable.</strong> Nothing was lost; please try again in a moment.</div>"
)
RETRY_AFTER_SECONDS = "5"


def unavailable_response(scope: Scope) -> HTMLResponse:
    """Return the 503 page (or HTMX fragment) shown when a store fails."""
    headers = dict(scope.get("headers", ()))
    htmx = b"hx-request" in headers
    body = _MESSAGE if htmx else _PAGE.format(body=_MESSAGE)
    response = HTMLResponse(body, status_code=503)
    response.headers["Retry-After"] = RETRY_AFTER_SECONDS
    response.headers["Cache-Control"] = "no-store"
    if htmx:
        response.headers["HX-Retarget"] = "#messages"
        response.headers["HX-Reswap"] = "innerHTML"
    return response


class SessionMiddleware:
    """Load the session before the view and commit it before the response.

    Paths under ``exempt`` get no session at all (health checks, static files).
    A failing store answers 503 and leaves the cookie untouched.
    """

    def __init__(
        self, app: ASGIApp, manager: SessionManager, *, exempt: Sequence[str] = ()
    ) -> None:
        self.app = app
        self.manager = manager
        self.exempt = tuple(exempt)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.exempt):
            await self.app(scope, receive, send)
            return
        try:
            session = await self.manager.load(self._cookie(scope))
        except StoreError as error:
            logger.error("session store failed on load: %s", error)
            await unavailable_response(scope)(scope, receive, send)
            return
        scope["session"] = session
        https = scope.get("scheme") == "https"
        failed = False

        async def send_with_session(message: Message) -> None:
            nonlocal failed
            if message["type"] == "http.response.start":
                try:
                    cookie = await self.manager.commit(session, https=https)
                except StoreError as error:
                    logger.error("session store failed on commit: %s", error)
                    failed = True
                    await unavailable_response(scope)(scope, receive, send)
                    return
                if cookie is not None:
                    MutableHeaders(scope=message).append("set-cookie", cookie)
                    MutableHeaders(scope=message).append("vary", "Cookie")
            elif failed:
                return
            await send(message)

        await self.app(scope, receive, send_with_session)

    def _cookie(self, scope: Scope) -> str | None:
        return request_cookie(scope, self.manager.cookie_name)


def current_session(scope: Scope) -> Session:
    """Return the request's session; raise RuntimeError outside the middleware."""
    session = scope.get("session")
    if not isinstance(session, Session):
        raise RuntimeError("SessionMiddleware is not installed for this path")
    return session
