"""Who may use the admin, and the account rules no admin form can break."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from pyjang.admin import AdminSite
from pyjang.admin.accounts import UserAdmin
from pyjang.models import User
from pyjang.posts import Post
from tests.admin.support import (
    ROLES,
    add_user,
    become,
    count,
    database,
    fetch,
    run,
    sign_in,
    token,
)


def _routes(post_id: int) -> list[tuple[str, str]]:
    return [
        ("GET", "/admin"),
        ("GET", "/admin/post"),
        ("GET", "/admin/post/new"),
        ("POST", "/admin/post/new"),
        ("POST", "/admin/post/bulk-delete"),
        ("GET", "/admin/post/lookup/author_id"),
        ("GET", f"/admin/post/{post_id}"),
        ("POST", f"/admin/post/{post_id}"),
        ("GET", f"/admin/post/{post_id}/delete"),
        ("POST", f"/admin/post/{post_id}/delete"),
        ("GET", "/admin/auditentry"),
        ("GET", "/admin/user"),
    ]


def _seed_post(client: TestClient) -> int:
    author = add_user(client, f"author-{uuid.uuid4().hex[:6]}@example.com")

    async def add() -> int:
        async with database(client).session() as db:
            post = Post(subject="Seed", body="", author_id=author)
            db.add(post)
            await db.commit()
            return post.id

    result: int = run(client, add)
    return result


@pytest.mark.parametrize("role", ROLES)
def test_every_admin_route_is_for_staff_only(client: TestClient, role: str) -> None:
    post_id = _seed_post(client)
    become(client, role)
    csrf = token(client, "/login" if role == "anonymous" else "/dashboard")
    for method, path in _routes(post_id):
        data = {"csrf_token": csrf} if method == "POST" else None
        answer = client.request(method, path, data=data)
        if role == "anonymous":
            assert answer.status_code == 302, (method, path)
            assert answer.headers["location"].startswith("/login?next=/admin")
        elif role == "user":
            assert answer.status_code == 403, (method, path)
        else:
            assert answer.status_code in (200, 303, 400, 404), (method, path)
    assert count(client, Post) == 1, "no route deletes without a confirmation"


def test_htmx_anonymous_requests_get_a_redirect_header(client: TestClient) -> None:
    answer = client.get("/admin/post", headers={"HX-Request": "true"})
    assert answer.headers["hx-redirect"] == "/login?next=/admin/post"


def test_staff_cannot_grant_rights(client: TestClient) -> None:
    become(client, "staff")
    target = add_user(client, "plain@example.com")
    form = client.get(f"/admin/user/{target}").text
    assert 'name="is_staff"' not in form, "privilege boxes are read-only for staff"
    data = {"csrf_token": token(client), "email": "plain@example.com", "is_staff": "on"}
    answer = client.post(f"/admin/user/{target}", data=data)
    assert answer.status_code == 400 and "cannot be set here: is_staff" in answer.text
    created = client.post("/admin/user/new", data={**data, "email": "x@example.com"})
    assert created.status_code == 400
    assert count(client, User, User.is_staff.is_(True)) == 1


def test_staff_may_edit_ordinary_accounts(client: TestClient) -> None:
    become(client, "staff")
    target = add_user(client, "plain@example.com")
    data = {
        "csrf_token": token(client),
        "email": "Renamed@Example.com",
        "is_active": "on",
    }
    assert client.post(f"/admin/user/{target}", data=data).status_code == 303
    (user,) = fetch(client, select(User).where(User.id == target))
    assert user.email == "renamed@example.com", "emails are normalised"


def test_staff_cannot_touch_a_superuser(client: TestClient) -> None:
    boss = add_user(client, "boss@example.com", superuser=True)
    become(client, "staff")
    data = {"csrf_token": token(client), "email": "boss@example.com", "confirm": "yes"}
    assert client.get(f"/admin/user/{boss}").status_code == 403
    assert client.post(f"/admin/user/{boss}", data=data).status_code == 403
    assert client.post(f"/admin/user/{boss}/delete", data=data).status_code == 403
    bulk = client.post("/admin/user/bulk-delete", data={**data, "pk": str(boss)})
    assert bulk.status_code == 400 and "may not delete" in bulk.text
    assert count(client, User, User.id == boss) == 1


def test_a_superuser_grants_rights_and_ends_the_targets_sessions(
    client: TestClient, make_client: object
) -> None:
    target = add_user(client, "rising@example.com")
    sign_in(client, "rising@example.com")
    their_cookie = client.cookies["session_id"]
    become(client, "superuser")
    data = {
        "csrf_token": token(client),
        "email": "rising@example.com",
        "is_active": "on",
        "is_staff": "on",
    }
    assert client.post(f"/admin/user/{target}", data=data).status_code == 303
    (user,) = fetch(client, select(User).where(User.id == target))
    assert user.is_staff and user.auth_version == 2
    mine = client.cookies["session_id"]
    client.cookies.clear()
    stale = client.get("/dashboard", headers={"Cookie": f"session_id={their_cookie}"})
    assert stale.status_code == 302, "the old session ended with the privilege change"
    client.cookies.clear()
    ok = client.get("/dashboard", headers={"Cookie": f"session_id={mine}"})
    assert ok.status_code == 200, "the acting superuser stays logged in"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"is_superuser": ""}, "You cannot remove your own rights"),
        ({"is_staff": ""}, "You cannot remove your own rights"),
        ({"is_active": ""}, "You cannot deactivate your own account."),
    ],
)
def test_nobody_locks_themself_out(
    client: TestClient, changes: dict[str, str], message: str
) -> None:
    me = become(client, "superuser")
    data = {
        "csrf_token": token(client),
        "email": "superuser@example.com",
        "is_active": "on",
        "is_staff": "on",
        "is_superuser": "on",
    }
    data.update(changes)
    data = {key: value for key, value in data.items() if value}
    answer = client.post(f"/admin/user/{me}", data=data)
    assert answer.status_code == 400 and message in answer.text
    (user,) = fetch(client, select(User).where(User.id == me))
    assert user.is_active and user.is_staff and user.is_superuser


def test_nobody_deletes_themself(client: TestClient) -> None:
    me = become(client, "superuser")
    data = {"csrf_token": token(client), "confirm": "yes", "pk": str(me)}
    single = client.post(f"/admin/user/{me}/delete", data=data)
    assert single.status_code == 400 and "your own account" in single.text
    bulk = client.post("/admin/user/bulk-delete", data=data)
    assert bulk.status_code == 400 and "your own account" in bulk.text
    assert count(client, User, User.id == me) == 1


def test_a_new_password_is_hashed_and_keeps_the_actor_logged_in(
    client: TestClient, helpers: object
) -> None:
    me = become(client, "superuser")
    new_password = "a brand new sentence of words"
    data = {
        "csrf_token": token(client),
        "email": "superuser@example.com",
        "password_hash": new_password,
        "is_active": "on",
        "is_staff": "on",
        "is_superuser": "on",
    }
    assert client.post(f"/admin/user/{me}", data=data).status_code == 303
    (user,) = fetch(client, select(User).where(User.id == me))
    assert user.password_hash.startswith("$argon2id$")
    assert new_password not in client.get(f"/admin/user/{me}").text
    assert client.get("/admin").status_code == 200, "still logged in"
    from tests.conftest import login

    client.cookies.clear()
    assert login(client, "superuser@example.com", new_password).status_code == 303


def test_a_large_referenced_table_gets_a_search_box(
    gadget_client: TestClient, gadget_site: AdminSite
) -> None:
    users = gadget_site.get("user")
    assert isinstance(users, UserAdmin)
    users.lookup_threshold = 2
    become(gadget_client, "staff")
    for n in range(3):
        add_user(gadget_client, f"someone{n}@example.com")
    form = gadget_client.get("/testadmin/gadget/new").text
    assert 'hx-get="/testadmin/gadget/lookup/owner_id"' in form
    assert '<datalist id="id_owner_id-options">' in form
    found = gadget_client.get(
        "/testadmin/gadget/lookup/owner_id", params={"owner_id": "someone1"}
    )
    assert found.status_code == 200
    assert "someone1@example.com" in found.text and "someone2" not in found.text
    assert gadget_client.get("/testadmin/gadget/lookup/name").status_code == 404
    empty = gadget_client.get("/testadmin/gadget/lookup/owner_id?owner_id=")
    assert empty.text.strip() == ""
