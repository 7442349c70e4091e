"""Who may change which account, in the admin and in user management alike.

Only superusers grant or remove staff and superuser rights, and staff cannot
change a superuser's account. Nobody can lock themself out: their own staff
or superuser flag stays, and they cannot deactivate or delete themself. A
change of password, active flag or privilege ends the user's other sessions.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from pyjang.admin.registry import ModelAdmin
from pyjang.auth import refresh_login
from pyjang.models import User, normalize_email

__all__ = [
    "ONLY_SUPERUSERS",
    "PRIVILEGES",
    "SESSION_FIELDS",
    "UserAdmin",
    "account_errors",
    "can_manage",
    "end_sessions_if_needed",
]

PRIVILEGES = ("is_staff", "is_superuser")
SESSION_FIELDS = ("password_hash", "is_active", *PRIVILEGES)
ONLY_SUPERUSERS = "Only superusers can grant or remove staff and superuser rights."
ONLY_SUPERUSERS_CREDENTIALS = (
    "Only superusers can change another staff member's password or email."
)


def _is_self(actor: Any, target: User | None) -> bool:
    return target is not None and target.id == getattr(actor, "id", None)


def can_manage(actor: Any, target: User) -> bool:
    """Return True when ``actor`` may edit, deactivate or delete ``target``."""
    return bool(getattr(actor, "is_superuser", False)) or not target.is_superuser


def account_errors(
    actor: Any, target: User | None, changes: dict[str, Any]
) -> dict[str, str]:
    """Return a message per field of ``changes`` that ``actor`` may not make.

    ``target`` is None for a new account. Normalises ``changes["email"]``.
    """
    # Imported here: the views package imports the admin to mount it.
    from pyjang.views.accounts import valid_email

    errors = {}
    if "email" in changes:
        changes["email"] = normalize_email(str(changes["email"] or ""))
        if not valid_email(changes["email"]):
            errors["email"] = "Enter a valid email address."
    for key in PRIVILEGES:
        if key not in changes:
            continue
        new, current = bool(changes[key]), bool(getattr(target, key, False))
        if new == current:
            continue
        if not getattr(actor, "is_superuser", False):
            errors[key] = ONLY_SUPERUSERS
        elif _is_self(actor, target) and not new:
            errors[key] = "You cannot remove your own rights; ask another superuser."
    if _is_self(actor, target) and changes.get("is_active") is False:
        errors["is_active"] = "You cannot deactivate your own account."
    errors.update(_credential_errors(actor, target, changes))
    return errors


def _credential_errors(
    actor: Any, target: User | None, changes: dict[str, Any]
) -> dict[str, str]:
    # Another staff member's password or address is a way into their account:
    # only a superuser may change those.
    guarded = target is not None and target.is_staff and not _is_self(actor, target)
    if not guarded or getattr(actor, "is_superuser", False):
        return {}
    errors = {}
    if changes.get("password_hash"):
        errors["password_hash"] = ONLY_SUPERUSERS_CREDENTIALS
    if "email" in changes and changes["email"] != target.email:  # type: ignore[union-attr]
        errors["email"] = ONLY_SUPERUSERS_CREDENTIALS
    return errors


def end_sessions_if_needed(target: User, changes: dict[str, Any]) -> bool:
    """Bump ``target``'s auth version when ``changes`` touch its access.

    Call before applying ``changes``; returns True when it bumped.
    """
    touched = any(
        key in changes
        and (key == "password_hash" or changes[key] != getattr(target, key))
        for key in SESSION_FIELDS
    )
    if touched:
        target.bump_auth_version()
    return touched


class UserAdmin(ModelAdmin):
    """The admin of accounts, with the privilege rules above."""

    list_display = ("email", "is_active", "is_staff", "is_superuser", "last_login")
    search_fields = ("email",)
    list_filter = ("is_active", "is_staff", "is_superuser")
    readonly_fields = ("auth_version", "last_login", "created_at", "updated_at")
    ordering = ("email",)
    password_fields = ("password_hash",)
    icon = "☺"
    name = "user"

    def readonly_for(self, request: Request) -> set[str]:
        """Add the privilege flags for actors who are not superusers."""
        readonly = super().readonly_for(request)
        if not getattr(request.scope.get("user"), "is_superuser", False):
            readonly.update(PRIVILEGES)
        return readonly

    def can_change(self, request: Request, obj: Any) -> bool:
        """Let staff change every account but a superuser's."""
        return can_manage(request.scope.get("user"), obj)

    def delete_problem(self, request: Request, obj: Any) -> str | None:
        """Refuse to delete the acting user's own account."""
        if _is_self(request.scope.get("user"), obj):
            return "You cannot delete your own account."
        return None

    async def before_save(
        self, request: Request, obj: Any, changes: dict[str, Any], *, created: bool
    ) -> dict[str, str] | None:
        """Apply the privilege rules; end sessions when access changes."""
        actor = request.scope.get("user")
        errors = account_errors(actor, None if created else obj, changes)
        if not errors and not created:
            end_sessions_if_needed(obj, changes)
        return errors

    async def after_commit(self, request: Request, obj: Any, changed: set[str]) -> None:
        """Keep the acting user logged in after changing their own access."""
        if _is_self(request.scope.get("user"), obj) and changed & set(SESSION_FIELDS):
            refresh_login(request, obj)
