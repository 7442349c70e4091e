"""Posts of the sample app and the admin's audit log.

Password-reset tokens need no table: each is signed over the user's id,
auth version and expiry, so it dies once the password changes.

Revision ID: 0002
Revises: 0001
Created: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``pyjang_posts`` and ``pyjang_audit_log`` with their indexes."""
    op.create_table(
        "pyjang_posts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.String(length=20000), nullable=False),
        sa.Column(
            "author_id",
            sa.Uuid(),
            sa.ForeignKey("pyjang_users.id"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_pyjang_posts_author_id", "pyjang_posts", ["author_id"])
    op.create_table(
        "pyjang_audit_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "user_id",
            sa.Uuid(),
            sa.ForeignKey("pyjang_users.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("user_email", sa.String(length=254), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=False),
        sa.Column("object_id", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
    )
    op.create_index(
        "ix_pyjang_audit_log_created_at", "pyjang_audit_log", ["created_at"]
    )
    op.create_index("ix_pyjang_audit_log_user_id", "pyjang_audit_log", ["user_id"])
    op.create_index(
        "ix_pyjang_audit_log_model_object_id",
        "pyjang_audit_log",
        ["model", "object_id"],
    )


def downgrade() -> None:
    """Drop both tables."""
    op.drop_index("ix_pyjang_audit_log_model_object_id", table_name="pyjang_audit_log")
    op.drop_index("ix_pyjang_audit_log_user_id", table_name="pyjang_audit_log")
    op.drop_index("ix_pyjang_audit_log_created_at", table_name="pyjang_audit_log")
    op.drop_table("pyjang_audit_log")
    op.drop_index("ix_pyjang_posts_author_id", table_name="pyjang_posts")
    op.drop_table("pyjang_posts")
