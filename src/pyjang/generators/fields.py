"""Fields of a generated model: ``name:type[:option…]`` and what each type becomes.

Types: ``string``, ``text``, ``int``, ``float``, ``decimal``, ``bool``,
``date``, ``datetime``, ``uuid``, ``email`` and ``fk:Model``. Options:
``optional`` (may be left empty), ``unique``, ``index``, ``default=VALUE``
and, for strings, ``max=N``. A default is checked the way the form checks
what a user types; ``today``, ``now`` and ``new`` are defaults computed when
a row is made (for dates, date-times and uuids).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pyjang.generators.files import GeneratorError
from pyjang.generators.names import MODEL_NAME, check_field_name, label

__all__ = ["KINDS", "FieldSpec", "parse_field"]

# Each type: the Python type of its values, the FormReader method reading it.
KINDS = {
    "string": ("str", "string"),
    "text": ("str", "text"),
    "int": ("int", "integer"),
    "float": ("float", "number"),
    "decimal": ("Decimal", "decimal"),
    "bool": ("bool", "boolean"),
    "date": ("date", "date"),
    "datetime": ("datetime", "datetime"),
    "uuid": ("uuid.UUID", "uuid"),
    "email": ("str", "email"),
    "fk": ("int", "reference"),
}
LENGTHS = {"string": 200, "text": 20_000, "email": 254}
MAX_STRING_LENGTH = 10_000
MAX_INTEGER = 2**31 - 1
UNINDEXABLE = {"text", "bool"}
SAMPLES = {
    "string": "Sample",
    "text": "Some text",
    "int": "3",
    "float": "2.5",
    "decimal": "9.99",
    "bool": "on",
    "date": "2025-01-31",
    "datetime": "2025-01-31T14:30",
    "uuid": "123e4567-e89b-12d3-a456-426614174000",
    "email": "ada@example.com",
}
_BOOLEANS = dict.fromkeys(("true", "yes", "on", "1"), "True") | dict.fromkeys(
    ("false", "no", "off", "0"), "False"
)
_OPTION_NAMES = {"optional", "unique", "index", "default", "max"}
_UNSAFE = re.compile(r'["\\\x00-\x1f\x7f]')


@dataclass(frozen=True)
class FieldSpec:
    """One field of a model to generate, parsed from ``name:type[:option…]``."""

    name: str
    kind: str
    target: str | None = None
    optional: bool = False
    unique: bool = False
    index: bool = False
    default: str | None = None
    max_length: int | None = None

    @property
    def column(self) -> str:
        """Return the column's name: ``supplier_id`` for ``supplier:fk:…``."""
        return f"{self.name}_id" if self.kind == "fk" else self.name

    @property
    def python(self) -> str:
        """Return the Python type of the column's values."""
        return KINDS[self.kind][0]

    @property
    def reader(self) -> str:
        """Return the ``FormReader`` method that reads this field."""
        return KINDS[self.kind][1]

    @property
    def length(self) -> int | None:
        """Return the longest text the field holds (None: not text)."""
        return self.max_length or LENGTHS.get(self.kind)

    @property
    def constant(self) -> str | None:
        """Return the name of the module constant holding the length."""
        return f"MAX_{self.name.upper()}_LENGTH" if self.length else None

    @property
    def label(self) -> str:
        """Return the field's label in forms and lists."""
        return label(self.name)

    @property
    def sample(self) -> str:
        """Return a value a form accepts for this field, as typed."""
        return SAMPLES.get(self.kind, "")

    @property
    def default_code(self) -> str | None:
        """Return the Python expression of the column default, if any."""
        return None if self.default is None else _default_code(self)

    @property
    def computed_default(self) -> bool:
        """Return True when the default is a function called per row."""
        return self.default in ("today", "now", "new")


def parse_field(text: str) -> FieldSpec:
    """Return the field ``text`` describes; raise GeneratorError when invalid."""
    name, _, rest = text.strip().partition(":")
    check_field_name(name)
    kind, _, rest = rest.partition(":")
    if kind not in KINDS:
        known = ", ".join(sorted(KINDS))
        raise GeneratorError(
            f"field {name!r}: unknown type {kind!r}; use one of {known}"
        )
    target = None
    if kind == "fk":
        target, _, rest = rest.partition(":")
        if not MODEL_NAME.match(target):
            raise GeneratorError(f"field {name!r}: write fk:Model, such as fk:Supplier")
        if name.endswith("_id"):
            raise GeneratorError(
                f"field {name!r}: name it {name[:-3]} (its column is {name})"
            )
    options = _split_options(rest)
    field = FieldSpec(name, kind, target, **_options(name, kind, options))
    if field.default is not None:
        _default_code(field)
    return field


