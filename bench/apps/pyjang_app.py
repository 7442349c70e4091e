"""pyjang's starter app plus ``/hello``, a trivial route behind the full stack.

Served with ``pyjang run --app bench.apps.pyjang_app:make_app``.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from pyjang import create_app

__all__ = ["hello", "make_app"]


async def hello(request: Request) -> Response:
    """Answer a fixed text: no store, no query, no template."""
    return PlainTextResponse("hello, world")


def make_app() -> Starlette:
    """Return the starter app with ``/hello`` added."""
    return create_app(routes=[Route("/hello", hello)])
