"""User management under /users: staff manage accounts, superusers grant rights."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from pyjang.admin import AuditEntry
from pyjang.models import User
from tests.admin.support import (
    PASSWORD,
    RELAXED_LIMITS,
    ROLES,
    add_user,
    become,
    count,
    fetch,
    sign_in,
    token,
)
from tests.conftest import login

NEW_PASSWORD = "an entirely different passphrase"


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client(rate_limit_auth=RELAXED_LIMITS)


def user_row(client: TestClient, user_id: uuid.UUID) -> User:
    (user,) = fetch(client, select(User).where(User.id == user_id))
    return user


def session_of(client: TestClient, email: str) -> str:
    sign_in(client, email)
    return client.cookies["session_id"]


def alive(client: TestClient, cookie: str) -> bool:
    client.cookies.clear()
    answer = client.get("/dashboard", headers={"Cookie": f"session_id={cookie}"})
    return answer.status_code == 200


@pytest.mark.parametrize("role", ROLES)
def test_every_route_is_for_staff(client: TestClient, role: str) -> None:
    target = add_user(client, "target@example.com")
    become(client, role)
    csrf = token(client, "/login" if role == "anonymous" else "/dashboard")
    routes = [
        ("GET", "/users"),
        ("GET", "/users/new"),
        ("POST", "/users"),
        ("GET", f"/users/{target}"),
        ("POST", f"/users/{target}"),
        ("POST", f"/users/{target}/deactivate"),
        ("POST", f"/users/{target}/activate"),
    ]
    for method, path in routes:
        data = {"csrf_token": csrf} if method == "POST" else None
        answer = client.request(method, path, data=data)
        if role == "anonymous":
            assert answer.status_code == 302, (method, path)
            assert answer.headers["location"].startswith("/login?next=/users")
        elif role == "user":
            assert answer.status_code == 403, (method, path)
        else:
            assert answer.status_code in (200, 303, 400), (method, path)
    assert user_row(client, target).email == "target@example.com"


def test_the_list_pages_and_searches(client: TestClient) -> None:
    become(client, "staff")
    for n in range(30):
        add_user(client, f"member{n:02}@example.com")
    first = client.get("/users")
    assert "31 accounts · page 1 of 2" in first.text
    assert (
        "member00@example.com" in first.text and "staff@example.com" not in first.text
    )
    second = client.get("/users?page=2")
    assert "staff@example.com" in second.text
    found = client.get("/users?q=MEMBER1")
    assert "10 accounts" in found.text and "member15@example.com" in found.text
    assert "0 accounts" in client.get("/users?q=%25").text, "% is no wildcard"
    partial = client.get(
        "/users?q=member2", headers={"HX-Request": "true", "HX-Target": "user-table"}
    )
    assert "<html" not in partial.text and "member25@example.com" in partial.text


def test_staff_create_an_account_with_a_hashed_password(client: TestClient) -> None:
    become(client, "staff")
    data = {
        "csrf_token": token(client),
        "email": " New@Example.com ",
        "password": PASSWORD,
    }
    answer = client.post("/users", data=data)
    assert answer.status_code == 303 and answer.headers["location"] == "/users"
    (user,) = fetch(client, select(User).where(User.email == "new@example.com"))
    assert user.password_hash.startswith("$argon2id$") and not user.is_staff
    client.cookies.clear()
    assert login(client, "new@example.com").status_code == 303
    (entry,) = fetch(client, select(AuditEntry))
    assert (entry.action, entry.model, entry.changes["password_hash"][1]) == (
        "create",
        "user",
        "********",
    )


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email": "nope", "password": PASSWORD}, "email", "valid email"),
        (
            {"email": "staff@example.com", "password": PASSWORD},
            "email",
            "already exists",
        ),
        ({"email": "a@example.com", "password": "password123"}, "password", "common"),
        ({"email": "a@example.com"}, "password", "at least 10 characters"),
        (
            {"email": "a@example.com", "password": PASSWORD, "is_staff": "on"},
            "is_staff",
            "Only superusers",
        ),
    ],
)
def test_bad_accounts_are_refused(
    client: TestClient, data: dict[str, str], field: str, message: str
) -> None:
    become(client, "staff")
    before = count(client, User)
    answer = client.post("/users", data={"csrf_token": token(client), **data})
    assert answer.status_code == 400
    error = answer.text.split(f'id="error-{field}">', 1)[1].split("</p>", 1)[0]
    assert message in error
    assert count(client, User) == before and count(client, AuditEntry) == 0


def test_only_superusers_grant_rights(client: TestClient) -> None:
    target = add_user(client, "target@example.com")
    become(client, "staff")
    data = {
        "csrf_token": token(client),
        "email": "target@example.com",
        "is_active": "on",
        "is_superuser": "on",
    }
    assert client.post(f"/users/{target}", data=data).status_code == 400
    assert not user_row(client, target).is_superuser
    become(client, "superuser")
    data["csrf_token"] = token(client)
    assert 'name="is_staff"' in client.get(f"/users/{target}").text
    assert client.post(f"/users/{target}", data=data).status_code == 303
    assert user_row(client, target).is_superuser


def test_staff_cannot_touch_a_superuser(client: TestClient) -> None:
    boss = add_user(client, "boss@example.com", superuser=True)
    become(client, "staff")
    data = {"csrf_token": token(client), "email": "boss@example.com", "confirm": "yes"}
    assert client.get(f"/users/{boss}").status_code == 403
    assert client.post(f"/users/{boss}", data=data).status_code == 403
    assert client.post(f"/users/{boss}/deactivate", data=data).status_code == 403
    assert user_row(client, boss).is_active


def test_deactivating_ends_sessions_and_logins(client: TestClient) -> None:
    target = add_user(client, "leaving@example.com")
    their_session = session_of(client, "leaving@example.com")
    become(client, "staff")
    ask = client.post(f"/users/{target}/deactivate", data={"csrf_token": token(client)})
    assert ask.status_code == 200 and 'id="confirm-deactivate"' in ask.text
    assert user_row(client, target).is_active
    row = client.post(
        f"/users/{target}/deactivate",
        data={"csrf_token": token(client), "confirm": "yes"},
        headers={"HX-Request": "true"},
    )
    assert row.status_code == 200 and row.text.lstrip().startswith("<tr")
    assert "deactivated" in row.text
    user = user_row(client, target)
    assert not user.is_active and user.auth_version == 2
    staff_session = client.cookies["session_id"]
    assert not alive(client, their_session)
    client.cookies.clear()
    assert login(client, "leaving@example.com").status_code == 401
    assert alive(client, staff_session)


def test_reactivating_lets_the_user_back_in(client: TestClient) -> None:
    target = add_user(client, "back@example.com", active=False)
    become(client, "staff")
    answer = client.post(
        f"/users/{target}/activate", data={"csrf_token": token(client)}
    )
    assert answer.status_code == 303
    assert user_row(client, target).is_active
    client.cookies.clear()
    assert login(client, "back@example.com").status_code == 303


def test_a_password_change_ends_the_targets_sessions(client: TestClient) -> None:
    target = add_user(client, "member@example.com")
    their_session = session_of(client, "member@example.com")
    become(client, "staff")
    data = {
        "csrf_token": token(client),
        "email": "member@example.com",
        "password": NEW_PASSWORD,
        "is_active": "on",
    }
    assert client.post(f"/users/{target}", data=data).status_code == 303
    assert not alive(client, their_session)
    client.cookies.clear()
    assert login(client, "member@example.com", NEW_PASSWORD).status_code == 303


def test_an_edit_without_a_password_keeps_it(client: TestClient) -> None:
    target = add_user(client, "member@example.com")
    become(client, "staff")
    data = {
        "csrf_token": token(client),
        "email": "moved@example.com",
        "is_active": "on",
    }
    assert client.post(f"/users/{target}", data=data).status_code == 303
    user = user_row(client, target)
    assert user.email == "moved@example.com" and user.auth_version == 1
    (entry,) = fetch(client, select(AuditEntry))
    assert entry.changes == {"email": ["member@example.com", "moved@example.com"]}


def test_nobody_locks_themself_out(client: TestClient) -> None:
    me = become(client, "superuser")
    assert me is not None
    deactivate = client.post(
        f"/users/{me}/deactivate", data={"csrf_token": token(client), "confirm": "yes"}
    )
    assert deactivate.status_code == 400
    data = {
        "csrf_token": token(client),
        "email": "superuser@example.com",
        "is_active": "on",
    }
    answer = client.post(f"/users/{me}", data=data)
    assert answer.status_code == 400 and "your own rights" in answer.text
    user = user_row(client, me)
    assert user.is_active and user.is_staff and user.is_superuser


def test_my_own_password_change_keeps_me_logged_in(client: TestClient) -> None:
    me = become(client, "staff")
    data = {
        "csrf_token": token(client),
        "email": "staff@example.com",
        "password": NEW_PASSWORD,
        "is_active": "on",
    }
    assert client.post(f"/users/{me}", data=data).status_code == 303
    assert client.get("/users").status_code == 200


@pytest.mark.parametrize("path", ["/users/nope", f"/users/{uuid.uuid4()}"])
def test_unknown_users_are_404(client: TestClient, path: str) -> None:
    become(client, "staff")
    assert client.get(path).status_code == 404
    assert client.post(path, data={"csrf_token": token(client)}).status_code == 404


def test_staff_cannot_take_over_another_staff_account(
    make_client: Callable[..., TestClient], helpers: Any
) -> None:
    from sqlalchemy import select, update

    from pyjang.models import User

    client = make_client()
    helpers.register(client, "peer@example.com")
    client.post("/logout", data={"csrf_token": helpers.token(client, "/dashboard")})
    helpers.register(client, "actor@example.com")
    database = client.app.state.runtime.database  # type: ignore[attr-defined]

    async def make_both_staff() -> str:
        async with database.session() as db:
            await db.execute(update(User).values(is_staff=True))
            await db.commit()
            peer = await db.scalar(select(User).where(User.email == "peer@example.com"))
            assert peer is not None
            return str(peer.id)

    peer_id = client.portal.call(make_both_staff)  # type: ignore[union-attr]
    helpers.login(client, "actor@example.com")
    token = helpers.token(client, f"/users/{peer_id}")
    for data in (
        {"email": "peer@example.com", "password": "brand new password here"},
        {"email": "attacker@example.com"},
    ):
        form = {"csrf_token": token, "is_active": "on", **data}
        response = client.post(f"/users/{peer_id}", data=form)
        assert response.status_code == 400, data
        assert "Only superusers can change" in response.text
