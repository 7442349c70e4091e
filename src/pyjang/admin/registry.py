"""Register models with the admin: which columns show, which change, and how.

::

    from pyjang.admin import site

    site.register(Book, list_display=["title", "author_id"], search_fields=["title"])

Options are the class attributes of :class:`ModelAdmin`; a subclass sets them
once, keyword arguments to :meth:`AdminSite.register` override them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy import Column, Select, inspect
from sqlalchemy import types as sa
from starlette.requests import Request
from starlette.routing import BaseRoute

from pyjang.admin.fields import (
    Field,
    FieldError,
    ForeignKeyField,
    PasswordField,
    TextField,
    field_for,
)

__all__ = ["AdminSite", "BeforeSave", "ModelAdmin", "QueryModifier"]

BeforeSave = Callable[..., Awaitable[dict[str, str] | None]]
QueryModifier = Callable[[Request, Select[Any]], Select[Any]]
_LABEL_ATTRIBUTES = ("name", "title", "subject", "email", "username")
_LIST_OPTIONS = (
    "list_display",
    "readonly_fields",
    "hidden_fields",
    "list_filter",
    "password_fields",
)


class ModelAdmin:
    """How one model shows and changes in the admin.

    ``before_save(request, obj, changes, created=...)`` may return a message
    per field to refuse the save; ``modify_query(request, query)`` narrows
    every query the admin makes for this model (lists, counts, lookups).
    """

    list_display: Sequence[str] = ()
    readonly_fields: Sequence[str] = ()
    hidden_fields: Sequence[str] = ()
    search_fields: Sequence[str] = ()
    list_filter: Sequence[str] = ()
    ordering: Sequence[str] = ()
    password_fields: Sequence[str] | None = None
    icon: str = "▤"
    name: str = ""
    name_plural: str = ""
    per_page: int = 25
    lookup_threshold: int = 100
    can_create: bool = True
    can_edit: bool = True
    can_delete: bool = True

    def __init__(self, model: type[Any], **options: Any) -> None:
        for key, value in options.items():
            if key.startswith("_") or not hasattr(type(self), key):
                raise TypeError(f"unknown admin option {key!r}")
            setattr(self, key, value)
        self.model = model
        mapper = inspect(model)
        if len(mapper.primary_key) != 1:
            raise ValueError(f"{model.__name__}: the admin needs a one-column key")
        self.pk: Column[Any] = mapper.primary_key[0]
        self.columns: dict[str, Column[Any]] = {
            attr.key: attr.columns[0] for attr in mapper.column_attrs
        }
        self.slug = model.__name__.lower()
        self.name = self.name or model.__name__.replace("_", " ")
        self.name_plural = self.name_plural or f"{self.name}s"
        self.fields = self._build_fields()
        self._check_options()

    def _build_fields(self) -> dict[str, Field]:
        passwords = self.password_fields
        fields = {}
        for key, column in self.columns.items():
            if key in self.hidden_fields:
                continue
            password = None if passwords is None else key in passwords
            fields[key] = field_for(column, password=password)
        return fields

    def _check_options(self) -> None:
        for option in _LIST_OPTIONS:
            for key in getattr(self, option) or ():
                if key not in self.columns:
                    raise ValueError(f"{self.name}.{option}: no column {key!r}")
        for key in self.search_fields:
            if not isinstance(self.fields.get(key), TextField):
                raise ValueError(f"{self.name}.search_fields: {key!r} is not text")
        for key in self.ordering:
            if key.lstrip("-") not in self.columns:
                raise ValueError(f"{self.name}.ordering: no column {key!r}")
        hidden = set(self.hidden_fields)
        if hidden & {*self.list_display, *self.search_fields, *self.list_filter}:
            raise ValueError(f"{self.name}: a hidden field cannot be shown")

    @property
    def pk_field(self) -> Field:
        """Return the field that parses primary keys from URLs."""
        field = field_for(self.pk, password=False)
        return field.target if isinstance(field, ForeignKeyField) else field

    def parse_pk(self, raw: str) -> Any:
        """Return the primary key written as ``raw``, or raise LookupError."""
        try:
            value = self.pk_field.convert(raw.strip()) if raw.strip() else None
        except FieldError:
            value = None
        if value is None:
            raise LookupError(raw)
        return value

    def columns_shown(self) -> list[str]:
        """Return the columns of the list view."""
        if self.list_display:
            return list(self.list_display)
        shown = [
            key for key, field in self.fields.items() if field.widget != "password"
        ]
        return shown[:5]

    def readonly_for(self, request: Request) -> set[str]:
        """Return the fields ``request``'s user may see but not change."""
        readonly = set(self.readonly_fields)
        for key, column in self.columns.items():
            if column.onupdate is not None:
                readonly.add(key)
        return readonly

    def _generated_pk(self) -> bool:
        if self.pk.default is not None or self.pk.server_default is not None:
            return True
        integer = isinstance(self.pk.type, sa.Integer)
        return integer and self.pk.autoincrement in (True, "auto")

    def editable(self, request: Request, *, creating: bool) -> list[Field]:
        """Return the fields the form lets ``request``'s user change."""
        readonly = self.readonly_for(request)
        if not creating or self._generated_pk():
            readonly.add(self.pk.key)
        return [
            field
            for key, field in self.fields.items()
            if key not in readonly and field.widget != "readonly"
        ]

    def password_keys(self) -> set[str]:
        """Return the fields set through hashing only."""
        return {k for k, f in self.fields.items() if isinstance(f, PasswordField)}

    def label(self, obj: Any) -> str:
        """Return how ``obj`` is named in lists, selects and messages."""
        for attribute in _LABEL_ATTRIBUTES:
            value = getattr(obj, attribute, None)
            if isinstance(value, str) and value:
                return value
        return f"{self.name[:1].upper()}{self.name[1:]} {getattr(obj, self.pk.key)}"

    def initial(self, request: Request) -> dict[str, Any]:
        """Return the values a new row's form starts with."""
        return {}

    def can_change(self, request: Request, obj: Any) -> bool:
        """Return True when ``request``'s user may edit or delete ``obj``."""
        return True

    def delete_problem(self, request: Request, obj: Any) -> str | None:
        """Return why ``obj`` may not be deleted, or None."""
        return None

    async def before_save(
        self, request: Request, obj: Any, changes: dict[str, Any], *, created: bool
    ) -> dict[str, str] | None:
        """Check or adjust ``changes`` before they are applied to ``obj``."""
        return None

    async def after_commit(self, request: Request, obj: Any, changed: set[str]) -> None:
        """Act once a saved change is committed (refresh a session, notify)."""

    def modify_query(self, request: Request, query: Select[Any]) -> Select[Any]:
        """Return ``query`` narrowed for ``request``; the default changes nothing."""
        return query


