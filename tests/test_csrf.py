"""CSRF: every unsafe method needs the token and, when sent, a same-site Origin."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient


def login_form(client: TestClient, token: str | None) -> dict[str, str]:
    data = {"email": "a@example.com", "password": "whatever password"}
    if token is not None:
        data["csrf_token"] = token
    return data


def test_a_post_without_a_token_is_forbidden(client: TestClient) -> None:
    client.get("/login")
    response = client.post("/login", data=login_form(client, None))
    assert response.status_code == 403
    assert "Reload the page" in response.text


def test_a_forged_token_is_forbidden(client: TestClient, helpers: Any) -> None:
    token = helpers.token(client)
    nonce, mac = token.split(".")
    for forged in (f"{nonce}.{mac[::-1]}", "x.y", "." * 5, "a" * 5000, "é.è"):
        response = client.post("/login", data=login_form(client, forged))
        assert response.status_code == 403, forged


def test_a_token_from_another_browser_is_forbidden(
    make_client: Any, helpers: Any
) -> None:
    first, second = make_client(), make_client()
    stolen = helpers.token(first)
    second.get("/login")
    assert second.post("/login", data=login_form(second, stolen)).status_code == 403


def test_no_cookie_means_forbidden_even_with_a_token(
    client: TestClient, helpers: Any
) -> None:
    token = helpers.token(client)
    client.cookies.clear()
    assert client.post("/login", data=login_form(client, token)).status_code == 403


def test_the_htmx_header_is_accepted(client: TestClient, helpers: Any) -> None:
    token = helpers.token(client)
    response = client.post(
        "/login", data=login_form(client, None), headers={"X-CSRF-Token": token}
    )
    assert response.status_code == 401, "past CSRF, the credentials are judged"


def test_a_foreign_origin_is_forbidden_even_with_a_token(
    client: TestClient, helpers: Any
) -> None:
    token = helpers.token(client)
    for origin in ("https://evil.test", "null", "http://testserver"):
        response = client.post(
            "/login", data=login_form(client, token), headers={"Origin": origin}
        )
        assert response.status_code == 403, origin
    same = client.post(
        "/login",
        data=login_form(client, token),
        headers={"Origin": "https://testserver"},
    )
    assert same.status_code == 401


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_every_unsafe_method_is_checked(client: TestClient, method: str) -> None:
    client.get("/")
    assert client.request(method, "/logout").status_code == 403


def test_multipart_forms_carry_the_token(client: TestClient, helpers: Any) -> None:
    token = helpers.token(client)
    files = {
        "csrf_token": (None, token),
        "email": (None, "a@example.com"),
        "password": (None, "pw pw pw pw pw"),
    }
    assert client.post("/login", files=files).status_code == 401


def test_a_garbage_csrf_cookie_is_replaced(client: TestClient) -> None:
    client.cookies.set("csrftoken", "<script>")
    response = client.get("/login")
    assert "csrftoken=" in response.headers["set-cookie"]
