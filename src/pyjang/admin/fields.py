"""Form fields derived from column types: read what a form sent, show a value.

:func:`field_for` picks the field for a column; the field classes live in
:mod:`pyjang.admin.basefields` and :mod:`pyjang.admin.scalars` and are
re-exported here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column
from sqlalchemy import types as sa

from pyjang.admin.basefields import (
    UNSET,
    BooleanField,
    Field,
    FieldError,
    PasswordField,
    ReadOnlyField,
    TextField,
    label,
)
from pyjang.admin.scalars import (
    DateField,
    DateTimeField,
    DecimalField,
    EnumField,
    FloatField,
    IntegerField,
    UUIDField,
)

__all__ = [
    "UNSET",
    "BooleanField",
    "DateField",
    "DateTimeField",
    "DecimalField",
    "EnumField",
    "Field",
    "FieldError",
    "FloatField",
    "ForeignKeyField",
    "IntegerField",
    "PasswordField",
    "ReadOnlyField",
    "TextField",
    "UUIDField",
    "field_for",
    "label",
]


class ForeignKeyField(Field):
    """A reference to a row of another table: a select, or a search box."""

    widget = "select"

    def __init__(self, column: Column[Any], target: Field) -> None:
        super().__init__(column)
        self.label = label(column.key, reference=True)
        self.target = target
        self.target_table = next(iter(column.foreign_keys)).column.table.name

    def convert(self, text: str) -> Any:
        """Return the referenced primary key (existence is checked later)."""
        return self.target.convert(text)


_TYPES: list[tuple[type[Any], type[Field]]] = [
    (sa.Boolean, BooleanField),
    (sa.Enum, EnumField),
    (sa.String, TextField),
    (sa.Integer, IntegerField),
    (sa.Float, FloatField),
    (sa.Numeric, DecimalField),
    (sa.DateTime, DateTimeField),
    (sa.Date, DateField),
    (sa.Uuid, UUIDField),
]


def _plain_field(column: Column[Any]) -> Field:
    for column_type, field_class in _TYPES:
        if isinstance(column.type, column_type):
            return field_class(column)
    return ReadOnlyField(column)


def field_for(column: Column[Any], *, password: bool | None = None) -> Field:
    """Return the form field for ``column``.

    A column named like a password is a :class:`PasswordField` unless
    ``password`` says otherwise; a foreign key is a :class:`ForeignKeyField`.
    """
    if password or (password is None and "password" in column.key.lower()):
        return PasswordField(column)
    if column.foreign_keys:
        target = next(iter(column.foreign_keys)).column
        return ForeignKeyField(column, _plain_field(target))
    return _plain_field(column)