class AdminSite:
    """A set of registered models served under ``prefix`` to staff."""

    def __init__(self, *, title: str = "Administration", prefix: str = "/admin"):
        self.title = title
        self.prefix = prefix.rstrip("/")
        self._admins: dict[str, ModelAdmin] = {}

    def register(
        self,
        model: type[Any],
        admin_class: type[ModelAdmin] = ModelAdmin,
        **options: Any,
    ) -> ModelAdmin:
        """Add ``model`` with ``admin_class`` and ``options``; return its admin.

        Raises ValueError when the model is registered already or an option
        names a column the model does not have.
        """
        admin = admin_class(model, **options)
        if admin.slug in self._admins:
            raise ValueError(f"{model.__name__} is registered already")
        self._admins[admin.slug] = admin
        return admin

    def unregister(self, model: type[Any]) -> None:
        """Remove ``model``; a model that is not registered is ignored."""
        self._admins.pop(model.__name__.lower(), None)

    def get(self, slug: str) -> ModelAdmin | None:
        """Return the admin of the model called ``slug``, or None."""
        return self._admins.get(slug)

    def for_table(self, table: str) -> ModelAdmin | None:
        """Return the admin of the model stored in ``table``, or None."""
        for admin in self._admins.values():
            if admin.pk.table.name == table:
                return admin
        return None

    @property
    def admins(self) -> list[ModelAdmin]:
        """Return every registered admin, in registration order."""
        return list(self._admins.values())

    @property
    def routes(self) -> list[BaseRoute]:
        """Return the routes serving this site (staff only)."""
        from pyjang.admin.views import admin_routes

        return admin_routes(self)
