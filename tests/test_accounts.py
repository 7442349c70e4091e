"""Register, log in, log out and the dashboard, in process over real HTTP semantics."""

from __future__ import annotations

import time
from typing import Any

import pytest
from starlette.testclient import TestClient

from pyjang.passwords import MAX_PASSWORD_LENGTH


def test_register_logs_in_and_redirects_to_the_dashboard(
    client: TestClient, helpers: Any
) -> None:
    response = helpers.register(client, "alice@example.com")
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard"
    page = client.get("/dashboard")
    assert page.status_code == 200
    assert "alice@example.com" in page.text
    assert "Welcome! Your account is ready." in page.text


def test_dashboard_requires_login(client: TestClient) -> None:
    response = client.get("/dashboard")
    assert response.status_code == 302
    assert response.headers["location"] == "/login?next=/dashboard"


def test_htmx_request_gets_hx_redirect_instead_of_a_login_fragment(
    client: TestClient,
) -> None:
    response = client.get("/dashboard", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.headers["hx-redirect"] == "/login?next=/dashboard"
    assert response.text == ""


def test_logout_ends_the_session_in_the_store(client: TestClient, helpers: Any) -> None:
    helpers.register(client, "bob@example.com")
    old_cookie = client.cookies["session_id"]
    response = client.post(
        "/logout", data={"csrf_token": helpers.token(client, "/dashboard")}
    )
    assert response.status_code == 303
    assert client.get("/dashboard").status_code == 302
    client.cookies.clear()
    replay = client.get("/dashboard", headers={"Cookie": f"session_id={old_cookie}"})
    assert replay.status_code == 302, "a copied cookie must be dead after logout"


def test_login_with_next_and_a_new_session_token(
    client: TestClient, helpers: Any
) -> None:
    helpers.register(client, "carol@example.com")
    client.post("/logout", data={"csrf_token": helpers.token(client, "/dashboard")})
    client.get("/")
    before = client.cookies.get("session_id")
    response = helpers.login(client, "carol@example.com", next="/dashboard?tab=2")
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard?tab=2"
    assert client.cookies["session_id"] != before


def test_wrong_password_and_unknown_email_say_the_same(
    client: TestClient, helpers: Any
) -> None:
    helpers.register(client, "dave@example.com")
    client.post("/logout", data={"csrf_token": helpers.token(client, "/dashboard")})
    wrong = helpers.login(client, "dave@example.com", "not the right password")
    unknown = helpers.login(client, "nobody@example.com")
    assert wrong.status_code == unknown.status_code == 401
    assert "Invalid email or password." in wrong.text
    assert "Invalid email or password." in unknown.text


def test_email_case_and_spaces_map_to_one_account(
    client: TestClient, helpers: Any
) -> None:
    assert helpers.register(client, "  Erin@Example.COM ").status_code == 303
    client.post("/logout", data={"csrf_token": helpers.token(client, "/dashboard")})
    duplicate = helpers.register(client, "erin@example.com")
    assert duplicate.status_code == 400
    assert "already exists" in duplicate.text
    assert helpers.login(client, "ERIN@example.com  ").status_code == 303


def test_unicode_lookalike_forms_map_to_one_account(
    client: TestClient, helpers: Any
) -> None:
    assert helpers.register(client, "ﬁona@example.com").status_code == 303
    client.post("/logout", data={"csrf_token": helpers.token(client, "/dashboard")})
    assert helpers.register(client, "FIONA@example.com").status_code == 400


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "at least 10 characters"),
        ("password123", "common"),
        ("aaaaaaaaaaaa", "easy to guess"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(
    client: TestClient, helpers: Any, password: str, message: str
) -> None:
    response = helpers.register(client, "gina@example.com", password)
    assert response.status_code == 400
    assert message.lower() in response.text.lower()


def test_mismatched_confirmation_is_refused(client: TestClient, helpers: Any) -> None:
    data = {
        "email": "hal@example.com",
        "password": helpers.password,
        "password_confirm": helpers.password + "x",
        "csrf_token": helpers.token(client, "/register"),
    }
    response = client.post("/register", data=data)
    assert response.status_code == 400
    assert "do not match" in response.text


@pytest.mark.parametrize(
    "email", ["", "no-at-sign", "a@b", "x" * 300 + "@example.com", "a b@c.de"]
)
def test_invalid_emails_are_refused(
    client: TestClient, helpers: Any, email: str
) -> None:
    response = helpers.register(client, email)
    assert response.status_code == 400
    assert "valid email" in response.text


def test_a_huge_password_is_refused_before_hashing(
    client: TestClient, helpers: Any
) -> None:
    huge = "x" * 900_000
    started = time.perf_counter()
    response = helpers.login(client, "ivy@example.com", huge)
    assert response.status_code in (400, 413)
    register = helpers.register(
        client, "ivy@example.com", "y" * (MAX_PASSWORD_LENGTH + 1)
    )
    assert register.status_code == 400
    assert time.perf_counter() - started < 1.0


def test_a_one_megabyte_password_body_is_refused(
    client: TestClient, helpers: Any
) -> None:
    data = {
        "email": "jo@example.com",
        "password": "p" * 1024 * 1024,
        "csrf_token": helpers.token(client),
    }
    started = time.perf_counter()
    response = client.post("/login", data=data)
    assert response.status_code == 413
    assert time.perf_counter() - started < 1.0


def test_a_ten_megabyte_form_is_refused(client: TestClient, helpers: Any) -> None:
    body = b"a=" + b"x" * (10 * 1024 * 1024)
    response = client.post(
        "/login",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413


@pytest.mark.parametrize(
    "target",
    [
        "//evil.test",
        "https://evil.test",
        "/\\evil.test",
        "http:/evil.test",
        "\\\\evil",
        "/%0d%0aX: y",
        "javascript:alert(1)",
    ],
)
def test_hostile_next_values_fall_back_to_the_dashboard(
    client: TestClient, helpers: Any, target: str
) -> None:
    helpers.register(client, "kim@example.com")
    client.post("/logout", data={"csrf_token": helpers.token(client, "/dashboard")})
    response = helpers.login(client, "kim@example.com", next=target)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/") and not location.startswith("//")
    assert "evil" not in location or location.startswith("/%")


def test_an_inactive_account_cannot_log_in(make_client: Any, helpers: Any) -> None:
    import asyncio

    from sqlalchemy import update

    from pyjang.models import User

    client = make_client()
    helpers.register(client, "lee@example.com")
    client.post("/logout", data={"csrf_token": helpers.token(client, "/dashboard")})
    database = client.app.state.runtime.database  # type: ignore[attr-defined]

    async def deactivate() -> None:
        async with database.session() as db:
            await db.execute(update(User).values(is_active=False))
            await db.commit()

    client.portal.call(deactivate)  # type: ignore[union-attr]
    assert helpers.login(client, "lee@example.com").status_code == 401
    del asyncio


def test_last_login_is_recorded(client: TestClient, helpers: Any) -> None:
    from sqlalchemy import select

    from pyjang.models import User

    helpers.register(client, "max@example.com")
    database = client.app.state.runtime.database  # type: ignore[attr-defined]

    async def last_login() -> object:
        async with database.session() as db:
            return await db.scalar(select(User.last_login))

    assert client.portal.call(last_login) is not None  # type: ignore[union-attr]


def test_ready_fails_while_migrations_are_pending(make_settings: Any) -> None:
    from pyjang import create_app

    app = create_app(make_settings(auto_migrate=False))
    with TestClient(app, base_url="https://testserver") as plain:
        ready = plain.get("/ready")
        assert ready.status_code == 503
        assert ready.json()["checks"]["migrations"] == "pending"
        assert plain.get("/").status_code == 503
        plain.portal.call(app.state.runtime.migrator.upgrade)  # type: ignore[union-attr]
        deadline = time.monotonic() + 10
        while plain.get("/ready").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert plain.get("/ready").status_code == 200


def test_a_dead_limit_store_answers_503_not_500(
    make_settings: Any, helpers: Any
) -> None:
    from pyjang import create_app

    settings = make_settings(
        redis_url="redis://127.0.0.1:1/0", session_store_timeout="0.3s"
    )
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        deadline = time.monotonic() + 10
        while client.get("/login").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        response = helpers.login(client, "a@example.com", "some password here")
        assert response.status_code == 503
        assert "briefly unavailable" in response.text
        assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    "email", ["a<b>@example.com", "x@example.com<script>", '"><svg/onload=1>@x.com']
)
def test_markup_in_an_email_is_refused(
    client: TestClient, helpers: Any, email: str
) -> None:
    assert helpers.register(client, email).status_code == 400


def test_pages_vary_on_htmx_and_private_pages_are_not_cached(
    client: TestClient, helpers: Any
) -> None:
    assert "HX-Request" in client.get("/login").headers["vary"]
    helpers.register(client, "cache@example.com")
    assert client.get("/dashboard").headers["cache-control"] == "private, no-store"
