"""A real Chromium through a generated model's HTMX list: add, edit, delete."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import STRONG_PASSWORD, require_binary
from tests.test_browser import CHROMIUM_ARGS

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def chromium() -> Iterator[Any]:
    """Yield a headless Debian Chromium under Playwright."""
    executable = require_binary("chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


def test_add_edit_in_place_and_delete_without_reloading(
    shop: Path, servers: Callable[..., Any], chromium: Any
) -> None:
    base = servers("--dev", workdir=shop).start().url
    page = chromium.new_page()
    failed: list[str] = []
    page.on(
        "response",
        lambda r: r.status >= 400 and "favicon" not in r.url and failed.append(r.url),
    )
    page.goto(f"{base}/register")
    page.fill("#email", "browser@example.com")
    page.fill("#password", STRONG_PASSWORD)
    page.fill("#password_confirm", STRONG_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/dashboard")

    page.goto(f"{base}/suppliers")
    page.evaluate("window.notReloaded = true")
    page.fill("#new-name", "")
    page.click("#supplier-create-submit")
    page.wait_for_selector("#supplier-create .field-error")
    page.fill("#new-name", "Acme")
    page.fill("#new-email", "sales@acme.example")
    page.click("#supplier-create-submit")
    row = page.wait_for_selector("#supplier-list article.supplier")
    assert "Acme" in row.inner_text()
    assert page.input_value("#new-name") == "", "a fresh form replaced the old one"

    page.click("#supplier-list .supplier-edit")
    field = page.wait_for_selector("#supplier-list input[name=name]")
    field.fill("Acme Ltd")
    page.click("#supplier-list .supplier-save")
    page.wait_for_selector("#supplier-list .supplier-name:has-text('Acme Ltd')")

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#supplier-list .supplier-delete")
    page.wait_for_selector("#supplier-list article", state="detached")
    assert page.evaluate("window.notReloaded") is True
    assert failed == []
