"""Read one cookie from an ASGI scope, for middleware that runs before views."""

from __future__ import annotations

from starlette.requests import cookie_parser
from starlette.types import Scope

__all__ = ["request_cookie"]


def request_cookie(scope: Scope, name: str) -> str | None:
    """Return the value of cookie ``name``, or None when it was not sent.

    Several ``Cookie`` headers (as HTTP/2 may send) are read as one.
    """
    raw = "; ".join(
        value.decode("latin-1")
        for header, value in scope.get("headers", ())
        if header == b"cookie"
    )
    return cookie_parser(raw).get(name) if raw else None
