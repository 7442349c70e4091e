"""The audit log: who created, changed or deleted which row, when and from where.

Every admin write adds an :class:`AuditEntry` in the same transaction as the
change, so a change is never stored without its record. Values of fields
named like a password, secret or token are masked before they are stored.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import re
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Uuid,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from starlette.requests import Request

from pyjang.database import Base
from pyjang.middleware import client_ip
from pyjang.models import MAX_EMAIL_LENGTH, utcnow

__all__ = [
    "ACTIONS",
    "MASK",
    "AuditEntry",
    "Changes",
    "is_sensitive",
    "jsonable",
    "mask_changes",
    "record",
]

MASK = "********"
ACTIONS = ("create", "update", "delete")
_SENSITIVE = re.compile(r"password|secret|token", re.IGNORECASE)

Changes = dict[str, tuple[Any, Any]]


class AuditEntry(Base):
    """One create, update or delete made through the admin or user management."""

    __tablename__ = "pyjang_audit_log"
    __table_args__ = (
        Index("ix_pyjang_audit_log_model_object_id", "model", "object_id"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("pyjang_users.id", ondelete="SET NULL"), index=True
    )
    user_email: Mapped[str] = mapped_column(String(MAX_EMAIL_LENGTH), default="")
    ip: Mapped[str] = mapped_column(String(64), default="")
    model: Mapped[str] = mapped_column(String(100))
    object_id: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(10))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    def __repr__(self) -> str:
        return f"<AuditEntry {self.id} {self.action} {self.model}:{self.object_id}>"

    def __str__(self) -> str:
        return f"{self.action} {self.model} {self.object_id}"


def is_sensitive(name: str) -> bool:
    """Return True for a field whose values must never be stored in the log."""
    return bool(_SENSITIVE.search(name))


def jsonable(value: Any) -> Any:
    """Return ``value`` as something JSON can hold, keeping its meaning."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else str(value)
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID | decimal.Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    return str(value)


def mask_changes(changes: Changes) -> dict[str, list[Any]]:
    """Return ``changes`` as ``{field: [old, new]}`` with secrets masked."""
    masked: dict[str, list[Any]] = {}
    for name, (old, new) in changes.items():
        if is_sensitive(name):
            masked[name] = [MASK if old else None, MASK if new else None]
        else:
            masked[name] = [jsonable(old), jsonable(new)]
    return masked


def record(
    db: AsyncSession,
    request: Request,
    *,
    model: str,
    object_id: object,
    action: str,
    changes: Changes,
) -> AuditEntry:
    """Add an entry for ``action`` on ``model``/``object_id`` to ``db``.

    The entry is written when the caller commits, with the change itself.
    """
    if action not in ACTIONS:
        raise ValueError(f"action must be one of {', '.join(ACTIONS)}")
    user = request.scope.get("user")
    actor_id = getattr(user, "id", None)
    entry = AuditEntry(
        user_id=actor_id if isinstance(actor_id, uuid.UUID) else None,
        user_email=str(getattr(user, "email", ""))[:MAX_EMAIL_LENGTH],
        ip=client_ip(request.scope)[:64],
        model=model[:100],
        object_id=str(object_id)[:100],
        action=action,
        changes=mask_changes(changes),
    )
    db.add(entry)
    return entry
