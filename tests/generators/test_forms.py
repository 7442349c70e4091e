"""The generated ``forms.py``: each field type's values and its messages.

The module is loaded from a generated project's file; it needs nothing but
the standard library, so no other project code enters this process.
"""

from __future__ import annotations

import importlib.util
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from types import ModuleType

import pytest

from pyjang.generators.project import project_file


@pytest.fixture(scope="module")
def forms(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    path = tmp_path_factory.mktemp("forms") / "forms.py"
    path.write_text(project_file("shop", "forms.py"))
    spec = importlib.util.spec_from_file_location("generated_forms", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CASES = [
    ("string", "  Teapot ", "Teapot", None),
    ("string", "", None, "Enter the name."),
    ("string", "x" * 11, None, "Use at most 10 characters."),
    ("string", "bad\x00", None, "Remove the control characters."),
    ("text", "two\r\nlines", "two\nlines", None),
    ("email", "a@b.io", "a@b.io", None),
    ("email", "ada", None, "Enter an email address such as ada@example.com."),
    ("email", "ada@example.org.uk", None, "Use at most 10 characters."),
    ("integer", "-42", -42, None),
    ("integer", "4.5", None, "Enter a whole number such as 42."),
    ("integer", "9999999999", None, "Enter a number between"),
    ("number", "2.5", 2.5, None),
    ("number", "nan", None, "Enter a number such as 2.5."),
    ("decimal", "9.99", Decimal("9.99"), None),
    ("decimal", "9.999", None, "Use at most 2 decimal places."),
    ("decimal", "1e12", None, "Enter an amount smaller than"),
    ("decimal", "lots", None, "Enter an amount such as 9.99."),
    ("date", "2025-01-31", date(2025, 1, 31), None),
    ("date", "31/01/2025", None, "Enter a date such as 2025-01-31."),
    ("datetime", "2025-01-31T14:30", datetime(2025, 1, 31, 14, 30, tzinfo=UTC), None),
    ("datetime", "soon", None, "Enter a date and time such as 2025-01-31 14:30."),
    ("uuid", str(uuid.UUID(int=7)), uuid.UUID(int=7), None),
    ("uuid", "not-a-uuid", None, "Enter an identifier such as"),
    ("reference", "12", 12, None),
    ("reference", "0", None, "Choose a name."),
]


@pytest.mark.parametrize(("reader", "typed", "value", "message"), CASES)
def test_each_reader_parses_or_explains(
    forms: ModuleType, reader: str, typed: str, value: object, message: str | None
) -> None:
    form = forms.FormReader({"name": typed})
    lengths = {"max_length": 10} if reader in ("string", "text", "email") else {}
    getattr(form, reader)("name", **lengths)
    if message is None:
        assert form.errors == {} and form.values == {"name": value}
    else:
        assert form.errors["name"].startswith(message) and "name" not in form.values
        assert form.raw["name"] == typed.strip(), "the form shows what was typed"


def test_empty_fields_take_defaults_or_none_and_checkboxes_read_ticks(
    forms: ModuleType,
) -> None:
    form = forms.FormReader({"ticked": "on"}, {"count": 3})
    form.integer("count")
    form.integer("spare", required=False)
    form.date("when")
    form.boolean("ticked")
    form.boolean("unticked")
    assert form.values == {"count": 3, "spare": None, "ticked": True, "unticked": False}
    assert form.errors == {"when": "Enter a date."}


def test_form_values_show_stored_values_as_typed(forms: ModuleType) -> None:
    class Row:
        when = datetime(2025, 1, 31, 14, 30, tzinfo=UTC)
        day = date(2025, 1, 31)
        ok = True
        none = None
        price = Decimal("9.90")

    fields = ["when", "day", "ok", "none", "price"]
    assert forms.form_values(Row(), fields, {}) == {
        "when": "2025-01-31T14:30",
        "day": "2025-01-31",
        "ok": "on",
        "none": "",
        "price": "9.90",
    }
    assert forms.form_values(None, ["ok", "day"], {"ok": False}) == {
        "ok": "",
        "day": "",
    }
