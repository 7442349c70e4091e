"""The models the starter app registers: users, posts and the audit log."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from pyjang.admin.accounts import UserAdmin
from pyjang.admin.audit import AuditEntry
from pyjang.admin.registry import AdminSite, ModelAdmin
from pyjang.models import User
from pyjang.posts import Post

__all__ = ["AuditAdmin", "PostAdmin", "register_starter_models"]


class PostAdmin(ModelAdmin):
    """Posts: searchable by subject and body, newest first."""

    list_display = ("subject", "author_id", "created_at", "updated_at")
    search_fields = ("subject", "body")
    list_filter = ("author_id",)
    readonly_fields = ("created_at", "updated_at")
    ordering = ("-created_at",)
    icon = "✎"
    name = "post"

    def initial(self, request: Request) -> dict[str, Any]:
        """Make the acting user the author of a new post."""
        return {"author_id": getattr(request.scope.get("user"), "id", None)}


class AuditAdmin(ModelAdmin):
    """The audit log: browsable and searchable, never changed."""

    list_display = ("created_at", "user_email", "action", "model", "object_id", "ip")
    search_fields = ("user_email", "model", "object_id")
    list_filter = ("action", "model")
    ordering = ("-created_at",)
    icon = "⧗"
    name = "audit entry"
    name_plural = "audit log"
    can_create = False
    can_edit = False
    can_delete = False


def register_starter_models(site: AdminSite) -> None:
    """Register User, Post and AuditEntry with ``site``."""
    site.register(User, UserAdmin)
    site.register(Post, PostAdmin)
    site.register(AuditEntry, AuditAdmin)
