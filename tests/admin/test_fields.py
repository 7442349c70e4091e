"""Form fields from column types: parsing, messages, inputs and display."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any

import pytest
from starlette.testclient import TestClient

from pyjang.admin.fields import (
    UNSET,
    BooleanField,
    DateField,
    DateTimeField,
    DecimalField,
    EnumField,
    FieldError,
    FloatField,
    ForeignKeyField,
    IntegerField,
    PasswordField,
    ReadOnlyField,
    TextField,
    UUIDField,
    field_for,
    label,
)
from tests.admin.conftest import Colour, Gadget
from tests.admin.support import become

COLUMNS = Gadget.__table__.c


@pytest.mark.parametrize(
    ("column", "kind", "widget"),
    [
        ("name", TextField, "text"),
        ("notes", TextField, "textarea"),
        ("count", IntegerField, "number"),
        ("small", IntegerField, "number"),
        ("big", IntegerField, "number"),
        ("ratio", FloatField, "number"),
        ("price", DecimalField, "number"),
        ("active", BooleanField, "checkbox"),
        ("made_on", DateField, "date"),
        ("seen_at", DateTimeField, "datetime-local"),
        ("colour", EnumField, "select"),
        ("serial", UUIDField, "text"),
        ("owner_id", ForeignKeyField, "select"),
        ("data", ReadOnlyField, "readonly"),
    ],
)
def test_every_column_type_gets_its_field(column: str, kind: type, widget: str) -> None:
    field = field_for(COLUMNS[column])
    assert type(field) is kind
    assert field.widget == widget


def test_a_column_named_like_a_password_is_a_password_field() -> None:
    from pyjang.models import User

    field = field_for(User.__table__.c.password_hash)
    assert isinstance(field, PasswordField)
    assert field.label == "Password"
    assert field.to_input("$argon2id$v=19$secret") == ""
    assert field.parse("") is UNSET


def test_labels_read_like_words() -> None:
    assert label("created_at") == "Created at"
    assert label("author_id", reference=True) == "Author"
    assert label("object_id") == "Object ID"
    assert label("ip") == "IP"
    assert field_for(COLUMNS["owner_id"]).label == "Owner"


GOOD = [
    ("name", "  Widget  ", "Widget"),
    ("notes", "line one\nline two", "line one\nline two"),
    ("notes", "", None),
    ("count", "42", 42),
    ("count", "-7", -7),
    ("small", "32767", 32767),
    ("big", str(2**63 - 1), 2**63 - 1),
    ("ratio", "3.5", 3.5),
    ("price", "12.5", decimal.Decimal("12.50")),
    ("active", "on", True),
    ("active", None, False),
    ("made_on", "2024-02-29", dt.date(2024, 2, 29)),
    ("seen_at", "2024-05-01T10:30", dt.datetime(2024, 5, 1, 10, 30, tzinfo=dt.UTC)),
    ("colour", "GREEN", Colour.GREEN),
    (
        "serial",
        "12345678-1234-5678-1234-567812345678",
        uuid.UUID(int=0x12345678123456781234567812345678),
    ),
    ("owner_id", "", None),
]


@pytest.mark.parametrize(("column", "raw", "value"), GOOD)
def test_good_values_parse(column: str, raw: str | None, value: Any) -> None:
    assert field_for(COLUMNS[column]).parse(raw) == value


BAD = [
    ("name", "", "required"),
    ("name", "x" * 41, "at most 40 characters"),
    ("name", "bad\x00byte", "control characters"),
    ("count", "twelve", "whole number"),
    ("count", "1.5", "whole number"),
    ("count", str(2**31), "whole number between"),
    ("small", "40000", "between -32768 and 32767"),
    ("big", str(2**63), "whole number"),
    ("big", "9" * 400, "whole number"),
    ("ratio", "nan", "number"),
    ("ratio", "inf", "number"),
    ("ratio", "1e400", "number"),
    ("price", "abc", "number"),
    ("price", "1234567.00", "at most 6 digits"),
    ("price", "1e50", "at most 6 digits"),
    ("price", "1e999999999", "number"),
    ("active", "maybe", "Tick the box"),
    ("made_on", "2023-02-30", "YYYY-MM-DD"),
    ("made_on", "yesterday", "YYYY-MM-DD"),
    ("seen_at", "not a time", "YYYY-MM-DD HH:MM"),
    ("colour", "PURPLE", "listed values"),
    ("serial", "not-a-uuid", "valid UUID"),
    ("owner_id", "not-a-uuid", "valid UUID"),
]


@pytest.mark.parametrize(("column", "raw", "message"), BAD)
def test_bad_values_are_refused_with_a_sentence(
    column: str, raw: str, message: str
) -> None:
    with pytest.raises(FieldError, match=message):
        field_for(COLUMNS[column]).parse(raw)


def test_an_empty_value_keeps_a_default_and_nulls_a_nullable_column() -> None:
    assert field_for(COLUMNS["count"]).parse("") is UNSET
    assert field_for(COLUMNS["ratio"]).parse("  ") is None


def test_read_only_fields_never_parse_input() -> None:
    assert field_for(COLUMNS["data"]).parse('{"x": 1}') is UNSET


def test_display_and_input_values() -> None:
    seen = field_for(COLUMNS["seen_at"])
    moment = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert seen.to_input(moment) == "2024-05-01T10:00:00"
    assert seen.display(moment) == "2024-05-01 10:00 UTC"
    # SQLite hands back naive values for aware columns; they compare as UTC.
    assert seen.comparable(dt.datetime(2024, 5, 1, 10)) == moment
    assert field_for(COLUMNS["active"]).display(True) == "Yes"
    assert field_for(COLUMNS["colour"]).to_input(Colour.RED) == "RED"
    assert field_for(COLUMNS["notes"]).display("x" * 100, short=True).endswith("…")
    assert field_for(COLUMNS["name"]).display(None) == "—"
    assert field_for(COLUMNS["data"]).to_input({"b": 1}) == '{\n  "b": 1\n}'


def test_the_form_draws_a_widget_per_type(gadget_client: TestClient) -> None:
    become(gadget_client, "superuser")
    page = gadget_client.get("/testadmin/gadget/new")
    assert page.status_code == 200
    html = page.text
    assert 'type="text" id="id_name"' in html and 'maxlength="40"' in html
    assert '<textarea id="id_notes"' in html
    assert 'type="number" id="id_count"' in html
    assert 'type="checkbox" id="id_active" name="active" value="on" checked' in html
    assert 'type="date" id="id_made_on"' in html
    assert 'type="datetime-local" id="id_seen_at"' in html
    assert '<select id="id_colour"' in html and '<option value="GREEN"' in html
    assert '<select id="id_owner_id"' in html and "superuser@example.com" in html
    assert "api_token" not in html, "hidden fields never reach the page"
    assert 'id="id_data"' not in html, "read-only fields are not on a new row's form"
