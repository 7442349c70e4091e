"""The application factory: settings in, a complete ASGI app out."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from pyjang import health, probes, views
from pyjang.auth import AuthMiddleware
from pyjang.csrf import CSRFMiddleware
from pyjang.errors import StoreError
from pyjang.metrics import metrics_route
from pyjang.middleware import (
    AllowedHostsMiddleware,
    BodyLimitMiddleware,
    HTTPSRedirectMiddleware,
    ProxyHeadersMiddleware,
    RequestLogMiddleware,
    SecurityHeadersMiddleware,
)
from pyjang.runtime import Runtime
from pyjang.sessions import SessionMiddleware
from pyjang.sessions.middleware import unavailable_response
from pyjang.settings import Settings, load_settings
from pyjang.templating import Templates

__all__ = ["create_app"]

logger = logging.getLogger(__name__)

PACKAGE_STATIC = Path(__file__).parent / "static"
OPERATIONS_PATHS = ("/health", "/ready", "/metrics")
NO_SESSION_PATHS = (*OPERATIONS_PATHS, "/static/")
_ERROR_TITLES = {
    400: "Bad request",
    403: "Forbidden",
    404: "Page not found",
    405: "Method not allowed",
    500: "Something went wrong",
}


class CachedStaticFiles(StaticFiles):
    """Serve static files with ``Cache-Control``; versioned vendor files forever."""

    def file_response(
        self, full_path: Any, stat_result: Any, scope: Scope, status_code: int = 200
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        immutable = scope["path"].startswith("/vendor/") or "/vendor/" in scope["path"]
        response.headers["Cache-Control"] = (
            "public, max-age=31536000, immutable"
            if immutable
            else "public, max-age=3600"
        )
        return response


class StartupGate:
    """Answer 503 to ordinary requests until migrations have been applied."""

    def __init__(self, app: ASGIApp, state: Runtime) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and not self.state.migrated.is_set()
            and not scope["path"].startswith(NO_SESSION_PATHS)
        ):
            response = PlainTextResponse("Starting up; try again in a moment.", 503)
            response.headers["Retry-After"] = "2"
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _middleware(settings: Settings, state: Runtime) -> list[Middleware]:
    production = not settings.debug
    trusted_origins = [settings.public_url] if settings.public_url else []
    stack = [
        Middleware(RequestLogMiddleware),
        Middleware(ProxyHeadersMiddleware, trusted=settings.trusted_proxies),
        Middleware(SecurityHeadersMiddleware, hsts=production),
        Middleware(
            AllowedHostsMiddleware,
            allowed=settings.allowed_hosts,
            exempt=OPERATIONS_PATHS,
        ),
    ]
    if production and settings.https_redirect:
        stack.append(Middleware(HTTPSRedirectMiddleware, exempt=OPERATIONS_PATHS))
    stack += [
        Middleware(BodyLimitMiddleware, limit=settings.max_body_size),
        Middleware(StartupGate, state=state),
        Middleware(SessionMiddleware, manager=state.sessions, exempt=NO_SESSION_PATHS),
        Middleware(
            AuthMiddleware,
            database=state.database,
            timeout=settings.session_store_timeout,
        ),
        Middleware(
            CSRFMiddleware,
            key=settings.csrf_key,
            secure=production,
            trusted_origins=trusted_origins,
            exempt=NO_SESSION_PATHS,
        ),
    ]
    return stack


def _error_handlers(templates: Templates, debug: bool) -> dict[Any, Any]:
    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return _error_page(request, exc.status_code, exc.detail, exc.headers)

    async def server_error(request: Request, exc: Exception) -> Response:
        return _error_page(
            request, 500, "The error was logged; please try again.", None
        )

    def _error_page(
        request: Request, status: int, detail: str, headers: Mapping[str, str] | None
    ) -> Response:
        title = _ERROR_TITLES.get(status, "Error")
        context = {"status": status, "title": title, "detail": detail}
        try:
            return templates.render(
                request, "error.html", context, status_code=status, headers=headers
            )
        except Exception:
            logger.exception("error page failed to render")
            return PlainTextResponse(f"{status} {title}", status_code=status)

    async def store_error(request: Request, exc: Exception) -> Response:
        logger.error("a store failed: %s", exc)
        return unavailable_response(request.scope)

    handlers: dict[Any, Any] = {HTTPException: http_error, StoreError: store_error}
    if not debug:
        handlers[500] = server_error
    return handlers


def create_app(
    settings: Settings | None = None,
    *,
    routes: Sequence[BaseRoute] = (),
    template_dirs: Sequence[str | Path] = (),
    static_dir: str | Path | None = None,
    migrations: Sequence[Path] = (),
) -> Starlette:
    """Return the ASGI app: the starter routes plus ``routes``.

    ``template_dirs`` are searched before pyjang's own templates, so an app
    can override ``base.html``; ``static_dir`` is served under ``/static/``
    before the package's files; ``migrations`` are extra Alembic version
    folders for the app's own models. Settings default to the environment.
    """
    settings = settings or load_settings()
    templates = Templates(template_dirs, debug=settings.debug)
    state = Runtime.build(settings, templates, list(migrations))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await state.start()
        try:
            yield
        finally:
            await state.stop()

    static = CachedStaticFiles(directory=static_dir, packages=[("pyjang", "static")])
    token = (
        settings.metrics_token.get_secret_value() if settings.metrics_token else None
    )
    all_routes = [
        *health.routes,
        metrics_route(settings.trusted_proxies, token),
        probes.session_probe_route(settings.trusted_proxies, token),
        *routes,
        *views.routes,
        Mount("/static", app=static, name="static"),
    ]
    app = Starlette(
        debug=settings.debug,
        routes=all_routes,
        middleware=_middleware(settings, state),
        exception_handlers=_error_handlers(templates, settings.debug),
        lifespan=lifespan,
    )
    app.state.runtime = state
    return app
