"""Reset a forgotten password through a link sent by e-mail.

A token is ``<user id>.<expiry>.<mac>``: an HMAC, under a key derived from
``SESSION_KEY``, over the user's id, the expiry and the user's auth version.
Setting the password bumps the auth version in the same conditional UPDATE
that checks it, so a token works once, dies with any later password or
privilege change, and every session of the user ends. Links are built from
``PUBLIC_URL``, never from the request's Host.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import time
import uuid

from sqlalchemy import select, update
from starlette.background import BackgroundTask
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from pyjang.mail import Mail, send_mail
from pyjang.models import User, normalize_email, utcnow
from pyjang.passwords import hash_password, password_problem
from pyjang.ratelimits import check_auth_limit
from pyjang.runtime import runtime
from pyjang.settings import Settings
from pyjang.templating import flash
from pyjang.views.accounts import valid_email

__all__ = ["RESET_LIFETIME", "make_token", "reset_base_url", "routes"]

logger = logging.getLogger(__name__)

RESET_LIFETIME = 3600
MAX_FORM_FIELDS = 10
_PURPOSE = b"pyjang password reset v1"
_TOKEN = re.compile(r"^([0-9a-f]{32})\.([0-9a-f]{1,12})\.([A-Za-z0-9_-]{43})$")
_PRIVATE_HEADERS = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
INVALID = "This reset link is invalid, expired or already used."


def _mac(key: bytes, payload: str, version: int) -> str:
    derived = hmac.new(key, _PURPOSE, hashlib.sha256).digest()
    digest = hmac.new(derived, f"{payload}.{version}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()


def make_token(settings: Settings, user: User, *, now: float | None = None) -> str:
    """Return a reset token for ``user`` valid for RESET_LIFETIME seconds."""
    expires = int((time.time() if now is None else now) + RESET_LIFETIME)
    payload = f"{user.id.hex}.{expires:x}"
    return f"{payload}.{_mac(settings.signing_keys[0], payload, user.auth_version)}"


def reset_base_url(settings: Settings) -> str | None:
    """Return the base of reset links: PUBLIC_URL, or loopback in development."""
    if settings.public_url:
        return settings.public_url
    if settings.debug:
        return f"http://127.0.0.1:{settings.port}"
    return None


async def _user_for(request: Request, token: str) -> User | None:
    match = _TOKEN.match(token)
    if match is None or int(match.group(2), 16) < time.time():
        return None
    user_hex, expiry, mac = match.groups()
    async with runtime(request).database.session() as db:
        user = await db.get(User, uuid.UUID(hex=user_hex))
    if user is None or not user.is_active:
        return None
    payload = f"{user_hex}.{expiry}"
    keys = runtime(request).settings.signing_keys
    if any(
        hmac.compare_digest(mac, _mac(key, payload, user.auth_version)) for key in keys
    ):
        return user
    return None


async def _form(request: Request) -> FormData:
    return await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)


def _text(form: FormData, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def _page(
    request: Request, name: str, status: int = 200, **context: object
) -> Response:
    return runtime(request).templates.render(
        request, f"password_reset/{name}", dict(context), status_code=status
    )


def _reset_mail(request: Request, user: User) -> Mail | None:
    settings = runtime(request).settings
    base = reset_base_url(settings)
    if base is None:
        logger.error("PUBLIC_URL is not set; no password reset link can be sent")
        return None
    link = f"{base}/password-reset/{make_token(settings, user)}"
    body = runtime(request).templates.render_string(
        "password_reset/mail.txt", {"link": link, "minutes": RESET_LIFETIME // 60}
    )
    return Mail(to=user.email, subject="Reset your password", body=body)


async def request_reset(request: Request) -> Response:
    """Show the form, or mail a reset link; the answer never tells who exists."""
    if request.method == "GET":
        return _page(request, "request.html", email="", error=None)
    form = await _form(request)
    email = normalize_email(_text(form, "email"))
    limited = await check_auth_limit(request, email)
    if limited is not None:
        return limited
    if not valid_email(email):
        error = "Enter a valid email address."
        return _page(request, "request.html", 400, email=email[:254], error=error)
    async with runtime(request).database.session() as db:
        user = await db.scalar(select(User).where(User.email == email))
    response = _page(request, "sent.html")
    mail = _reset_mail(request, user) if user and user.is_active else None
    if mail is not None:
        # Sent after answering, so the answer takes as long either way.
        response.background = BackgroundTask(send_mail, runtime(request).settings, mail)
    return response


async def reset(request: Request) -> Response:
    """Show the new-password form for a valid token, or set the password."""
    token = str(request.path_params["token"])
    user = await _user_for(request, token)
    if user is None:
        return _page(request, "invalid.html", 400, message=INVALID)
    if request.method == "GET":
        response = _page(request, "reset.html", errors={}, token=token)
        response.headers.update(_PRIVATE_HEADERS)
        return response
    form = await _form(request)
    password, confirm = _text(form, "password"), _text(form, "password_confirm")
    problem = password_problem(password, email=user.email)
    errors = {"password": problem} if problem else {}
    if not problem and password != confirm:
        errors = {"password_confirm": "The two passwords do not match."}
    if errors:
        return _page(request, "reset.html", 400, errors=errors, token=token)
    if not await _set_password(request, user, await hash_password(password)):
        return _page(request, "invalid.html", 400, message=INVALID)
    logger.info("password reset user=%s", user.id)
    flash(request, "Your password is changed; log in with the new one.", "success")
    return RedirectResponse("/login", status_code=303)


async def _set_password(request: Request, user: User, hashed: str) -> bool:
    # The auth version is bumped (bump_auth_version's effect) by the same
    # UPDATE that checks it: of two uses of one token, only one matches.
    statement = (
        update(User)
        .where(User.id == user.id, User.auth_version == user.auth_version)
        .values(
            password_hash=hashed,
            auth_version=User.auth_version + 1,
            updated_at=utcnow(),
        )
    )
    async with runtime(request).database.session() as db:
        result = await db.execute(statement)
        await db.commit()
    return bool(getattr(result, "rowcount", 0) == 1)


routes = [
    Route("/password-reset", request_reset, methods=["GET", "POST"]),
    Route("/password-reset/{token}", reset, methods=["GET", "POST"]),
]
