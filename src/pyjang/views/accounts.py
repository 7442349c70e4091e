"""Register, log in and log out."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from pyjang.auth import login, logout, safe_next
from pyjang.csrf import rotate_csrf
from pyjang.models import MAX_EMAIL_LENGTH, User, normalize_email
from pyjang.passwords import (
    MAX_PASSWORD_LENGTH,
    check_password,
    hash_password,
    needs_rehash,
    password_problem,
)
from pyjang.ratelimits import auth_wait, limited_headers
from pyjang.runtime import runtime
from pyjang.templating import flash

__all__ = ["routes", "valid_email"]

MAX_FORM_FIELDS = 20
# No spaces, quotes, brackets or other characters that mail addresses only
# carry in quoted forms nobody types into a sign-up form.
_ATOM = r"[^@\s<>()\[\]\\,;:\"]+"
_EMAIL = re.compile(rf"^{_ATOM}@{_ATOM}\.{_ATOM}$")
BAD_CREDENTIALS = "Invalid email or password."
MISMATCH = "The two passwords do not match."


def valid_email(email: str) -> bool:
    """Return True for a plausible address of at most 254 characters."""
    return (
        len(email) <= MAX_EMAIL_LENGTH
        and bool(_EMAIL.match(email))
        and email.isprintable()
    )


async def _form(request: Request) -> FormData:
    return await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)


def _text(form: FormData, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def _done(request: Request, target: str) -> Response:
    if request.headers.get("hx-request"):
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def _limited(seconds: int) -> str:
    return f"Too many attempts. Please wait {seconds} seconds and try again."


def _page(request: Request, name: str, status: int, **context: Any) -> Response:
    context.setdefault("next", safe_next(request.query_params.get("next")))
    wait = context.pop("wait", None)
    headers = limited_headers(wait) if wait is not None else None
    templates = runtime(request).templates
    return templates.render(request, name, context, status_code=status, headers=headers)


async def register(request: Request) -> Response:
    """Show the form, or create the account and log it in."""
    if request.method == "GET":
        return _page(request, "accounts/register.html", 200, errors={}, email="")
    form = await _form(request)
    email = normalize_email(_text(form, "email"))
    password, confirm = _text(form, "password"), _text(form, "password_confirm")
    wait = await auth_wait(request, email[:MAX_EMAIL_LENGTH])
    if wait is not None:
        errors = {"email": _limited(wait)}
        return _page(
            request, "accounts/register.html", 429, errors=errors, email="", wait=wait
        )
    errors = _register_errors(email, password, confirm)
    if errors:
        return _page(
            request, "accounts/register.html", 400, errors=errors, email=email[:254]
        )
    state = runtime(request)
    async with state.database.session() as db:
        if await db.scalar(select(User.id).where(User.email == email)) is not None:
            errors = {"email": "An account with this email already exists."}
            return _page(
                request, "accounts/register.html", 400, errors=errors, email=email
            )
        user = User(email=email, password_hash=await hash_password(password))
        db.add(user)
        try:
            await db.flush()
            login(request, user)
            await db.commit()
        except IntegrityError:
            errors = {"email": "An account with this email already exists."}
            return _page(
                request, "accounts/register.html", 400, errors=errors, email=email
            )
    rotate_csrf(request.scope)
    flash(request, "Welcome! Your account is ready.", "success")
    return _done(request, safe_next(_text(form, "next")))


def _register_errors(email: str, password: str, confirm: str) -> dict[str, str]:
    errors = {}
    if not valid_email(email):
        errors["email"] = "Enter a valid email address."
    problem = password_problem(password, email=email)
    if problem:
        errors["password"] = problem
    elif password != confirm:
        errors["password_confirm"] = MISMATCH
    return errors


async def login_view(request: Request) -> Response:
    """Show the form, or check the credentials and log the user in."""
    if request.method == "GET":
        return _page(request, "accounts/login.html", 200, error=None, email="")
    form = await _form(request)
    email = normalize_email(_text(form, "email"))
    password = _text(form, "password")
    wait = await auth_wait(request, email[:MAX_EMAIL_LENGTH])
    if wait is not None:
        error = _limited(wait)
        return _page(
            request, "accounts/login.html", 429, error=error, email="", wait=wait
        )
    if not email or not password or len(password) > MAX_PASSWORD_LENGTH:
        error = "Enter your email and password."
        return _page(
            request, "accounts/login.html", 400, error=error, email=email[:254]
        )
    state = runtime(request)
    async with state.database.session() as db:
        user = await db.scalar(select(User).where(User.email == email))
        matched = await check_password(password, user.password_hash if user else None)
        if user is None or not matched or not user.is_active:
            return _page(
                request, "accounts/login.html", 401, error=BAD_CREDENTIALS, email=email
            )
        if user.password_hash and needs_rehash(user.password_hash):
            user.password_hash = await hash_password(password)
        login(request, user)
        await db.commit()
    rotate_csrf(request.scope)
    return _done(request, safe_next(_text(form, "next")))


async def logout_view(request: Request) -> Response:
    """End the session everywhere and go home."""
    logout(request)
    rotate_csrf(request.scope)
    return _done(request, "/")


routes = [
    Route("/register", register, methods=["GET", "POST"]),
    Route("/login", login_view, methods=["GET", "POST"]),
    Route("/logout", logout_view, methods=["POST"]),
]
