"""Who is making the request: login, logout, the user on the scope, and guards."""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from sqlalchemy import bindparam, select
from sqlalchemy.orm import make_transient_to_detached
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from pyjang.database import Database
from pyjang.errors import StoreError
from pyjang.models import User, utcnow
from pyjang.sessions import Session, current_session
from pyjang.sessions.middleware import unavailable_response
from pyjang.sessions.stores.guard import bounded

__all__ = [
    "ANONYMOUS",
    "AnonymousUser",
    "AuthMiddleware",
    "admin_required",
    "login",
    "login_required",
    "logout",
    "safe_next",
    "staff_required",
]

logger = logging.getLogger(__name__)

USER_KEY = "_auth_user_id"
VERSION_KEY = "_auth_version"
LOGIN_URL = "/login"
DEFAULT_NEXT = "/dashboard"
MAX_NEXT_LENGTH = 2048

Endpoint = Callable[[Request], Awaitable[Response]]

# Built once: every request runs the same compiled statement with a new id.
_USER_ATTRIBUTES = tuple(
    (prop.key, prop.columns[0].name) for prop in User.__mapper__.column_attrs
)
_USER_CLASS = User.__mapper__.class_manager
_USER_BY_ID = select(*User.__table__.columns).where(
    User.__table__.c.id == bindparam("user_id")
)


class AnonymousUser:
    """The user of a request that is not logged in."""

    id = None
    email = ""
    is_authenticated = False
    is_active = False
    is_staff = False
    is_superuser = False
    display_name = "anonymous"

    def __repr__(self) -> str:
        return "<AnonymousUser>"


ANONYMOUS = AnonymousUser()


def login(request: Request, user: User) -> None:
    """Log ``user`` in: a new session token, their id and auth version in it."""
    session = current_session(request.scope)
    session.cycle()
    session[USER_KEY] = str(user.id)
    session[VERSION_KEY] = user.auth_version
    user.last_login = utcnow()
    request.scope["user"] = user
    logger.info("login user=%s", user.id)


def logout(request: Request) -> None:
    """End the session everywhere: its store entry is deleted."""
    session = current_session(request.scope)
    user = request.scope.get("user")
    session.destroy()
    request.scope["user"] = ANONYMOUS
    logger.info("logout user=%s", getattr(user, "id", None))


def refresh_login(request: Request, user: User) -> None:
    """Keep ``user`` logged in here after their auth version changed."""
    session = current_session(request.scope)
    session.cycle()
    session[VERSION_KEY] = user.auth_version


def safe_next(value: str | None, default: str = DEFAULT_NEXT) -> str:
    """Return ``value`` when it is a path on this site, else ``default``."""
    if not value or len(value) > MAX_NEXT_LENGTH or not value.startswith("/"):
        return default
    if value.startswith("//") or "\\" in value or not value.isprintable():
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value


class AuthMiddleware:
    """Put the logged-in user (or ANONYMOUS) on ``scope["user"]``.

    A session whose user is gone, inactive or on another auth version (the
    password or privileges changed) is ended.
    """

    def __init__(self, app: ASGIApp, database: Database, *, timeout: float) -> None:
        self.app = app
        self.database = database
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        session = scope.get("session")
        if scope["type"] == "http" and isinstance(session, Session):
            try:
                scope["user"] = await self._user(session)
            except StoreError as error:
                logger.error("loading the user failed: %s", error)
                await unavailable_response(scope)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _user(self, session: Session) -> User | AnonymousUser:
        raw_id = session.get(USER_KEY)
        if raw_id is None:
            return ANONYMOUS
        try:
            user_id = uuid.UUID(str(raw_id))
        except ValueError:
            session.destroy()
            return ANONYMOUS
        work = self._load(user_id)
        user = await bounded("database", self.timeout, "load_user", work, detach=False)
        if (
            user is None
            or not user.is_active
            or user.auth_version != session.get(VERSION_KEY)
        ):
            session.destroy()
            return ANONYMOUS
        return user

    async def _load(self, user_id: uuid.UUID) -> User | None:
        row = await self.database.fetch_row(_USER_BY_ID, {"user_id": user_id})
        return None if row is None else _detached_user(row)


def _detached_user(row: Mapping[str, Any]) -> User:
    # The same detached instance an ORM session gives once closed, without
    # the session: every column loaded, no pending changes. The values go
    # straight into the instance's dict, as the ORM's own loading does,
    # instead of through each attribute's change tracking.
    user: User = _USER_CLASS.new_instance()
    user.__dict__.update({key: row[name] for key, name in _USER_ATTRIBUTES})
    make_transient_to_detached(user)
    return user


def _login_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    location = f"{LOGIN_URL}?next={quote(target, safe='/')}"
    if request.headers.get("hx-request"):
        return Response(status_code=200, headers={"HX-Redirect": location})
    return RedirectResponse(location, status_code=302)


def _guard(allowed: Callable[[Any], bool]) -> Callable[[Endpoint], Endpoint]:
    def decorate(endpoint: Endpoint) -> Endpoint:
        @functools.wraps(endpoint)
        async def guarded(request: Request) -> Response:
            user = request.scope.get("user", ANONYMOUS)
            if not user.is_authenticated:
                return _login_redirect(request)
            if not allowed(user):
                raise HTTPException(403, "You do not have access to this page.")
            return await endpoint(request)

        return guarded

    return decorate


login_required = _guard(lambda user: True)
login_required.__doc__ = "Send anonymous visitors to the login page first."
staff_required = _guard(lambda user: user.is_staff or user.is_superuser)
staff_required.__doc__ = "Allow only staff and superusers; others get 403."
admin_required = _guard(lambda user: user.is_superuser)
admin_required.__doc__ = "Allow only superusers; others get 403."
