"""The home page and the logged-in dashboard."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pyjang.auth import login_required
from pyjang.runtime import runtime

__all__ = ["routes"]


async def home(request: Request) -> Response:
    """Show the welcome page."""
    return runtime(request).templates.render(request, "home.html")


@login_required
async def dashboard(request: Request) -> Response:
    """Show the logged-in user's dashboard."""
    return runtime(request).templates.render(
        request, "dashboard.html", _served_by(request)
    )


@login_required
async def served_by(request: Request) -> Response:
    """Return the fragment telling which instance answered (HTMX refresh)."""
    context = _served_by(request)
    return runtime(request).templates.render(
        request, "partials/served_by.html", context
    )


def _served_by(request: Request) -> dict[str, object]:
    state = runtime(request)
    session = request.scope["session"]
    return {
        "instance": state.settings.instance_name,
        "session_age": int(time.time() - session.created_at),
    }


routes = [
    Route("/", home),
    Route("/dashboard", dashboard),
    Route("/dashboard/served-by", served_by),
]
