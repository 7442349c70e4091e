"""Hosts, security headers, HTTPS redirects, body limits and static files."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from pyjang.middleware.hosts import host_allowed
from tests.conftest import wait_ready


@pytest.mark.parametrize(
    "host", ["evil.test", "testserver.evil.test", "", "a" * 5000, "testserver:80@evil"]
)
def test_unknown_hosts_get_400(client: TestClient, host: str) -> None:
    response = client.get("/", headers={"Host": host})
    assert response.status_code == 400


@pytest.mark.parametrize("path", ["/health", "/ready"])
def test_health_paths_ignore_the_host(client: TestClient, path: str) -> None:
    assert client.get(path, headers={"Host": "10.1.2.3:8080"}).status_code == 200


def test_host_patterns() -> None:
    assert host_allowed("example.com:8080", ["example.com"])
    assert host_allowed("a.example.com", [".example.com"])
    assert host_allowed("example.com", [".example.com"])
    assert not host_allowed("badexample.com", [".example.com"])
    assert host_allowed("[::1]:8080", ["::1"])
    assert host_allowed("anything", ["*"])


def test_security_headers_on_pages(client: TestClient) -> None:
    headers = client.get("/").headers
    csp = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
    assert "http" not in csp, "no third-party host in the CSP"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in headers["permissions-policy"]
    assert headers["strict-transport-security"].startswith("max-age=")
    assert len(headers["x-request-id"]) >= 16


def test_plain_http_is_redirected_in_production(make_settings: Any) -> None:
    from pyjang import create_app

    app = create_app(make_settings())
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as plain:
        response = plain.get("/login?next=/x")
        assert response.status_code == 308
        assert response.headers["location"] == "https://testserver/login?next=/x"
        assert plain.get("/health").status_code == 200


def test_development_keeps_plain_http_and_drops_secure(make_settings: Any) -> None:
    from pyjang import create_app

    app = create_app(make_settings(debug=True))
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as plain:
        wait_ready(plain)
        response = plain.get("/login")
        assert response.status_code == 200
        assert "Secure" not in response.headers["set-cookie"]
        assert "strict-transport-security" not in response.headers


def test_static_files_have_cache_headers(client: TestClient) -> None:
    css = client.get("/static/pyjang.css")
    assert css.status_code == 200
    assert "max-age" in css.headers["cache-control"]
    htmx = client.get("/static/vendor/htmx-2.0.11.min.js")
    assert htmx.status_code == 200 and "immutable" in htmx.headers["cache-control"]
    assert "session_id" not in htmx.headers.get("set-cookie", "")


def test_static_paths_cannot_escape(client: TestClient) -> None:
    for path in (
        "/static/../app.py",
        "/static/%2e%2e/settings.py",
        "/static/..%2f..%2fetc/passwd",
    ):
        assert client.get(path).status_code == 404, path


def test_friendly_404(client: TestClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Page not found" in response.text and "Traceback" not in response.text


def test_a_lying_content_length_is_refused(client: TestClient) -> None:
    response = client.post("/login", content=b"x", headers={"Content-Length": "abc"})
    assert response.status_code in (400, 413)


@pytest.mark.parametrize(
    "cookie",
    [
        "session_id=garbage",
        "session_id=" + "A" * 10000,
        "session_id=" + "a" * 43 + "." + "b" * 43,
        "session_id=\x00\x01\x02",
        'session_id="quoted"; other=1',
        "session_id=%FF%FE%FD",
    ],
)
def test_hostile_session_cookies_give_an_anonymous_page(
    client: TestClient, cookie: str
) -> None:
    response = client.get("/", headers={"Cookie": cookie})
    assert response.status_code == 200
    assert "Log in" in response.text


def test_non_utf8_cookie_bytes_give_an_anonymous_page(client: TestClient) -> None:
    response = client.get("/", headers=[(b"cookie", b"session_id=\xff\xfe\x80abc")])
    assert response.status_code == 200


def test_the_request_log_hides_reset_tokens_and_odd_methods(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    with caplog.at_level(logging.INFO, logger="pyjang.request"):
        client.get("/password-reset/secret-token-value-123")
        client.request("BREWCOFFEE", "/")
    assert "secret-token-value-123" not in caplog.text
    assert "/password-reset/[redacted]" in caplog.text
    assert "BREWCOFFEE" not in caplog.text and "OTHER / 403" in caplog.text


def test_a_flood_of_form_fields_is_refused_not_a_crash(client: TestClient) -> None:
    client.get("/login")
    body = "&".join(f"f{i}=x" for i in range(1500))
    response = client.post(
        "/login",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 403


def test_error_answers_carry_security_headers(client: TestClient) -> None:
    for response in (
        client.get("/", headers={"Host": "evil.test"}),
        client.get("/nope"),
        client.post("/login", content=b"x" * (2 * 1024 * 1024)),
    ):
        assert response.headers["x-content-type-options"] == "nosniff", (
            response.status_code
        )
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def _chunked(body: bytes, size: int = 64 * 1024) -> Any:
    # A generator body goes out with Transfer-Encoding: chunked, no length.
    for start in range(0, len(body), size):
        yield body[start : start + size]


def test_a_chunked_body_over_the_limit_gets_413(
    client: TestClient, helpers: Any
) -> None:
    helpers.token(client)  # a CSRF cookie, so the form is read, not refused unread
    body = b"a=" + b"x" * (3 * 1024 * 1024)
    response = client.post(
        "/login",
        content=_chunked(body),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413


def test_a_chunked_form_within_the_limit_is_read(
    client: TestClient, helpers: Any
) -> None:
    token = helpers.token(client)
    body = f"email=nobody%40example.com&password=wrong-password&csrf_token={token}"
    response = client.post(
        "/login",
        content=_chunked(body.encode(), size=7),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 401  # read, checked, refused: not 403 or 413


def test_every_answer_carries_its_own_request_id(client: TestClient) -> None:
    first = client.get("/health").headers["x-request-id"]
    second = client.get("/health").headers["x-request-id"]
    assert first != second
    assert len(first) == 32 and int(first, 16) >= 0


@pytest.mark.parametrize(
    ("sent", "kept"),
    [("trace-abcdef12", True), ("short", False), ("bad id with spaces", False)],
)
def test_a_well_formed_incoming_request_id_is_kept(
    client: TestClient, sent: str, kept: bool
) -> None:
    answered = client.get("/health", headers={"X-Request-ID": sent})
    assert (answered.headers["x-request-id"] == sent) is kept
