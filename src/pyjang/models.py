"""The framework's own models: users. Sessions live in their store's module."""

from __future__ import annotations

import unicodedata
import uuid
from datetime import UTC, datetime

from sqlalchemy import Boolean, DateTime, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from pyjang.database import Base

__all__ = ["MAX_EMAIL_LENGTH", "User", "normalize_email", "utcnow"]

MAX_EMAIL_LENGTH = 254


def utcnow() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def normalize_email(email: str) -> str:
    """Return ``email`` trimmed, NFKC-normalised and case-folded.

    Two spellings that a person would call the same address give one value,
    so the unique index holds one account per address.
    """
    return unicodedata.normalize("NFKC", email).strip().casefold()


class User(Base):
    """An account: an e-mail address, an Argon2id hash and its privileges.

    ``auth_version`` changes whenever the password, the active flag or a
    privilege changes; a session remembers the version it logged in with, so
    every instance ends the user's other sessions on its next request.
    """

    __tablename__ = "pyjang_users"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(
        String(MAX_EMAIL_LENGTH), unique=True, index=True
    )
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    is_superuser: Mapped[bool] = mapped_column(Boolean, default=False)
    auth_version: Mapped[int] = mapped_column(Integer, default=1)
    last_login: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), default=None
    )
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    is_authenticated = True

    def __repr__(self) -> str:
        return f"<User {self.id}>"

    @property
    def display_name(self) -> str:
        """Return the part of the e-mail address before the ``@``."""
        return self.email.partition("@")[0]

    def bump_auth_version(self) -> None:
        """End every session of this user except one logged in again."""
        self.auth_version = (self.auth_version or 0) + 1
