"""Admin form fields for numbers, dates and times, enums and UUIDs."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import uuid
from typing import Any

from sqlalchemy import Column
from sqlalchemy import types as sa

from pyjang.admin.basefields import Field, FieldError

__all__ = [
    "DateField",
    "DateTimeField",
    "DecimalField",
    "EnumField",
    "FloatField",
    "IntegerField",
    "UUIDField",
]

_INT_BOUNDS = {sa.SmallInteger: 2**15 - 1, sa.BigInteger: 2**63 - 1}
_QUANTUM = decimal.Decimal(1)
_WIDE = decimal.Context(prec=80)


class IntegerField(Field):
    """A whole number inside the range the column's type can store."""

    widget = "number"

    def convert(self, text: str) -> Any:
        """Return an int within the column type's bounds."""
        bound = next(
            (b for t, b in _INT_BOUNDS.items() if isinstance(self.column.type, t)),
            2**31 - 1,
        )
        try:
            number = int(text) if len(text) <= 20 else None
        except ValueError:
            number = None
        if number is None or not -bound - 1 <= number <= bound:
            raise FieldError(f"Enter a whole number between {-bound - 1} and {bound}.")
        return number


class FloatField(Field):
    """A finite floating-point number."""

    widget = "number"

    def convert(self, text: str) -> Any:
        """Return a finite float."""
        try:
            number = float(text) if len(text) <= 40 else float("nan")
        except ValueError:
            number = float("nan")
        if number != number or abs(number) == float("inf"):
            raise FieldError("Enter a number such as 3.5.")
        return number


class DecimalField(Field):
    """A decimal number within the column's precision and scale."""

    widget = "number"

    def convert(self, text: str) -> Any:
        """Return a Decimal rounded to the column's scale."""
        precision = getattr(self.column.type, "precision", None) or 38
        scale = getattr(self.column.type, "scale", None) or 0
        try:
            number = decimal.Decimal(text) if len(text) <= 60 else None
            if number is not None and number.is_finite():
                number = number.quantize(_QUANTUM.scaleb(-scale), context=_WIDE)
        except decimal.InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            raise FieldError("Enter a number such as 12.50.")
        if len(number.as_tuple().digits) > precision:
            digits = precision - scale
            raise FieldError(f"Use at most {digits} digits before the point.")
        return number


class DateField(Field):
    """A calendar date written as YYYY-MM-DD."""

    widget = "date"

    def convert(self, text: str) -> Any:
        """Return a date."""
        try:
            return dt.date.fromisoformat(text[:10] if len(text) <= 10 else "x")
        except ValueError:
            raise FieldError("Enter a date as YYYY-MM-DD.") from None


class DateTimeField(Field):
    """A date and time; naive input is taken as UTC."""

    widget = "datetime-local"

    def convert(self, text: str) -> Any:
        """Return a datetime, aware when the column keeps a time zone."""
        try:
            value = dt.datetime.fromisoformat(text) if len(text) <= 40 else None
        except ValueError:
            value = None
        if value is None:
            raise FieldError("Enter a date and time as YYYY-MM-DD HH:MM.")
        return self.comparable(value)

    def comparable(self, value: Any) -> Any:
        """Return ``value`` in UTC, aware or naive as the column stores it."""
        if not isinstance(value, dt.datetime):
            return value
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        aware = aware.astimezone(dt.UTC)
        timezone = getattr(self.column.type, "timezone", False)
        return aware if timezone else aware.replace(tzinfo=None)

    def to_input(self, value: Any) -> str:
        """Return ``YYYY-MM-DDTHH:MM:SS`` in UTC."""
        if not isinstance(value, dt.datetime):
            return "" if value is None else str(value)
        utc = self.comparable(value).replace(tzinfo=None)
        return str(utc.isoformat(timespec="seconds"))

    def display(self, value: Any, *, short: bool = False) -> str:
        """Return ``YYYY-MM-DD HH:MM`` UTC."""
        if not isinstance(value, dt.datetime):
            return super().display(value, short=short)
        return f"{self.comparable(value):%Y-%m-%d %H:%M} UTC"


class EnumField(Field):
    """One of a fixed set of values, chosen from a list."""

    widget = "select"

    def __init__(self, column: Column[Any]) -> None:
        super().__init__(column)
        self.enum_class: type[enum.Enum] | None = getattr(
            column.type, "enum_class", None
        )
        names = list(getattr(column.type, "enums", []))
        self.choices = [(name, name) for name in names]

    def convert(self, text: str) -> Any:
        """Return the member (or string) named ``text``."""
        if text not in dict(self.choices):
            raise FieldError("Choose one of the listed values.")
        return self.enum_class[text] if self.enum_class else text

    def to_input(self, value: Any) -> str:
        """Return the member's name."""
        if isinstance(value, enum.Enum):
            return value.name
        return super().to_input(value)


class UUIDField(Field):
    """A UUID such as 0c5e8e6e-…."""

    def convert(self, text: str) -> Any:
        """Return a UUID."""
        try:
            return uuid.UUID(text) if len(text) <= 40 else uuid.UUID("x")
        except ValueError:
            raise FieldError("Enter a valid UUID.") from None
