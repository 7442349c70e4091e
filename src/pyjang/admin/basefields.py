"""The base of admin form fields, and the fields for text, booleans and secrets.

A field's :meth:`~Field.parse` turns the text a form sent into a Python value
or raises :class:`FieldError` with a sentence for the person filling the
form; it returns :data:`UNSET` when the field should be left as it is.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Column

__all__ = [
    "LIST_TEXT",
    "LONG_TEXT",
    "UNSET",
    "BooleanField",
    "Field",
    "FieldError",
    "PasswordField",
    "ReadOnlyField",
    "TextField",
    "label",
    "no_controls",
]

_TRUE, _FALSE = {"on", "true", "1", "yes"}, {"", "off", "false", "0", "no"}
_ACRONYMS = {"id": "ID", "ip": "IP", "url": "URL", "uuid": "UUID"}
LONG_TEXT = 255
LIST_TEXT = 80


class FieldError(ValueError):
    """A submitted value was refused; the message says what to enter instead."""


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


def label(name: str, *, reference: bool = False) -> str:
    """Return a readable label for a column name.

    A ``reference`` (foreign key) loses its ``_id``: ``author_id`` → ``Author``.
    """
    if reference and name.endswith("_id") and len(name) > 3:
        name = name[:-3]
    if "password" in name:
        return "Password"
    words = name.replace("_", " ").strip().capitalize().split(" ")
    return " ".join(_ACRONYMS.get(word.lower(), word) for word in words)


def _has_default(column: Column[Any]) -> bool:
    return column.default is not None or column.server_default is not None


def no_controls(text: str) -> str:
    """Return ``text``; raise FieldError when it holds control characters."""
    if any(not c.isprintable() and c not in "\t\n\r" for c in text):
        raise FieldError("Remove the control characters.")
    return text


class Field:
    """A text input for one column; subclasses parse other types."""

    widget = "text"

    def __init__(self, column: Column[Any]) -> None:
        self.column = column
        self.name = column.key
        self.label = label(column.key)
        self.nullable = bool(column.nullable)
        self.required = not self.nullable and not _has_default(column)
        self.choices: list[tuple[str, str]] = []

    def parse(self, raw: str | None) -> Any:
        """Return the value for ``raw``; raise FieldError when it is not one."""
        text = (raw or "").strip()
        if not text:
            if self.nullable:
                return None
            if self.required:
                raise FieldError("This field is required.")
            return UNSET
        return self.convert(no_controls(text))

    def convert(self, text: str) -> Any:
        """Return the value of non-empty ``text``."""
        return text

    def to_input(self, value: Any) -> str:
        """Return ``value`` as the text an input shows."""
        return "" if value is None else str(value)

    def display(self, value: Any, *, short: bool = False) -> str:
        """Return ``value`` as a person reads it (``short`` for list cells)."""
        if value is None:
            return "—"
        text = self.to_input(value)
        return text[:LIST_TEXT] + "…" if short and len(text) > LIST_TEXT else text

    def comparable(self, value: Any) -> Any:
        """Return ``value`` in a form equal values compare equal in."""
        return value


class TextField(Field):
    """A string column: trimmed, checked against the column's length."""

    def __init__(self, column: Column[Any]) -> None:
        super().__init__(column)
        length = getattr(column.type, "length", None)
        self.max_length: int | None = length
        long = length is None or length > LONG_TEXT
        self.widget = "textarea" if long else "text"

    def parse(self, raw: str | None) -> Any:
        """Return the text; an empty one is None when the column allows it."""
        text = (raw or "").strip() if self.widget == "text" else (raw or "")
        if not text.strip():
            if self.nullable:
                return None
            if self.required:
                raise FieldError("This field is required.")
            return ""
        if self.max_length is not None and len(text) > self.max_length:
            raise FieldError(f"Use at most {self.max_length} characters.")
        return no_controls(text)


class BooleanField(Field):
    """A checkbox: absent or empty is False."""

    widget = "checkbox"

    def parse(self, raw: str | None) -> Any:
        """Return True or False."""
        text = (raw or "").strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise FieldError("Tick the box or leave it empty.")

    def to_input(self, value: Any) -> str:
        """Return ``on`` for a ticked box, else nothing."""
        return "on" if value else ""

    def display(self, value: Any, *, short: bool = False) -> str:
        """Return Yes or No."""
        return "—" if value is None else ("Yes" if value else "No")


class PasswordField(Field):
    """A password: never shown; an empty entry keeps the current one."""

    widget = "password"

    def parse(self, raw: str | None) -> Any:
        """Return the plain text to hash, or UNSET for an empty entry."""
        return raw if raw else UNSET

    def to_input(self, value: Any) -> str:
        """Return nothing: a password hash never goes back to the browser."""
        return ""

    def display(self, value: Any, *, short: bool = False) -> str:
        """Return whether a password is set."""
        return "set" if value else "not set"


class ReadOnlyField(Field):
    """A column of a type forms cannot edit (JSON, binary…): shown only."""

    widget = "readonly"

    def parse(self, raw: str | None) -> Any:
        """Return UNSET: this field cannot be changed through a form."""
        return UNSET

    def to_input(self, value: Any) -> str:
        """Return JSON for structured values, text otherwise."""
        if isinstance(value, dict | list):
            return json.dumps(value, indent=2, sort_keys=True, default=str)
        return super().to_input(value)