def _split_options(text: str) -> list[str]:
    # A default may hold colons (a time of day): a piece that is no option
    # continues the default before it.
    options: list[str] = []
    for piece in text.split(":") if text else []:
        key = piece.partition("=")[0]
        known = key in _OPTION_NAMES
        if not known and options and options[-1].startswith("default="):
            options[-1] += ":" + piece
        else:
            options.append(piece)
    return options


def _options(name: str, kind: str, options: list[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for option in options:
        key, equals, value = option.partition("=")
        if key in found:
            raise GeneratorError(f"field {name!r}: option {key!r} is given twice")
        if key in ("optional", "unique", "index") and not equals:
            found[key] = True
        elif key == "default" and equals and kind != "fk":
            found["default"] = value
        elif key == "max" and equals and kind == "string":
            found["max_length"] = _length(name, value)
        else:
            raise GeneratorError(
                f"field {name!r}: {option!r} is not an option of {kind}; use optional,"
                " unique, index, default=VALUE (not for fk) or max=N (for string)"
            )
    if kind == "bool" and "optional" in found:
        raise GeneratorError(f"field {name!r}: a bool is never empty; drop optional")
    if kind in UNINDEXABLE and ({"unique", "index"} & found.keys()):
        raise GeneratorError(f"field {name!r}: a {kind} cannot be unique or indexed")
    return found


def _length(name: str, value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= MAX_STRING_LENGTH:
        raise GeneratorError(
            f"field {name!r}: max must be a whole number from 1 to {MAX_STRING_LENGTH}"
        )
    return int(value)


def _default_code(field: FieldSpec) -> str:
    value = field.default or ""
    code = _DEFAULTS[field.kind](field, value)
    if code is None:
        raise GeneratorError(
            f"field {field.name!r}: default {value!r} is not a valid {field.kind}"
            f"{_HINTS.get(field.kind, '')}"
        )
    return code


def _text_default(field: FieldSpec, value: str) -> str | None:
    if _UNSAFE.search(value) or len(value) > (field.length or 0) or not value.strip():
        return None
    if field.kind == "email" and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
        return None
    return f'"{value}"'


def _int_default(field: FieldSpec, value: str) -> str | None:
    if not re.fullmatch(r"-?\d{1,10}", value) or abs(int(value)) > MAX_INTEGER:
        return None
    return str(int(value))


def _float_default(field: FieldSpec, value: str) -> str | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return repr(number) if math.isfinite(number) and len(value) < 30 else None


def _decimal_default(field: FieldSpec, value: str) -> str | None:
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None
    exponent = number.as_tuple().exponent
    if not number.is_finite() or not isinstance(exponent, int) or exponent < -2:
        return None
    return f'Decimal("{number}")' if abs(number) < 10**10 else None


def _bool_default(field: FieldSpec, value: str) -> str | None:
    return _BOOLEANS.get(value.lower())


def _date_default(field: FieldSpec, value: str) -> str | None:
    if value == "today":
        return "date.today"
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return f"date({day.year}, {day.month}, {day.day})"


def _datetime_default(field: FieldSpec, value: str) -> str | None:
    if value == "now":
        return "utcnow"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is not None or moment.second or moment.microsecond:
        return None
    parts = (moment.year, moment.month, moment.day, moment.hour, moment.minute)
    return f"datetime({', '.join(map(str, parts))}, tzinfo=UTC)"


def _uuid_default(field: FieldSpec, value: str) -> str | None:
    return "uuid.uuid4" if value == "new" else None


_DEFAULTS = {
    "string": _text_default,
    "text": _text_default,
    "email": _text_default,
    "int": _int_default,
    "float": _float_default,
    "decimal": _decimal_default,
    "bool": _bool_default,
    "date": _date_default,
    "datetime": _datetime_default,
    "uuid": _uuid_default,
}
_HINTS = {
    "string": " (no quotes, backslashes or control characters; within max)",
    "decimal": " (at most 2 decimal places, such as 9.99)",
    "bool": " (use true or false)",
    "date": " (use YYYY-MM-DD or today)",
    "datetime": " (use YYYY-MM-DDTHH:MM in UTC, or now)",
    "uuid": " (use new for a random one per row)",
}
