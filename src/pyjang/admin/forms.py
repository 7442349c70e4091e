"""Read an admin form, check it against the database and save it with its audit.

Nothing is written unless every field is acceptable: unknown or read-only
fields, values of the wrong type or size, references to missing rows and
duplicates of unique values each give a message next to their field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Column, select
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from pyjang.admin.audit import Changes, record
from pyjang.admin.fields import UNSET, FieldError, ForeignKeyField
from pyjang.admin.registry import ModelAdmin
from pyjang.passwords import hash_password, password_problem

__all__ = [
    "FORM_ERROR",
    "Submission",
    "check_database",
    "delete_rows",
    "read_submission",
    "save",
]

FORM_ERROR = "__all__"
MAX_FIELDS = 200
IGNORED = frozenset({"csrf_token"})
REFUSED = "The database refused this change; check the values and try again."
REFERENCED = "Other rows still refer to this one; change or delete them first."


@dataclass
class Submission:
    """What a form sent: raw values to show again, parsed changes, errors."""

    values: dict[str, str] = field(default_factory=dict)
    changes: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


async def read_submission(
    request: Request, admin: ModelAdmin, *, creating: bool
) -> Submission:
    """Parse the form of ``request`` into changes for ``admin``'s model."""
    form = await request.form(max_files=0, max_fields=MAX_FIELDS)
    editable = {f.name: f for f in admin.editable(request, creating=creating)}
    result = Submission()
    unknown = sorted(set(form.keys()) - set(editable) - IGNORED)
    if unknown:
        names = ", ".join(name[:40] for name in unknown[:5])
        result.errors[FORM_ERROR] = f"These fields cannot be set here: {names}."
    for name, form_field in editable.items():
        items = form.getlist(name)
        raw = items[0] if items else None
        if len(items) > 1 or not isinstance(raw, str | None):
            result.errors[name] = "Send one value for this field."
            continue
        if form_field.widget != "password":
            result.values[name] = raw or ""
        try:
            value = form_field.parse(raw)
        except FieldError as error:
            result.errors[name] = str(error)
            continue
        if value is not UNSET:
            result.changes[name] = value
    return result


def _unique(column: Column[Any]) -> bool:
    if column.unique or column.primary_key:
        return True
    return any(
        index.unique and list(index.columns) == [column]
        for index in column.table.indexes
    )


async def check_database(
    db: AsyncSession, admin: ModelAdmin, obj: Any, submission: Submission
) -> None:
    """Add errors for missing referenced rows, duplicates and weak passwords."""
    errors = submission.errors
    for name, value in submission.changes.items():
        form_field = admin.fields[name]
        column = admin.columns[name]
        if name in admin.password_keys():
            email = submission.changes.get("email", getattr(obj, "email", ""))
            problem = password_problem(value, email=str(email or ""))
            if problem:
                errors[name] = problem
            continue
        if isinstance(form_field, ForeignKeyField) and value is not None:
            target = next(iter(column.foreign_keys)).column
            if await db.scalar(select(target).where(target == value)) is None:
                errors[name] = f"No {form_field.label.lower()} with this key exists."
        elif value is not None and _unique(column):
            query = select(admin.pk).where(column == value)
            if obj is not None:
                query = query.where(admin.pk != getattr(obj, admin.pk.key))
            if await db.scalar(query.limit(1)) is not None:
                errors[name] = "Another row already has this value."


def _diff(admin: ModelAdmin, obj: Any, changes: dict[str, Any]) -> Changes:
    diff: Changes = {}
    for name, new in changes.items():
        old = getattr(obj, name)
        comparable = admin.fields[name].comparable
        if name in admin.password_keys() or comparable(old) != comparable(new):
            diff[name] = (old, new)
    return diff


async def save(
    db: AsyncSession,
    request: Request,
    admin: ModelAdmin,
    obj: Any,
    changes: dict[str, Any],
    *,
    created: bool,
) -> str | None:
    """Apply ``changes`` to ``obj``, flush and audit; return a problem or None.

    On a problem the transaction is rolled back: nothing of it is written.
    """
    diff = {} if created else _diff(admin, obj, changes)
    for name, value in changes.items():
        if name in admin.password_keys():
            value = await hash_password(value)
        setattr(obj, name, value)
    if created:
        db.add(obj)
    try:
        await db.flush()
    except (IntegrityError, DataError):
        await db.rollback()
        return REFUSED
    if created:
        diff = {key: (None, getattr(obj, key)) for key in admin.columns}
    if diff or created:
        record(
            db,
            request,
            model=admin.slug,
            object_id=getattr(obj, admin.pk.key),
            action="create" if created else "update",
            changes=diff,
        )
    return None


async def delete_rows(
    db: AsyncSession, request: Request, admin: ModelAdmin, rows: list[Any]
) -> str | None:
    """Delete ``rows`` with an audit entry each; return a problem or None.

    On a problem the transaction is rolled back and no row is deleted.
    """
    for row in rows:
        problem = admin.delete_problem(request, row)
        if problem:
            return problem
    for row in rows:
        old = {key: (getattr(row, key), None) for key in admin.columns}
        record(
            db,
            request,
            model=admin.slug,
            object_id=getattr(row, admin.pk.key),
            action="delete",
            changes=old,
        )
        await db.delete(row)
    try:
        await db.flush()
    except (IntegrityError, DataError):
        await db.rollback()
        return REFERENCED
    return None
