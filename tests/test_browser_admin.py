"""A real Chromium through the admin and the posts app, against `pyjang run --dev`."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import STRONG_PASSWORD, require_binary
from tests.test_browser import CHROMIUM_ARGS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ADMIN = "admin@example.com"
SERVER_ENV = {"RATE_LIMIT_AUTH": "1000/minute"}
ROWS = "#admin-table tbody tr"
FIRST_SUBJECT = "#admin-table tbody tr:first-child td:nth-child(2)"


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


@pytest.fixture
def server(servers: Any, tmp_path: Path) -> Any:
    """Seed an admin into ./pyjang.db, then serve it with `pyjang run --dev`."""
    # A subprocess: Playwright's sync API keeps an event loop in this thread.
    seed = [sys.executable, "-m", "pyjang", "seed", "--email", ADMIN]
    result = subprocess.run(
        [*seed, "--password", STRONG_PASSWORD],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return servers("--dev", env=SERVER_ENV, workdir=tmp_path).start()


def counts(tmp_path: Path) -> tuple[int, int]:
    """Return the numbers of posts and audit entries in the server's database."""
    with closing(sqlite3.connect(tmp_path / "pyjang.db")) as db:
        (posts,) = db.execute("SELECT count(*) FROM pyjang_posts").fetchone()
        (audits,) = db.execute("SELECT count(*) FROM pyjang_audit_log").fetchone()
    return int(posts), int(audits)


