"""User management for staff: list, search, create, edit, deactivate.

The rules of :mod:`pyjang.admin.accounts` apply: staff manage ordinary
accounts, only superusers grant rights or touch a superuser's account, and
nobody locks themself out. Every change is recorded in the audit log, and a
change of password, active flag or rights ends the user's other sessions.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from pyjang.admin.accounts import (
    ONLY_SUPERUSERS,
    PRIVILEGES,
    account_errors,
    can_manage,
    end_sessions_if_needed,
)
from pyjang.admin.audit import Changes, record
from pyjang.admin.listing import escape_like
from pyjang.auth import refresh_login, staff_required
from pyjang.models import User
from pyjang.passwords import hash_password, password_problem
from pyjang.runtime import runtime
from pyjang.templating import flash, is_htmx

__all__ = ["PER_PAGE", "routes"]

PER_PAGE = 25
MAX_FORM_FIELDS = 20
EDITABLE = ("email", "password_hash", "is_active", *PRIVILEGES)


def _render(
    request: Request, name: str, context: dict[str, Any], status: int = 200
) -> Response:
    fragment = True if name.split("/")[-1].startswith("_") else None
    return runtime(request).templates.render(
        request, name, context, status_code=status, fragment=fragment
    )


async def _target(db: AsyncSession, request: Request) -> User:
    try:
        user_id = uuid.UUID(str(request.path_params["id"]))
    except ValueError:
        user_id = None
    user = await db.get(User, user_id) if user_id else None
    if user is None:
        raise HTTPException(404, "There is no such user.")
    if not can_manage(request.scope["user"], user):
        raise HTTPException(403, "Only superusers may change a superuser's account.")
    return user


@staff_required
async def list_users(request: Request) -> Response:
    """Show a page of accounts, searchable by e-mail address."""
    q = request.query_params.get("q", "")[:200].strip()
    raw_page = request.query_params.get("page", "1")
    page = int(raw_page) if raw_page.isdigit() and len(raw_page) < 7 else 1
    query = select(User)
    if q:
        query = query.where(User.email.ilike(f"%{escape_like(q)}%", escape="\\"))
    async with runtime(request).database.session() as db:
        counted = select(func.count()).select_from(query.subquery())
        total = int(await db.scalar(counted) or 0)
        pages = max(1, -(-total // PER_PAGE))
        page = max(1, min(page, pages))
        ordered = query.order_by(User.email, User.id)
        found = await db.scalars(ordered.offset((page - 1) * PER_PAGE).limit(PER_PAGE))
        users = list(found)
    context = {"users": users, "q": q, "page": page, "pages": pages, "total": total}
    if is_htmx(request) and request.headers.get("hx-target") == "user-table":
        return _render(request, "users/_table.html", {**context, "partial": True})
    return _render(request, "users/list.html", context)


def _text(form: FormData, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def _read(
    form: FormData, actor: Any, target: User | None
) -> tuple[dict[str, Any], dict[str, str]]:
    changes: dict[str, Any] = {"email": _text(form, "email")}
    errors: dict[str, str] = {}
    if target is not None:
        changes["is_active"] = _text(form, "is_active") == "on"
    for key in PRIVILEGES:
        if actor.is_superuser:
            changes[key] = _text(form, key) == "on"
        elif key in form:
            errors[key] = ONLY_SUPERUSERS
    password = _text(form, "password")
    if password or target is None:
        problem = password_problem(password, email=changes["email"])
        if problem:
            errors["password"] = problem
        changes["password_hash"] = password
    refused = account_errors(actor, target, changes)
    if "password_hash" in refused:
        refused["password"] = refused.pop("password_hash")
    errors.update(refused)
    return changes, errors


def _form_page(
    request: Request,
    target: User | None,
    values: dict[str, Any],
    errors: dict[str, str],
) -> Response:
    context = {"target": target, "values": values, "errors": errors}
    return _render(request, "users/form.html", context, 400 if errors else 200)


def _values(user: User | None) -> dict[str, Any]:
    if user is None:
        return {
            "email": "",
            "is_active": True,
            "is_staff": False,
            "is_superuser": False,
        }
    return {key: getattr(user, key) for key in ("email", "is_active", *PRIVILEGES)}


@staff_required
async def new_user(request: Request) -> Response:
    """Show the form for a new account."""
    return _form_page(request, None, _values(None), {})


@staff_required
async def edit_user(request: Request) -> Response:
    """Show an account's form."""
    async with runtime(request).database.session() as db:
        target = await _target(db, request)
    return _form_page(request, target, _values(target), {})


