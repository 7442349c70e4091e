"""An admin panel generated from registered models, for staff only.

``site`` is the starter app's admin under ``/admin``; register a model with
``site.register(Model, list_display=[...], search_fields=[...])`` or a
:class:`ModelAdmin` subclass. Every change made through it is recorded in
the audit log (:class:`AuditEntry`).
"""

from pyjang.admin.audit import AuditEntry
from pyjang.admin.registry import AdminSite, ModelAdmin
from pyjang.admin.starter import register_starter_models

__all__ = ["AdminSite", "AuditEntry", "ModelAdmin", "site"]

site = AdminSite()
register_starter_models(site)
