"""Create, edit and delete rows through forms built from the model's columns."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from pyjang.admin.fields import Field, ForeignKeyField
from pyjang.admin.forms import (
    FORM_ERROR,
    Submission,
    check_database,
    delete_rows,
    read_submission,
    save,
)
from pyjang.admin.listing import foreign_labels, reference_choices
from pyjang.admin.registry import AdminSite, ModelAdmin
from pyjang.admin.rendering import (
    done,
    find_admin,
    find_row,
    forbid_unless,
    invalid_status,
    render,
)
from pyjang.runtime import runtime
from pyjang.templating import flash

__all__ = ["FormRow", "bulk_delete", "create", "delete", "edit"]

MAX_SELECTED = 500


@dataclass
class FormRow:
    """One field of an admin form as the template draws it."""

    field: Field
    value: str
    shown: str
    editable: bool
    error: str | None = None
    choices: list[tuple[str, str]] | None = None
    search_url: str | None = None
    changes: list[tuple[str, str, str]] | None = None


async def _rows(
    db: AsyncSession,
    request: Request,
    site: AdminSite,
    admin: ModelAdmin,
    obj: Any,
    submission: Submission | None = None,
) -> list[FormRow]:
    creating = obj is None
    allowed = admin.can_create if creating else admin.can_edit
    editable = {f.name for f in admin.editable(request, creating=creating)}
    current = admin.initial(request) if creating else {}
    sent = submission or Submission()
    rows = []
    for name, field in admin.fields.items():
        if creating and name not in editable:
            continue
        value = current.get(name, _default(field)) if creating else getattr(obj, name)
        row = FormRow(
            field=field,
            value=sent.values.get(name, field.to_input(value)),
            shown=field.display(value),
            editable=allowed and name in editable,
            error=sent.errors.get(name),
        )
        if isinstance(field, ForeignKeyField):
            await _reference(db, request, site, admin, row, value)
        elif field.choices:
            row.choices = field.choices
        if isinstance(value, dict | list):
            row.shown = json.dumps(value, indent=2, sort_keys=True, default=str)
            row.changes = _change_table(value)
        rows.append(row)
    return rows


def _change_table(value: Any) -> list[tuple[str, str, str]] | None:
    """Return ``{field: [old, new]}`` (an audit entry's changes) as rows."""
    if not isinstance(value, dict) or not all(
        isinstance(pair, list) and len(pair) == 2 for pair in value.values()
    ):
        return None
    return [(key, _text(old), _text(new)) for key, (old, new) in sorted(value.items())]


def _text(item: Any) -> str:
    return "—" if item is None else str(item)


def _default(field: Field) -> Any:
    default = field.column.default
    is_scalar = default is not None and getattr(default, "is_scalar", False)
    return getattr(default, "arg", None) if is_scalar else None


async def _reference(
    db: AsyncSession,
    request: Request,
    site: AdminSite,
    admin: ModelAdmin,
    row: FormRow,
    value: Any,
) -> None:
    assert isinstance(row.field, ForeignKeyField)
    labels = await foreign_labels(db, site, row.field, [value])
    row.shown = labels.get(value, row.shown)
    target = site.for_table(row.field.target_table)
    if not row.editable or target is None:
        return
    row.choices = await reference_choices(db, request, target)
    if row.choices is None:
        row.search_url = f"{site.prefix}/{admin.slug}/lookup/{row.field.name}"


async def _form_page(
    db: AsyncSession,
    request: Request,
    site: AdminSite,
    admin: ModelAdmin,
    obj: Any,
    submission: Submission | None = None,
) -> Response:
    base = f"{site.prefix}/{admin.slug}"
    key = None if obj is None else admin.pk_field.to_input(getattr(obj, admin.pk.key))
    context = {
        "admin": admin,
        "obj": obj,
        "title": admin.label(obj) if obj is not None else f"Add {admin.name}",
        "rows": await _rows(db, request, site, admin, obj, submission),
        "action": f"{base}/new" if obj is None else f"{base}/{key}",
        "errors": submission.errors if submission else {},
        "can_change": obj is None or admin.can_change(request, obj),
    }
    status = invalid_status(request) if submission and submission.errors else 200
    fragment = True if submission and request.headers.get("hx-request") else None
    name = "admin/_form.html" if fragment else "admin/form.html"
    return render(site, request, name, context, status_code=status, fragment=fragment)


async def _submit(
    db: AsyncSession, request: Request, admin: ModelAdmin, obj: Any, created: bool
) -> Submission:
    submission = await read_submission(request, admin, creating=created)
    changes = submission.changes
    hook = await admin.before_save(request, obj, changes, created=created)
    for name, message in (hook or {}).items():
        submission.errors.setdefault(name, message)
    await check_database(db, admin, None if created else obj, submission)
    if not submission.errors:
        problem = await save(db, request, admin, obj, changes, created=created)
        if problem:
            submission.errors[FORM_ERROR] = problem
            if not created:
                await db.refresh(obj)
    return submission


async def create(site: AdminSite, request: Request) -> Response:
    """Show the form for a new row, or add the row it sent."""
    admin = find_admin(site, request)
    if not admin.can_create:
        raise HTTPException(403, f"New {admin.name_plural} cannot be added here.")
    async with runtime(request).database.session() as db:
        if request.method == "GET":
            return await _form_page(db, request, site, admin, None)
        obj = admin.model()
        submission = await _submit(db, request, admin, obj, True)
        if submission.errors:
            return await _form_page(db, request, site, admin, None, submission)
        await db.commit()
    await admin.after_commit(request, obj, set(submission.changes))
    flash(request, f"Added {admin.name} “{admin.label(obj)}”.", "success")
    return done(request, f"{site.prefix}/{admin.slug}")


async def edit(site: AdminSite, request: Request) -> Response:
    """Show a row's form, or save the changes it sent."""
    admin = find_admin(site, request)
    async with runtime(request).database.session() as db:
        obj = await find_row(db, request, admin, request.path_params["pk"])
        forbid_unless(admin.can_change(request, obj))
        if request.method == "GET":
            return await _form_page(db, request, site, admin, obj)
        forbid_unless(admin.can_edit)
        submission = await _submit(db, request, admin, obj, False)
        if submission.errors:
            return await _form_page(db, request, site, admin, obj, submission)
        await db.commit()
    await admin.after_commit(request, obj, set(submission.changes))
    flash(request, f"Saved {admin.name} “{admin.label(obj)}”.", "success")
    return done(request, f"{site.prefix}/{admin.slug}")


def _items(admin: ModelAdmin, rows: list[Any]) -> list[tuple[str, str]]:
    return [
        (admin.pk_field.to_input(getattr(row, admin.pk.key)), admin.label(row))
        for row in rows
    ]


def _confirm_page(
    site: AdminSite,
    request: Request,
    admin: ModelAdmin,
    items: list[tuple[str, str]],
    action: str,
    problem: str | None = None,
) -> Response:
    context = {"admin": admin, "items": items, "action": action, "problem": problem}
    status = invalid_status(request) if problem else 200
    return render(
        site, request, "admin/confirm_delete.html", context, status_code=status
    )


async def delete(site: AdminSite, request: Request) -> Response:
    """Ask to confirm, then delete one row."""
    admin = find_admin(site, request)
    async with runtime(request).database.session() as db:
        obj = await find_row(db, request, admin, request.path_params["pk"])
        forbid_unless(admin.can_delete and admin.can_change(request, obj))
        action, items = request.url.path, _items(admin, [obj])
        form = await request.form(max_files=0, max_fields=10)
        if request.method == "GET" or form.get("confirm") != "yes":
            return _confirm_page(site, request, admin, items, action)
        label = admin.label(obj)
        problem = await delete_rows(db, request, admin, [obj])
        if problem:
            return _confirm_page(site, request, admin, items, action, problem)
        await db.commit()
    flash(request, f"Deleted {admin.name} “{label}”.", "success")
    return done(request, f"{site.prefix}/{admin.slug}")


async def bulk_delete(site: AdminSite, request: Request) -> Response:
    """Ask to confirm, then delete every selected row, or none of them."""
    admin = find_admin(site, request)
    forbid_unless(admin.can_delete)
    form = await request.form(max_files=0, max_fields=MAX_SELECTED + 10)
    raw_keys = [k for k in form.getlist("pk") if isinstance(k, str)]
    listing = f"{site.prefix}/{admin.slug}?{request.url.query}".rstrip("?")
    action = f"{request.url.path}?{request.url.query}".rstrip("?")
    async with runtime(request).database.session() as db:
        rows, problem = await _selected(db, request, admin, raw_keys)
        items = _items(admin, rows)
        if problem or form.get("confirm") != "yes":
            return _confirm_page(site, request, admin, items, action, problem)
        problem = await delete_rows(db, request, admin, rows)
        if problem:
            return _confirm_page(site, request, admin, items, action, problem)
        await db.commit()
    flash(request, f"Deleted {len(rows)} {admin.name_plural}.", "success")
    if request.headers.get("hx-request"):
        target = json.dumps({"path": listing, "target": "#admin-list"})
        return Response(status_code=200, headers={"HX-Location": target})
    return done(request, listing)


async def _selected(
    db: AsyncSession, request: Request, admin: ModelAdmin, raw_keys: list[str]
) -> tuple[list[Any], str | None]:
    if not raw_keys:
        return [], "Select at least one row to delete."
    if len(raw_keys) > MAX_SELECTED:
        return [], f"Select at most {MAX_SELECTED} rows at a time."
    try:
        keys = {admin.parse_pk(raw) for raw in raw_keys}
    except LookupError:
        return [], "Some selected rows do not exist; nothing was deleted."
    query = admin.modify_query(request, select(admin.model)).where(admin.pk.in_(keys))
    rows = list((await db.scalars(query)).unique())
    if len(rows) != len(keys):
        return rows, "Some selected rows do not exist; nothing was deleted."
    if not all(admin.can_change(request, row) for row in rows):
        return rows, "You may not delete some of the selected rows."
    return rows, None
