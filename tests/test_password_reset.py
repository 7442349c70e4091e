"""Password reset by e-mail, through a real SMTP server on loopback."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update
from starlette.testclient import TestClient

from pyjang.models import User
from pyjang.views.password_reset import RESET_LIFETIME, make_token
from tests.admin.support import PASSWORD, add_user, database, fetch, run, sign_in
from tests.conftest import form_token, free_port, login

PUBLIC = "https://app.example.com"
NEW_PASSWORD = "a fresh and lengthy passphrase"
LINK = re.compile(r"(https?://[^/\s]+)/password-reset/(\S+)")


class Inbox:
    """An SMTP handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    """Run an SMTP server on a free loopback port; yield its inbox and port."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def mailing_client(
    make_client: Callable[..., TestClient], smtp: tuple[Inbox, int]
) -> TestClient:
    """Return an app that mails through ``smtp`` and links to PUBLIC_URL."""
    return make_client(
        smtp_host="127.0.0.1",
        smtp_port=smtp[1],
        smtp_from="accounts@app.example.com",
        public_url=PUBLIC,
        allowed_hosts="testserver,evil.test",
        rate_limit_auth="100/minute",
    )


def ask_for_reset(client: TestClient, email: str, **headers: str) -> Any:
    data = {"email": email, "csrf_token": form_token(client, "/password-reset")}
    return client.post("/password-reset", data=data, headers=headers)


def link_in(message: Message) -> tuple[str, str]:
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    match = LINK.search(body.decode())
    assert match is not None, body
    return match.group(1), match.group(2)


def set_new_password(
    client: TestClient, token: str, password: str = NEW_PASSWORD
) -> Any:
    csrf = form_token(client, "/login")
    data = {"password": password, "password_confirm": password, "csrf_token": csrf}
    return client.post(f"/password-reset/{token}", data=data)


def test_the_link_uses_public_url_even_for_a_hostile_host(
    mailing_client: TestClient, smtp: tuple[Inbox, int]
) -> None:
    inbox, _ = smtp
    add_user(mailing_client, "reader@example.com")
    answer = ask_for_reset(mailing_client, "Reader@Example.com", Host="evil.test")
    assert answer.status_code == 200 and 'id="reset-sent"' in answer.text
    (message,) = inbox.messages
    assert message["To"] == "reader@example.com"
    assert message["From"] == "accounts@app.example.com"
    base, token = link_in(message)
    assert base == PUBLIC
    assert "evil.test" not in message.as_string()
    page = mailing_client.get(f"/password-reset/{token}")
    assert page.status_code == 200 and page.headers["referrer-policy"] == "no-referrer"


def test_unknown_and_known_addresses_get_the_same_answer(
    mailing_client: TestClient, smtp: tuple[Inbox, int]
) -> None:
    inbox, _ = smtp
    add_user(mailing_client, "known@example.com")
    known = ask_for_reset(mailing_client, "known@example.com")
    unknown = ask_for_reset(mailing_client, "unknown@example.com")
    strip = re.compile(r'value="[^"]+"|"X-CSRF-Token": "[^"]+"')
    assert known.status_code == unknown.status_code == 200
    assert strip.sub("", known.text) == strip.sub("", unknown.text)
    assert len(inbox.messages) == 1


def test_the_link_sets_the_password_once_and_ends_every_session(
    mailing_client: TestClient, smtp: tuple[Inbox, int]
) -> None:
    inbox, _ = smtp
    user_id = add_user(mailing_client, "reader@example.com")
    sign_in(mailing_client, "reader@example.com")
    old_session = mailing_client.cookies["session_id"]
    mailing_client.cookies.clear()
    ask_for_reset(mailing_client, "reader@example.com")
    _, token = link_in(inbox.messages[0])

    done = set_new_password(mailing_client, token)
    assert done.status_code == 303 and done.headers["location"] == "/login"
    (user,) = fetch(mailing_client, select(User).where(User.id == user_id))
    assert user.auth_version == 2
    mailing_client.cookies.clear()
    stale = mailing_client.get(
        "/dashboard", headers={"Cookie": f"session_id={old_session}"}
    )
    assert stale.status_code == 302, "the reset ended the old session"

    again = set_new_password(mailing_client, token, "yet another long passphrase")
    assert again.status_code == 400 and 'id="reset-invalid"' in again.text
    assert mailing_client.get(f"/password-reset/{token}").status_code == 400
    mailing_client.cookies.clear()
    assert login(mailing_client, "reader@example.com", PASSWORD).status_code == 401
    assert login(mailing_client, "reader@example.com", NEW_PASSWORD).status_code == 303


def test_an_expired_or_forged_token_is_refused(mailing_client: TestClient) -> None:
    user_id = add_user(mailing_client, "reader@example.com")
    (user,) = fetch(mailing_client, select(User).where(User.id == user_id))
    settings = mailing_client.app.state.runtime.settings  # type: ignore[attr-defined]
    expired = make_token(settings, user, now=time.time() - RESET_LIFETIME - 5)
    good = make_token(settings, user)
    forged = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    for token in (expired, forged, "garbage", "a" * 500, good.replace(".", "..", 1)):
        assert mailing_client.get(f"/password-reset/{token}").status_code == 400, token
        assert set_new_password(mailing_client, token).status_code == 400, token
    (after,) = fetch(mailing_client, select(User).where(User.id == user_id))
    assert after.password_hash == user.password_hash


def test_a_token_dies_when_the_account_changes(mailing_client: TestClient) -> None:
    user_id = add_user(mailing_client, "reader@example.com")
    (user,) = fetch(mailing_client, select(User).where(User.id == user_id))
    settings = mailing_client.app.state.runtime.settings  # type: ignore[attr-defined]
    token = make_token(settings, user)

    async def deactivate() -> None:
        async with database(mailing_client).session() as db:
            await db.execute(update(User).values(is_active=False))
            await db.commit()

    run(mailing_client, deactivate)
    assert mailing_client.get(f"/password-reset/{token}").status_code == 400


def test_weak_or_mismatched_passwords_keep_the_token(
    mailing_client: TestClient, smtp: tuple[Inbox, int]
) -> None:
    inbox, _ = smtp
    add_user(mailing_client, "reader@example.com")
    ask_for_reset(mailing_client, "reader@example.com")
    _, token = link_in(inbox.messages[0])
    weak = set_new_password(mailing_client, token, "password123")
    assert weak.status_code == 400 and "common" in weak.text.lower()
    csrf = form_token(mailing_client, "/login")
    data = {"password": NEW_PASSWORD, "password_confirm": "other", "csrf_token": csrf}
    mismatch = mailing_client.post(f"/password-reset/{token}", data=data)
    assert mismatch.status_code == 400 and "do not match" in mismatch.text
    assert set_new_password(mailing_client, token).status_code == 303


def test_an_invalid_address_is_a_400(mailing_client: TestClient) -> None:
    answer = ask_for_reset(mailing_client, "not an address")
    assert answer.status_code == 400 and "valid email" in answer.text


def test_requests_are_rate_limited(
    make_client: Callable[..., TestClient], smtp: tuple[Inbox, int]
) -> None:
    client = make_client(
        smtp_host="127.0.0.1",
        smtp_port=smtp[1],
        public_url=PUBLIC,
        rate_limit_auth="2/minute",
    )
    codes = [ask_for_reset(client, "someone@example.com").status_code for _ in range(4)]
    assert codes[:2] == [200, 200] and codes[-1] == 429


def test_production_without_public_url_sends_nothing(
    make_client: Callable[..., TestClient],
    smtp: tuple[Inbox, int],
    caplog: pytest.LogCaptureFixture,
) -> None:
    inbox, port = smtp
    client = make_client(smtp_host="127.0.0.1", smtp_port=port)
    add_user(client, "reader@example.com")
    with caplog.at_level(logging.ERROR, logger="pyjang"):
        answer = ask_for_reset(client, "reader@example.com")
    assert answer.status_code == 200 and 'id="reset-sent"' in answer.text
    assert inbox.messages == []
    assert "PUBLIC_URL is not set" in caplog.text


def test_development_links_point_at_loopback_and_mail_goes_to_the_log(
    make_client: Callable[..., TestClient], caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client(debug=True, port=8123)
    add_user(client, "dev@example.com")
    with caplog.at_level(logging.INFO, logger="pyjang.mail"):
        assert ask_for_reset(client, "dev@example.com").status_code == 200
    match = LINK.search(caplog.text)
    assert match is not None and match.group(1) == "http://127.0.0.1:8123"
    assert "no SMTP_HOST" in caplog.text


def test_an_unreachable_smtp_server_is_logged_not_shown(
    make_client: Callable[..., TestClient], caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client(
        smtp_host="127.0.0.1", smtp_port=free_port(), public_url=PUBLIC
    )
    add_user(client, "reader@example.com")
    with caplog.at_level(logging.ERROR, logger="pyjang.mail"):
        answer = ask_for_reset(client, "reader@example.com")
    assert answer.status_code == 200
    assert "mail to reader@example.com failed" in caplog.text


def test_two_uses_of_one_token_at_once_succeed_once(
    mailing_client: TestClient, smtp: tuple[Inbox, int]
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    inbox, _ = smtp
    add_user(mailing_client, "reader@example.com")
    ask_for_reset(mailing_client, "reader@example.com")
    _, token = link_in(inbox.messages[0])
    csrf = form_token(mailing_client, "/login")

    def use(password: str) -> int:
        data = {"password": password, "password_confirm": password, "csrf_token": csrf}
        return mailing_client.post(f"/password-reset/{token}", data=data).status_code

    passwords = [NEW_PASSWORD, "a second quite different passphrase"]
    with ThreadPoolExecutor(2) as pool:
        codes = sorted(pool.map(use, passwords))
    assert codes == [303, 400], "the conditional update lets one use through"
