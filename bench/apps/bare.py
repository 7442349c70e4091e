"""The ceilings: a bare ASGI callable and a bare Starlette app saying hello."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

__all__ = ["asgi_app", "starlette_app"]

_BODY = b"hello, world"
_START = {
    "type": "http.response.start",
    "status": 200,
    "headers": [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(_BODY)).encode()),
    ],
}


async def asgi_app(scope: Scope, receive: Receive, send: Send) -> None:
    """Answer every HTTP request with the same text; ignore lifespan."""
    if scope["type"] != "http":
        return
    await send(_START)
    await send({"type": "http.response.body", "body": _BODY})


async def _hello(request: Request) -> Response:
    return PlainTextResponse("hello, world")


starlette_app = Starlette(routes=[Route("/hello", _hello)])
