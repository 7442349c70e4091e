"""Guards on a user's own routes, and HTTPS behind a trusted TLS balancer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import update
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from pyjang import admin_required, create_app, login_required, staff_required
from pyjang.models import User
from tests.conftest import wait_ready


@login_required
async def members(request: Request) -> Response:
    return PlainTextResponse(f"member {request.user.email}")


@staff_required
async def staff(request: Request) -> Response:
    return PlainTextResponse("staff area")


@admin_required
async def admin(request: Request) -> Response:
    return PlainTextResponse("admin area")


ROUTES = [
    Route("/members", members),
    Route("/staff", staff),
    Route("/superuser", admin),
]


@pytest.fixture
def guarded(make_settings: Any) -> Iterator[TestClient]:
    app = create_app(make_settings(), routes=ROUTES)
    with TestClient(
        app, base_url="https://testserver", follow_redirects=False
    ) as client:
        wait_ready(client)
        yield client


def promote(client: TestClient, **flags: bool) -> None:
    database = client.app.state.runtime.database  # type: ignore[attr-defined]

    async def run() -> None:
        async with database.session() as db:
            await db.execute(update(User).values(**flags))
            await db.commit()

    client.portal.call(run)  # type: ignore[union-attr]


def test_guards_by_role(guarded: TestClient, helpers: Any) -> None:
    for path in ("/members", "/staff", "/superuser"):
        response = guarded.get(path)
        assert response.status_code == 302
        assert response.headers["location"] == f"/login?next={path}"
    helpers.register(guarded, "role@example.com")
    assert guarded.get("/members").text == "member role@example.com"
    assert guarded.get("/staff").status_code == 403
    assert "do not have access" in guarded.get("/superuser").text
    promote(guarded, is_staff=True)
    assert guarded.get("/staff").text == "staff area"
    assert guarded.get("/superuser").status_code == 403
    promote(guarded, is_superuser=True)
    assert guarded.get("/superuser").text == "admin area"


def test_a_privilege_change_ends_the_session(guarded: TestClient, helpers: Any) -> None:
    helpers.register(guarded, "priv@example.com")
    database = guarded.app.state.runtime.database  # type: ignore[attr-defined]

    async def grant_staff() -> None:
        async with database.session() as db:
            await db.execute(
                update(User).values(is_staff=True, auth_version=User.auth_version + 1)
            )
            await db.commit()

    guarded.portal.call(grant_staff)  # type: ignore[union-attr]
    assert guarded.get("/members").status_code == 302


def test_no_redirect_loop_behind_a_trusted_tls_balancer(make_settings: Any) -> None:
    app = create_app(make_settings(trusted_proxies="127.0.0.0/8"))
    plain = TestClient(app, base_url="http://testserver", client=("127.0.0.1", 5000))
    with plain:
        wait_ready(plain)
        direct = plain.get("/login", follow_redirects=False)
        assert direct.status_code == 308
        relayed = plain.get("/login", headers={"X-Forwarded-Proto": "https"})
        assert relayed.status_code == 200
        assert "Secure" in relayed.headers["set-cookie"]
        assert relayed.headers["strict-transport-security"]


def test_an_untrusted_peer_cannot_claim_https(make_settings: Any) -> None:
    app = create_app(make_settings(trusted_proxies="10.0.0.0/8"))
    plain = TestClient(app, base_url="http://testserver", client=("203.0.113.4", 5000))
    with plain:
        wait_ready(plain)
        response = plain.get(
            "/login", headers={"X-Forwarded-Proto": "https"}, follow_redirects=False
        )
        assert response.status_code == 308


async def broken(request: Request) -> Response:
    raise RuntimeError("secret internal detail")


def test_an_unhandled_error_is_a_friendly_500(make_settings: Any) -> None:
    app = create_app(make_settings(), routes=[Route("/broken", broken)])
    client = TestClient(
        app, base_url="https://testserver", raise_server_exceptions=False
    )
    with client:
        wait_ready(client)
        response = client.get("/broken")
        assert response.status_code == 500
        assert "Something went wrong" in response.text
        assert "Traceback" not in response.text
        assert "secret internal detail" not in response.text
