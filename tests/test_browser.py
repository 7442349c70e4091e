"""A real Chromium, driven by Playwright, through the starter app's flows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import STRONG_PASSWORD, require_binary

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser() -> Iterator[Any]:
    """Yield a headless Debian Chromium under Playwright."""
    executable = require_binary("chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


def test_register_dashboard_htmx_logout_and_login(browser: Any, servers: Any) -> None:
    server = servers("--dev").start()
    page = browser.new_page()
    errors: list[str] = []
    page.on(
        "console",
        lambda message: message.type == "error" and errors.append(message.text),
    )

    page.goto(f"{server.url}/register")
    page.fill("#email", "browser@example.com")
    page.fill("#password", STRONG_PASSWORD)
    page.fill("#password_confirm", STRONG_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/dashboard")
    assert page.text_content("#user-email") == "browser@example.com"
    assert "Welcome!" in page.content()

    page.evaluate("document.getElementById('session-age').textContent = 'stale'")
    with page.expect_response(lambda r: "/dashboard/served-by" in r.url) as answer:
        page.click("#refresh-served-by")
    assert answer.value.status == 200
    assert answer.value.request.headers.get("hx-request") == "true"
    page.wait_for_function(
        "document.getElementById('session-age').textContent !== 'stale'"
    )
    assert "<html" not in answer.value.text(), "HTMX gets a fragment, not a page"

    page.click("text=Log out")
    page.wait_for_url(f"{server.url}/")
    page.goto(f"{server.url}/dashboard")
    assert page.url.startswith(f"{server.url}/login?next=")

    page.fill("#email", "BROWSER@example.com")
    page.fill("#password", STRONG_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/dashboard")
    assert not [e for e in errors if "Content Security Policy" in e], errors


def test_a_wrong_password_shows_a_message(browser: Any, servers: Any) -> None:
    server = servers("--dev").start()
    page = browser.new_page()
    page.goto(f"{server.url}/login")
    page.fill("#email", "nobody@example.com")
    page.fill("#password", "not a real password")
    page.click("button[type=submit]")
    page.wait_for_selector("#login-error")
    assert page.text_content("#login-error") == "Invalid email or password."
