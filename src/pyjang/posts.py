"""The sample CRUD app's model: a post with a subject, a body and an author.

The views live in :mod:`pyjang.views.posts`; this module holds the table and
the rules a post must satisfy, so the admin and the views judge it alike.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pyjang.database import Base
from pyjang.models import User, utcnow

__all__ = ["MAX_BODY_LENGTH", "MAX_SUBJECT_LENGTH", "Post", "post_errors"]

MAX_SUBJECT_LENGTH = 200
MAX_BODY_LENGTH = 20_000
_ALLOWED_CONTROLS = frozenset("\t\n\r")


class Post(Base):
    """A post written by a user; only its author or staff may change it."""

    __tablename__ = "pyjang_posts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject: Mapped[str] = mapped_column(String(MAX_SUBJECT_LENGTH))
    body: Mapped[str] = mapped_column(String(MAX_BODY_LENGTH), default="")
    author_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("pyjang_users.id"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    author: Mapped[User] = relationship(lazy="joined", innerjoin=True)

    def __repr__(self) -> str:
        return f"<Post {self.id}>"

    def __str__(self) -> str:
        return self.subject

    def editable_by(self, user: object) -> bool:
        """Return True when ``user`` is the author, staff or a superuser."""
        if not getattr(user, "is_authenticated", False):
            return False
        privileged = getattr(user, "is_staff", False) or getattr(
            user, "is_superuser", False
        )
        return bool(privileged) or self.author_id == getattr(user, "id", None)


def _has_controls(text: str) -> bool:
    return any(
        not char.isprintable() and char not in _ALLOWED_CONTROLS for char in text
    )


def post_errors(subject: str, body: str) -> dict[str, str]:
    """Return a message for each field of a post that is not acceptable."""
    errors = {}
    if not subject.strip():
        errors["subject"] = "Give the post a subject."
    elif len(subject) > MAX_SUBJECT_LENGTH:
        errors["subject"] = f"Use at most {MAX_SUBJECT_LENGTH} characters."
    elif _has_controls(subject):
        errors["subject"] = "Remove the control characters."
    if len(body) > MAX_BODY_LENGTH:
        errors["body"] = f"Use at most {MAX_BODY_LENGTH} characters."
    elif _has_controls(body):
        errors["body"] = "Remove the control characters."
    return errors
