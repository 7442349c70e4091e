"""Create, edit and delete through the admin; bad input never writes anything."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from pyjang.admin import AuditEntry
from pyjang.models import User
from pyjang.posts import Post
from tests.admin.conftest import Colour, Gadget
from tests.admin.support import add_user, become, count, fetch, token


@pytest.fixture
def admin(client: TestClient) -> tuple[TestClient, uuid.UUID]:
    user_id = become(client, "superuser")
    assert user_id is not None
    return client, user_id


def make_post(client: TestClient, author: uuid.UUID, subject: str = "First") -> int:
    data = {
        "csrf_token": token(client),
        "subject": subject,
        "body": "Some text",
        "author_id": str(author),
    }
    response = client.post("/admin/post/new", data=data)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/admin/post"
    (post,) = fetch(client, select(Post).where(Post.subject == subject))
    return int(post.id)


def test_create_edit_and_delete_a_post(admin: tuple[TestClient, uuid.UUID]) -> None:
    client, me = admin
    post_id = make_post(client, me)
    listing = client.get("/admin/post")
    assert "Added post “First”." in listing.text and "First" in listing.text

    form = client.get(f"/admin/post/{post_id}")
    assert form.status_code == 200 and 'value="First"' in form.text
    data = {
        "csrf_token": token(client),
        "subject": "Renamed",
        "body": "New",
        "author_id": str(me),
    }
    assert client.post(f"/admin/post/{post_id}", data=data).status_code == 303
    (post,) = fetch(client, select(Post))
    assert (post.subject, post.body) == ("Renamed", "New")

    confirm = client.get(f"/admin/post/{post_id}/delete")
    assert confirm.status_code == 200 and "Renamed" in confirm.text
    data = {"csrf_token": token(client), "confirm": "yes"}
    assert client.post(f"/admin/post/{post_id}/delete", data=data).status_code == 303
    assert count(client, Post) == 0


def test_a_delete_without_confirmation_asks_first(
    admin: tuple[TestClient, uuid.UUID],
) -> None:
    client, me = admin
    post_id = make_post(client, me)
    answer = client.post(
        f"/admin/post/{post_id}/delete", data={"csrf_token": token(client)}
    )
    assert answer.status_code == 200 and 'id="confirm-delete"' in answer.text
    assert count(client, Post) == 1


def test_bulk_delete_confirms_then_deletes_the_selection(
    admin: tuple[TestClient, uuid.UUID],
) -> None:
    client, me = admin
    ids = [make_post(client, me, f"Post {n}") for n in range(3)]
    chosen = {"csrf_token": token(client), "pk": [str(ids[0]), str(ids[2])]}
    confirm = client.post("/admin/post/bulk-delete?q=Post", data=chosen)
    assert confirm.status_code == 200
    assert (
        "Post 0" in confirm.text
        and "Post 2" in confirm.text
        and "Post 1" not in confirm.text
    )
    done = client.post(
        "/admin/post/bulk-delete?q=Post", data={**chosen, "confirm": "yes"}
    )
    assert done.status_code == 303 and done.headers["location"] == "/admin/post?q=Post"
    assert [p.subject for p in fetch(client, select(Post))] == ["Post 1"]
    assert count(client, AuditEntry, AuditEntry.action == "delete") == 2


def test_htmx_bulk_delete_reloads_the_list_in_place(
    admin: tuple[TestClient, uuid.UUID],
) -> None:
    client, me = admin
    post_id = make_post(client, me)
    data = {"csrf_token": token(client), "pk": str(post_id), "confirm": "yes"}
    answer = client.post(
        "/admin/post/bulk-delete", data=data, headers={"HX-Request": "true"}
    )
    assert answer.status_code == 200
    assert (
        answer.headers["hx-location"]
        == '{"path": "/admin/post", "target": "#admin-list"}'
    )
    assert count(client, Post) == 0


@pytest.mark.parametrize(
    "selection",
    [[], ["abc"], ["999999"], ["1", "999999"], [str(2**70)]],
)
def test_a_bad_bulk_selection_deletes_nothing(
    admin: tuple[TestClient, uuid.UUID], selection: list[str]
) -> None:
    client, me = admin
    make_post(client, me)
    audits = count(client, AuditEntry)
    data = {"csrf_token": token(client), "pk": selection, "confirm": "yes"}
    answer = client.post("/admin/post/bulk-delete", data=data)
    assert answer.status_code == 400
    assert 'id="delete-problem"' in answer.text
    assert count(client, Post) == 1 and count(client, AuditEntry) == audits


def test_htmx_form_errors_come_back_in_place(
    admin: tuple[TestClient, uuid.UUID],
) -> None:
    client, me = admin
    data = {"csrf_token": token(client), "subject": "", "author_id": str(me)}
    answer = client.post("/admin/post/new", data=data, headers={"HX-Request": "true"})
    assert answer.status_code == 200, "htmx swaps only successful answers"
    assert answer.text.lstrip().startswith(
        '<form method="post" action="/admin/post/new"'
    )
    assert "This field is required." in answer.text


def test_a_good_htmx_save_redirects(admin: tuple[TestClient, uuid.UUID]) -> None:
    client, me = admin
    data = {"csrf_token": token(client), "subject": "Via htmx", "author_id": str(me)}
    answer = client.post("/admin/post/new", data=data, headers={"HX-Request": "true"})
    assert answer.headers["hx-redirect"] == "/admin/post"


def _post_form(me: uuid.UUID, **changes: Any) -> dict[str, Any]:
    return {"subject": "Fine", "body": "Fine", "author_id": str(me), **changes}


BAD_POSTS = [
    ({"subject": ""}, "This field is required."),
    ({"subject": "s" * 201}, "Use at most 200 characters."),
    ({"body": "b" * 20_001}, "Use at most 20000 characters."),
    ({"subject": "nul\x00byte"}, "Remove the control characters."),
    ({"author_id": "not-a-uuid"}, "Enter a valid UUID."),
    ({"author_id": str(uuid.uuid4())}, "No author with this key exists."),
    ({"author_id": ""}, "This field is required."),
    ({"author_id": ["a", "b"]}, "Send one value for this field."),
    ({"colour": "red"}, "These fields cannot be set here: colour."),
    ({"id": "5"}, "These fields cannot be set here: id."),
    (
        {"created_at": "2020-01-01T00:00"},
        "These fields cannot be set here: created_at.",
    ),
]


@pytest.mark.parametrize(("changes", "message"), BAD_POSTS)
def test_bad_post_input_writes_nothing(
    admin: tuple[TestClient, uuid.UUID], changes: dict[str, Any], message: str
) -> None:
    client, me = admin
    post_id = make_post(client, me)
    before = (count(client, Post), count(client, AuditEntry))
    data = {"csrf_token": token(client), **_post_form(me, **changes)}
    for url in ("/admin/post/new", f"/admin/post/{post_id}"):
        answer = client.post(url, data=data)
        assert answer.status_code == 400, url
        assert message in answer.text.replace("&#34;", '"'), url
        assert (count(client, Post), count(client, AuditEntry)) == before
    (post,) = fetch(client, select(Post))
    assert post.subject == "First"


BAD_USERS = [
    ({"email": "not an address"}, "Enter a valid email address."),
    ({"email": "taken@example.com"}, "Another row already has this value."),
    ({"password_hash": "password123"}, "common"),
    ({"password_hash": "short"}, "at least 10 characters"),
    ({"is_staff": "maybe"}, "Tick the box or leave it empty."),
    ({"auth_version": "99"}, "cannot be set here: auth_version"),
    ({"id": str(uuid.uuid4())}, "cannot be set here: id"),
]


@pytest.mark.parametrize(("changes", "message"), BAD_USERS)
def test_bad_user_input_writes_nothing(
    admin: tuple[TestClient, uuid.UUID], changes: dict[str, Any], message: str
) -> None:
    client, _ = admin
    target = add_user(client, "target@example.com")
    add_user(client, "taken@example.com")
    before = (count(client, User), count(client, AuditEntry))
    data = {"csrf_token": token(client), "email": "new@example.com", **changes}
    for url in ("/admin/user/new", f"/admin/user/{target}"):
        answer = client.post(url, data=data)
        assert answer.status_code == 400, url
        assert message in answer.text, url
        assert (count(client, User), count(client, AuditEntry)) == before
    (user,) = fetch(client, select(User).where(User.id == target))
    assert user.email == "target@example.com"


GADGET_TYPES = [
    ({"count": "twelve"}, "count", "whole number"),
    ({"count": str(2**40)}, "count", "whole number between"),
    ({"small": "99999"}, "small", "between -32768 and 32767"),
    ({"ratio": "NaN"}, "ratio", "Enter a number"),
    ({"price": "12345678"}, "price", "digits before the point"),
    ({"made_on": "31/12/2024"}, "made_on", "YYYY-MM-DD"),
    ({"seen_at": "tomorrow"}, "seen_at", "YYYY-MM-DD HH:MM"),
    ({"colour": "BLUE"}, "colour", "listed values"),
    ({"serial": "1234"}, "serial", "valid UUID"),
    ({"owner_id": str(uuid.uuid4())}, "owner_id", "No owner with this key exists."),
    ({"active": "perhaps"}, "active", "Tick the box"),
    ({"name": "forbidden"}, "name", "This name is reserved."),
    ({"api_token": "x"}, "__all__", "cannot be set here: api_token"),
    ({"data": "{}"}, "__all__", "cannot be set here: data"),
]


@pytest.mark.parametrize(("changes", "field", "message"), GADGET_TYPES)
def test_wrong_types_get_a_message_next_to_their_field(
    gadget_client: TestClient, changes: dict[str, str], field: str, message: str
) -> None:
    become(gadget_client, "superuser")
    before = (count(gadget_client, Gadget), count(gadget_client, AuditEntry))
    data = {"csrf_token": token(gadget_client), "name": "ok", **changes}
    answer = gadget_client.post("/testadmin/gadget/new", data=data)
    assert answer.status_code == 400
    if field == "__all__":
        assert 'id="form-error"' in answer.text and message in answer.text
    else:
        error = answer.text.split(f'id="error-{field}">', 1)[1].split("</p>", 1)[0]
        assert message in error
    assert (count(gadget_client, Gadget), count(gadget_client, AuditEntry)) == before


def test_every_type_saves_and_shows_again(gadget_client: TestClient) -> None:
    owner_id = become(gadget_client, "superuser")
    serial = uuid.uuid4()
    data = {
        "csrf_token": token(gadget_client),
        "name": "Full",
        "notes": "Two\nlines",
        "count": "3",
        "small": "-2",
        "big": str(2**40),
        "ratio": "0.25",
        "price": "9.99",
        "active": "on",
        "made_on": "2024-01-31",
        "seen_at": "2024-01-31T08:15:00",
        "colour": "GREEN",
        "serial": str(serial),
        "owner_id": str(owner_id),
    }
    assert gadget_client.post("/testadmin/gadget/new", data=data).status_code == 303
    (gadget,) = fetch(gadget_client, select(Gadget))
    assert (gadget.colour, gadget.serial, gadget.big) == (Colour.GREEN, serial, 2**40)
    form = gadget_client.get(f"/testadmin/gadget/{gadget.id}").text
    assert 'value="2024-01-31T08:15:00"' in form and 'value="9.99"' in form
    assert '<option value="GREEN" selected>' in form
    duplicate = {**data, "name": "Copy"}
    answer = gadget_client.post("/testadmin/gadget/new", data=duplicate)
    assert (
        answer.status_code == 400
        and "Another row already has this value." in answer.text
    )


@pytest.mark.parametrize(
    "path", ["999999", "abc", "-1", "1.5", str(2**80), "%00", "1%20OR%201=1"]
)
def test_a_forged_key_in_the_url_is_a_404_that_writes_nothing(
    admin: tuple[TestClient, uuid.UUID], path: str
) -> None:
    client, me = admin
    make_post(client, me)
    before = (count(client, Post), count(client, AuditEntry))
    data = {"csrf_token": token(client), **_post_form(me), "confirm": "yes"}
    assert client.get(f"/admin/post/{path}").status_code == 404
    assert client.post(f"/admin/post/{path}", data=data).status_code == 404
    assert client.post(f"/admin/post/{path}/delete", data=data).status_code == 404
    assert client.get(f"/admin/user/{path}").status_code == 404
    assert (count(client, Post), count(client, AuditEntry)) == before


def test_rows_hidden_by_the_query_modifier_cannot_be_opened(
    gadget_client: TestClient,
) -> None:
    become(gadget_client, "superuser")
    data = {"csrf_token": token(gadget_client), "name": "secret thing"}
    gadget_client.post("/testadmin/gadget/new", data=data)
    (gadget,) = fetch(gadget_client, select(Gadget))
    assert gadget_client.get(f"/testadmin/gadget/{gadget.id}").status_code == 404


def test_deleting_a_referenced_row_is_refused_with_a_message(
    admin: tuple[TestClient, uuid.UUID],
) -> None:
    client, _ = admin
    author = add_user(client, "author@example.com")
    make_post(client, author)
    before = count(client, AuditEntry)
    data = {"csrf_token": token(client), "confirm": "yes"}
    answer = client.post(f"/admin/user/{author}/delete", data=data)
    assert answer.status_code == 400
    assert "Other rows still refer to this one" in answer.text
    assert count(client, User, User.id == author) == 1
    assert count(client, AuditEntry) == before


def test_the_audit_log_is_read_only(admin: tuple[TestClient, uuid.UUID]) -> None:
    client, me = admin
    make_post(client, me)
    (entry,) = fetch(client, select(AuditEntry))
    page = client.get(f"/admin/auditentry/{entry.id}")
    assert page.status_code == 200 and 'id="admin-save"' not in page.text
    data = {"csrf_token": token(client), "action": "delete", "confirm": "yes"}
    assert client.post(f"/admin/auditentry/{entry.id}", data=data).status_code == 403
    assert (
        client.post(f"/admin/auditentry/{entry.id}/delete", data=data).status_code
        == 403
    )
    assert client.post("/admin/auditentry/new", data=data).status_code == 403
    data["pk"] = str(entry.id)
    assert client.post("/admin/auditentry/bulk-delete", data=data).status_code == 403
    assert fetch(client, select(AuditEntry.action)) == ["create"]
