"""The admin on PostgreSQL: the same forms, searches and refusals as on SQLite."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from pyjang.admin import AuditEntry
from pyjang.models import User
from pyjang.posts import Post
from tests.admin.support import RELAXED_LIMITS, add_user, become, count, fetch, token


@pytest.fixture
def pg_client(
    make_client: Callable[..., TestClient], fresh_postgres_url: str
) -> TestClient:
    return make_client(database_url=fresh_postgres_url, rate_limit_auth=RELAXED_LIMITS)


def test_posts_round_trip_with_audit(pg_client: TestClient) -> None:
    me = become(pg_client, "superuser")
    data = {
        "csrf_token": token(pg_client),
        "subject": "Über 100% sure_",
        "body": "",
        "author_id": str(me),
    }
    assert pg_client.post("/admin/post/new", data=data).status_code == 303
    (post,) = fetch(pg_client, select(Post))
    edited = {**data, "subject": "Edited"}
    assert pg_client.post(f"/admin/post/{post.id}", data=edited).status_code == 303
    search = pg_client.get("/admin/post?q=edit").text
    assert "Edited" in search
    assert "Nothing matches." in pg_client.get("/admin/post?q=100%25").text
    actions = fetch(pg_client, select(AuditEntry.action).order_by(AuditEntry.id))
    assert actions == ["create", "update"]
    (update,) = fetch(pg_client, select(AuditEntry).where(AuditEntry.id == 2))
    assert update.changes == {"subject": ["Über 100% sure_", "Edited"]}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"subject": "nul\x00byte"}, "Remove the control characters."),
        ({"subject": "s" * 201}, "Use at most 200 characters."),
        ({"author_id": str(uuid.uuid4())}, "No author with this key exists."),
    ],
)
def test_values_postgresql_would_reject_get_messages(
    pg_client: TestClient, changes: dict[str, str], message: str
) -> None:
    me = become(pg_client, "superuser")
    data = {"csrf_token": token(pg_client), "subject": "x", "author_id": str(me)}
    answer = pg_client.post("/admin/post/new", data={**data, **changes})
    assert answer.status_code == 400 and message in answer.text
    assert count(pg_client, Post) == 0 and count(pg_client, AuditEntry) == 0


@pytest.mark.parametrize("path", [str(2**40), "-5", "nope"])
def test_forged_keys_are_404_on_postgresql(pg_client: TestClient, path: str) -> None:
    become(pg_client, "staff")
    assert pg_client.get(f"/admin/post/{path}").status_code == 404
    assert pg_client.get(f"/admin/user/{path}").status_code == 404


def test_a_referenced_user_cannot_be_deleted(pg_client: TestClient) -> None:
    become(pg_client, "superuser")
    author = add_user(pg_client, "author@example.com")
    data = {"csrf_token": token(pg_client), "subject": "x", "author_id": str(author)}
    pg_client.post("/admin/post/new", data=data)
    answer = pg_client.post(
        f"/admin/user/{author}/delete",
        data={"csrf_token": token(pg_client), "confirm": "yes"},
    )
    assert answer.status_code == 400 and "Other rows still refer" in answer.text
    assert count(pg_client, User, User.id == author) == 1