async def _save(
    db: AsyncSession, request: Request, target: User, changes: dict[str, Any]
) -> Changes:
    created = target.id is None
    diff: Changes = {}
    if not created:
        end_sessions_if_needed(target, changes)
    for key, value in changes.items():
        old = None if created else getattr(target, key)
        if key == "password_hash":
            value = await hash_password(value)
        if created or old != value:
            diff[key] = (old, value)
        setattr(target, key, value)
    if created:
        db.add(target)
    await db.flush()
    if diff:
        action = "create" if created else "update"
        record(
            db, request, model="user", object_id=target.id, action=action, changes=diff
        )
    return diff


async def _submit(request: Request, target_id: bool) -> Response:
    actor = request.scope["user"]
    form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    async with runtime(request).database.session() as db:
        target = await _target(db, request) if target_id else None
        changes, errors = _read(form, actor, target)
        taken = select(User.id).where(User.email == changes["email"])
        if target is not None:
            taken = taken.where(User.id != target.id)
        if "email" not in errors and await db.scalar(taken) is not None:
            errors["email"] = "An account with this email already exists."
        if errors:
            sent = {k: v for k, v in changes.items() if k != "password_hash"}
            return _form_page(request, target, {**_values(target), **sent}, errors)
        user = target or User()
        await _save(db, request, user, changes)
        await db.commit()
    if user.id == actor.id and user.auth_version != actor.auth_version:
        refresh_login(request, user)
    flash(request, f"Saved {user.email}.", "success")
    return RedirectResponse("/users", status_code=303)


@staff_required
async def create_user(request: Request) -> Response:
    """Create the account the form sent."""
    return await _submit(request, False)


@staff_required
async def update_user(request: Request) -> Response:
    """Save the changes the form sent to an account."""
    return await _submit(request, True)


async def _set_active(request: Request, active: bool) -> Response:
    form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    async with runtime(request).database.session() as db:
        target = await _target(db, request)
        if not active and form.get("confirm") != "yes":
            return _render(request, "users/confirm.html", {"target": target})
        errors = account_errors(request.scope["user"], target, {"is_active": active})
        if errors:
            raise HTTPException(400, errors["is_active"])
        if target.is_active != active:
            await _save(db, request, target, {"is_active": active})
            await db.commit()
    if is_htmx(request):
        return _render(request, "users/_row.html", {"u": target})
    verb = "Activated" if active else "Deactivated"
    flash(request, f"{verb} {target.email}.", "success")
    return RedirectResponse("/users", status_code=303)


@staff_required
async def deactivate_user(request: Request) -> Response:
    """Deactivate an account (after confirming) and end its sessions."""
    return await _set_active(request, False)


@staff_required
async def activate_user(request: Request) -> Response:
    """Let a deactivated account log in again."""
    return await _set_active(request, True)


routes = [
    Route("/users", list_users, methods=["GET"]),
    Route("/users", create_user, methods=["POST"]),
    Route("/users/new", new_user, methods=["GET"]),
    Route("/users/{id}", edit_user, methods=["GET"]),
    Route("/users/{id}", update_user, methods=["POST"]),
    Route("/users/{id}/deactivate", deactivate_user, methods=["POST"]),
    Route("/users/{id}/activate", activate_user, methods=["POST"]),
]
