"""Jinja2 pages with layouts and partials, HTMX-aware, and flash messages.

A page template extends ``base.html`` and fills its ``content`` block. When
the request comes from HTMX (``HX-Request``) and is not a boosted navigation,
only that block is rendered, so the same view serves the page and the
fragment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from pyjang.csrf import csrf_token
from pyjang.sessions import Session

__all__ = ["Templates", "flash", "is_htmx"]

FLASH_KEY = "_flash"
FRAGMENT_BLOCK = "content"
STATIC_VERSION = "1"


def is_htmx(request: Request) -> bool:
    """Return True for an HTMX request that wants a fragment, not a page."""
    headers = request.headers
    return headers.get("hx-request") == "true" and headers.get("hx-boosted") != "true"


def flash(request: Request, message: str, category: str = "info") -> None:
    """Queue ``message`` to show on the next page this session renders."""
    session = request.scope.get("session")
    if isinstance(session, Session):
        session[FLASH_KEY] = [*session.get(FLASH_KEY, []), [category, message]]


def _take_flashes(request: Request) -> list[list[str]]:
    session = request.scope.get("session")
    if not isinstance(session, Session) or FLASH_KEY not in session:
        return []
    messages: list[list[str]] = session.pop(FLASH_KEY)
    return messages


class Templates:
    """Render templates from the app's folders first, then pyjang's own."""

    def __init__(
        self, directories: Sequence[str | Path] = (), *, debug: bool = False
    ) -> None:
        loaders: list[jinja2.BaseLoader] = [jinja2.FileSystemLoader(list(directories))]
        loaders.append(jinja2.PackageLoader("pyjang", "templates"))
        self.env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=jinja2.select_autoescape(default=True),
            auto_reload=debug,
            enable_async=False,
        )
        self.env.globals["static_version"] = STATIC_VERSION

    def render(
        self,
        request: Request,
        name: str,
        context: dict[str, Any] | None = None,
        *,
        status_code: int = 200,
        fragment: bool | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> HTMLResponse:
        """Return ``name`` rendered as a page, or its content block for HTMX."""
        template = self.env.get_template(name)
        values = self._context(request, context or {})
        want_fragment = is_htmx(request) if fragment is None else fragment
        if want_fragment and FRAGMENT_BLOCK in template.blocks:
            block = template.blocks[FRAGMENT_BLOCK]
            html = "".join(block(template.new_context(values)))
        else:
            html = template.render(values)
        response = HTMLResponse(html, status_code=status_code, headers=headers)
        # The same URL answers a page or a fragment, and may show a user's data.
        response.headers.append("Vary", "HX-Request")
        user = request.scope.get("user")
        if getattr(user, "is_authenticated", False):
            response.headers.setdefault("Cache-Control", "private, no-store")
        return response

    def render_string(self, name: str, context: dict[str, Any]) -> str:
        """Return ``name`` rendered with ``context`` alone (mail bodies, files)."""
        return self.env.get_template(name).render(context)

    def _context(self, request: Request, context: dict[str, Any]) -> dict[str, Any]:
        token = csrf_token(request.scope) if "csrf" in request.scope else ""
        return {
            "request": request,
            "user": request.scope.get("user"),
            "csrf_token": token,
            "messages": _take_flashes(request),
            **context,
        }
