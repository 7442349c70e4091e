"""The audit log: every admin write, with who, when, where and what changed."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from pyjang.admin import AuditEntry
from pyjang.admin.audit import MASK, is_sensitive, jsonable, mask_changes
from pyjang.models import User
from pyjang.posts import Post
from tests.admin.conftest import Colour
from tests.admin.support import add_user, become, fetch, token


def entries(client: TestClient) -> list[AuditEntry]:
    return fetch(client, select(AuditEntry).order_by(AuditEntry.id))


def test_create_update_and_delete_are_recorded_with_values(client: TestClient) -> None:
    me = become(client, "staff")
    started = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    data = {
        "csrf_token": token(client),
        "subject": "One",
        "body": "",
        "author_id": str(me),
    }
    client.post("/admin/post/new", data=data)
    (post,) = fetch(client, select(Post))
    client.post(f"/admin/post/{post.id}", data={**data, "subject": "Two"})
    client.post(f"/admin/post/{post.id}", data={**data, "subject": "Two"})
    client.post(f"/admin/post/{post.id}/delete", data={**data, "confirm": "yes"})

    created, updated, deleted = entries(client)
    assert [e.action for e in (created, updated, deleted)] == [
        "create",
        "update",
        "delete",
    ]
    for entry in (created, updated, deleted):
        assert (entry.user_id, entry.user_email) == (me, "staff@example.com")
        assert (entry.model, entry.object_id) == ("post", str(post.id))
        assert entry.ip == "testclient"
        assert entry.created_at.replace(tzinfo=dt.UTC) >= started
    assert created.changes["subject"] == [None, "One"]
    assert created.changes["author_id"] == [None, str(me)]
    assert updated.changes == {"subject": ["One", "Two"]}, "only what changed"
    assert deleted.changes["subject"] == ["Two", None]


def test_an_unchanged_save_records_nothing(client: TestClient) -> None:
    me = become(client, "staff")
    data = {
        "csrf_token": token(client),
        "subject": "Same",
        "body": "",
        "author_id": str(me),
    }
    client.post("/admin/post/new", data=data)
    (post,) = fetch(client, select(Post))
    assert client.post(f"/admin/post/{post.id}", data=data).status_code == 303
    assert [e.action for e in entries(client)] == ["create"]


def test_passwords_are_masked_in_the_log(client: TestClient) -> None:
    become(client, "superuser")
    data = {
        "csrf_token": token(client),
        "email": "new@example.com",
        "password_hash": "a long and unusual passphrase",
    }
    assert client.post("/admin/user/new", data=data).status_code == 303
    (user,) = fetch(client, select(User).where(User.email == "new@example.com"))
    data["password_hash"] = "another long unusual passphrase"
    assert client.post(f"/admin/user/{user.id}", data=data).status_code == 303
    created, updated = entries(client)
    assert created.changes["password_hash"] == [None, MASK]
    assert updated.changes["password_hash"] == [MASK, MASK]
    log_text = repr([created.changes, updated.changes])
    assert "argon2" not in log_text and "passphrase" not in log_text


def test_the_log_is_browsable_and_searchable(client: TestClient) -> None:
    become(client, "superuser")
    target = add_user(client, "someone@example.com")
    data = {"csrf_token": token(client), "email": "renamed@example.com"}
    client.post(f"/admin/user/{target}", data=data)
    listing = client.get("/admin/auditentry?q=superuser")
    assert listing.status_code == 200 and "superuser@example.com" in listing.text
    assert (
        'id="admin-add"' not in listing.text
        and 'id="admin-bulk-delete"' not in listing.text
    )
    assert "update" in client.get("/admin/auditentry?f_action=update").text
    (entry,) = entries(client)
    detail = client.get(f"/admin/auditentry/{entry.id}").text
    assert "someone@example.com" in detail and "renamed@example.com" in detail


@pytest.mark.parametrize(
    ("name", "sensitive"),
    [
        ("password_hash", True),
        ("API_SECRET", True),
        ("reset_token", True),
        ("email", False),
        ("tokenizer_count", True),
        ("subject", False),
    ],
)
def test_sensitive_names(name: str, sensitive: bool) -> None:
    assert is_sensitive(name) is sensitive


def test_values_become_json() -> None:
    key = uuid.uuid4()
    assert jsonable(key) == str(key)
    assert jsonable(decimal.Decimal("1.50")) == "1.50"
    assert jsonable(dt.date(2024, 1, 2)) == "2024-01-02"
    assert jsonable(Colour.RED) == "RED"
    assert jsonable(float("nan")) == "nan"
    assert jsonable({"a": [key]}) == {"a": [str(key)]}
    assert mask_changes({"secret": ("a", None), "n": (1, 2)}) == {
        "secret": [MASK, None],
        "n": [1, 2],
    }


def test_an_unknown_action_is_refused() -> None:
    from pyjang.admin.audit import record

    with pytest.raises(ValueError, match="action must be one of"):
        record(None, None, model="x", object_id=1, action="rename", changes={})  # type: ignore[arg-type]
