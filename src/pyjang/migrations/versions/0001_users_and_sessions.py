"""Users, the SQL session store and the SQL rate-limit counters.

Revision ID: 0001
Revises:
Created: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("pyjang",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``pyjang_users``, ``pyjang_sessions`` and ``pyjang_rate_limits``."""
    op.create_table(
        "pyjang_users",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("is_staff", sa.Boolean(), nullable=False),
        sa.Column("is_superuser", sa.Boolean(), nullable=False),
        sa.Column("auth_version", sa.Integer(), nullable=False),
        sa.Column("last_login", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_pyjang_users_email", "pyjang_users", ["email"], unique=True)
    op.create_table(
        "pyjang_sessions",
        sa.Column("key", sa.String(length=64), primary_key=True),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("expires_at", sa.Float(precision=53), nullable=False),
    )
    op.create_index(
        "ix_pyjang_sessions_expires_at", "pyjang_sessions", ["expires_at"], unique=False
    )
    op.create_table(
        "pyjang_rate_limits",
        sa.Column("key", sa.String(length=255), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Float(precision=53), nullable=False),
    )
    op.create_index(
        "ix_pyjang_rate_limits_expires_at", "pyjang_rate_limits", ["expires_at"]
    )


def downgrade() -> None:
    """Drop the three tables."""
    op.drop_index("ix_pyjang_rate_limits_expires_at", table_name="pyjang_rate_limits")
    op.drop_table("pyjang_rate_limits")
    op.drop_index("ix_pyjang_sessions_expires_at", table_name="pyjang_sessions")
    op.drop_table("pyjang_sessions")
    op.drop_index("ix_pyjang_users_email", table_name="pyjang_users")
    op.drop_table("pyjang_users")
