"""The dashboard written by hand: Starlette, SQLAlchemy Core, redis-py, Jinja2.

It reads the sessions pyjang writes (a signed ``session_id`` cookie naming a
Redis entry), loads the user with one query and renders the same page, the
way the libraries' documentation shows (``engine.connect()``, ``execute``).
Served with ``uvicorn bench.apps.starlette_app:app``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import jinja2
from redis.asyncio import Redis
from sqlalchemy import Boolean, Column, Integer, MetaData, String, Table, Uuid, select
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Route

__all__ = ["app"]

SESSION_LABEL = b"pyjang.session.v1:"
SESSION_PREFIX = "pyjang:session:"
IDLE_MS = 30 * 60 * 1000

users = Table(
    "pyjang_users",
    MetaData(),
    Column("id", Uuid, primary_key=True),
    Column("email", String),
    Column("is_active", Boolean),
    Column("is_staff", Boolean),
    Column("is_superuser", Boolean),
    Column("auth_version", Integer),
)
_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    auto_reload=False,  # as in production: no stat() of each template per render
)
_key = os.environ["SESSION_KEY"].encode()
# The bench gives this app the same pool as pyjang's workers (its share of
# wrk's connections, no overflow), so the two differ in code, not in settings.
_engine = create_async_engine(
    os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+asyncpg://", 1),
    pool_size=int(os.environ.get("DATABASE_POOL_SIZE", "5")),
    max_overflow=int(os.environ.get("DATABASE_MAX_OVERFLOW", "10")),
)
_redis = Redis.from_url(os.environ["REDIS_URL"])


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _token(cookie: str | None) -> str | None:
    if not cookie or "." not in cookie:
        return None
    token, _, signature = cookie.partition(".")
    mac = hmac.new(_key, SESSION_LABEL + token.encode(), hashlib.sha256).digest()
    return token if hmac.compare_digest(signature, _b64(mac)) else None


async def _session(request: Request) -> dict[str, Any] | None:
    token = _token(request.cookies.get("session_id"))
    if token is None:
        return None
    digest = hashlib.sha256(token.encode()).hexdigest()
    raw = await _redis.getex(SESSION_PREFIX + digest, px=IDLE_MS)
    return json.loads(raw)["d"] if raw else None


async def dashboard(request: Request) -> Response:
    """Show the logged-in user's page; send anyone else to the login page."""
    data = await _session(request)
    if not data or "_auth_user_id" not in data:
        return RedirectResponse("/login?next=/dashboard", status_code=302)
    query = select(users).where(users.c.id == uuid.UUID(data["_auth_user_id"]))
    async with _engine.connect() as connection:
        user = (await connection.execute(query)).first()
    if user is None or not user.is_active:
        return RedirectResponse("/login?next=/dashboard", status_code=302)
    nonce = _b64(secrets.token_bytes(12))
    csrf = hmac.new(_key, nonce.encode(), hashlib.sha256).hexdigest()
    page = _templates.get_template("dashboard.html").render(
        user=user, csrf_token=f"{nonce}.{csrf}", instance="starlette"
    )
    return HTMLResponse(page)


async def hello(request: Request) -> Response:
    """Answer a fixed text."""
    return PlainTextResponse("hello, world")


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    """Close the pools when the worker stops."""
    yield
    await _redis.aclose()
    await _engine.dispose()


app = Starlette(
    routes=[Route("/dashboard", dashboard), Route("/hello", hello)],
    lifespan=lifespan,
)