def expect(locator: Any) -> Any:
    """Return Playwright's retrying assertions (no eval, so the CSP holds)."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def new_page(browser: Any) -> tuple[Any, list[str]]:
    page = browser.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("dialog", lambda dialog: dialog.accept())
    return page, errors


def log_in(page: Any, url: str, email: str = ADMIN) -> None:
    page.goto(f"{url}/login")
    page.fill("#email", email)
    page.fill("#password", STRONG_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/dashboard")


def column(page: Any, number: int) -> list[str]:
    cells = page.locator(f"#admin-table tbody tr td:nth-child({number})")
    return [text.strip() for text in cells.all_text_contents()]


def add_post(page: Any, url: str, subject: str) -> None:
    page.goto(f"{url}/admin/post")
    page.click("#admin-add")
    page.fill("#id_subject", subject)
    page.fill("#id_body", f"The body of {subject}")
    page.click("#admin-save")
    page.wait_for_url(f"{url}/admin/post")


def test_an_admin_creates_edits_searches_sorts_and_deletes_posts(
    browser: Any, server: Any, tmp_path: Path
) -> None:
    page, errors = new_page(browser)
    log_in(page, server.url)
    page.click("a.nav-admin")
    page.wait_for_url(f"{server.url}/admin")
    page.click("#model-post")
    page.wait_for_url(f"{server.url}/admin/post")

    for subject in ("Banana bread", "Apple pie", "Cherry tart"):
        add_post(page, server.url, subject)
    assert "Added post “Cherry tart”." in page.content()
    assert column(page, 2) == ["Cherry tart", "Apple pie", "Banana bread"]

    page.click("text=Apple pie")
    page.fill("#id_subject", "Apple crumble")
    page.click("#admin-save")
    page.wait_for_url(f"{server.url}/admin/post")
    assert "Apple crumble" in column(page, 2)

    with page.expect_response(lambda r: "q=tart" in r.url) as answer:
        page.fill("#admin-q", "tart")
    assert answer.value.request.headers.get("hx-request") == "true"
    expect(page.locator(ROWS)).to_have_count(1)
    assert column(page, 2) == ["Cherry tart"]
    assert "q=tart" in page.url, "the search is in the address bar"

    with page.expect_response(lambda r: "q=" in r.url and r.status == 200):
        page.fill("#admin-q", "")
    expect(page.locator(ROWS)).to_have_count(3)
    page.click("a.admin-sort[data-column=subject]")
    expect(page.locator(FIRST_SUBJECT)).to_have_text("Apple crumble")
    assert column(page, 2) == ["Apple crumble", "Banana bread", "Cherry tart"]
    page.click("a.admin-sort[data-column=subject]")
    expect(page.locator(FIRST_SUBJECT)).to_have_text("Cherry tart")
    assert page.input_value("#admin-sort") == "-subject", "the search keeps the sort"

    page.check("#admin-table tr:has-text('Banana bread') input[name=pk]")
    page.click("#admin-bulk-delete")
    expect(page.locator(ROWS)).to_have_count(2)
    assert column(page, 2) == ["Cherry tart", "Apple crumble"]
    assert counts(tmp_path) == (2, 5), "3 creates, 1 update, 1 delete recorded"

    page.goto(f"{server.url}/admin/auditentry")
    assert column(page, 4)[:2] == ["post", "post"]
    assert not [e for e in errors if "Content Security Policy" in e], errors


def forge_author(page: Any, value: str) -> None:
    """Make the selected author option submit ``value``, as a forged form would."""
    page.evaluate(
        "value => { document.querySelector('#id_author_id').selectedOptions[0]"
        ".value = value; }",
        value,
    )


def test_bad_admin_input_shows_messages_and_writes_nothing(
    browser: Any, server: Any, tmp_path: Path
) -> None:
    page, errors = new_page(browser)
    log_in(page, server.url)
    add_post(page, server.url, "Original")
    before = counts(tmp_path)

    page.goto(f"{server.url}/admin/post/new")
    page.fill("#id_subject", "")
    page.click("#admin-save")
    page.wait_for_selector("#error-subject")
    assert page.text_content("#error-subject") == "This field is required."
    assert page.url == f"{server.url}/admin/post/new"

    page.evaluate("document.getElementById('id_subject').removeAttribute('maxlength')")
    page.fill("#id_subject", "x" * 500)
    forge_author(page, "not-a-uuid")
    page.click("#admin-save")
    page.wait_for_selector("#error-author_id")
    assert "at most 200" in page.text_content("#error-subject")
    assert page.text_content("#error-author_id") == "Enter a valid UUID."

    forge_author(page, "00000000-0000-0000-0000-000000000000")
    page.fill("#id_subject", "Orphan")
    page.click("#admin-save")
    page.wait_for_selector("text=No author with this key exists.")
    assert page.locator("#error-subject").count() == 0
    assert counts(tmp_path) == before

    missing = page.goto(f"{server.url}/admin/post/999999")
    assert missing.status == 404 and "Page not found" in page.content()
    assert page.goto(f"{server.url}/admin/post/not-a-key").status == 404
    assert not [e for e in errors if "Content Security Policy" in e], errors


def test_a_user_writes_and_edits_a_post_in_place(browser: Any, server: Any) -> None:
    page, errors = new_page(browser)
    page.goto(f"{server.url}/register")
    page.fill("#email", "writer@example.com")
    page.fill("#password", STRONG_PASSWORD)
    page.fill("#password_confirm", STRONG_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/dashboard")
    assert page.locator("a.nav-admin").count() == 0, "no admin link for users"

    page.click("a.nav-posts")
    page.wait_for_url(f"{server.url}/posts")
    page.fill("#new-subject", "My first post")
    page.fill("#new-body", "Written in a browser.")
    page.click("#post-create-submit")
    page.wait_for_selector("#post-list article .post-subject:has-text('My first post')")
    assert page.input_value("#new-subject") == "", "a fresh form for the next post"

    page.click("#post-list article .post-edit")
    editor = page.locator("#post-list article form.post-edit-form")
    editor.wait_for()
    subject = editor.locator("input[name=subject]")
    subject.fill("")
    editor.locator(".post-save").click()
    page.wait_for_selector("#post-list article .field-error")
    subject.fill("My edited post")
    editor.locator(".post-save").click()
    page.wait_for_selector(
        "#post-list article .post-subject:has-text('My edited post')"
    )
    assert page.url == f"{server.url}/posts", "edited in place, no navigation"

    page.click("#post-list article .post-delete")
    expect(page.locator("#post-list article")).to_have_count(0)
    page.reload()
    assert page.locator("#post-list article").count() == 0
    assert not [e for e in errors if "Content Security Policy" in e], errors
