"""Create the benchmark's users, log them in over HTTP and write wrk's inputs.

Users are inserted with one statement each for pyjang's and Django's table,
all sharing one Argon2id hash computed once. Sessions are made the way a
browser makes them: GET the login page for the CSRF cookie and token, POST
the form, keep every cookie the answers set.
"""

from __future__ import annotations

import http.client
import re
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from argon2 import PasswordHasher

__all__ = ["PASSWORD", "insert_users", "log_in_all", "login_inputs"]

PASSWORD = "correct horse battery staple 42"  # noqa: S105
EMAIL = "user{}@bench.example"
LOGIN_THREADS = 4
LOGIN_ATTEMPTS = 5
_FORMS = {
    "pyjang": ("csrf_token", "email"),
    "django": ("csrfmiddlewaretoken", "username"),
}


def insert_users(database_url: str, count: int, *, django: bool) -> None:
    """Insert ``count`` users into pyjang's table, and Django's when asked."""
    hashed = PasswordHasher().hash(PASSWORD)
    email = "'user' || i || '@bench.example'"
    series = f"FROM generate_series(1, {int(count)}) AS i"
    statements = [
        "INSERT INTO pyjang_users (id, email, password_hash, is_active, is_staff, "
        "is_superuser, auth_version, created_at, updated_at) "
        f"SELECT gen_random_uuid(), {email}, '{hashed}', true, false, false, 1, "
        f"now(), now() {series}"
    ]
    if django:
        statements.append(
            "INSERT INTO auth_user (password, is_superuser, username, first_name, "
            "last_name, email, is_staff, is_active, date_joined) "
            f"SELECT 'argon2{hashed}', false, {email}, '', '', {email}, false, "
            f"true, now() {series}"
        )
    for statement in statements:
        subprocess.run(  # noqa: S603
            ["psql", database_url, "-v", "ON_ERROR_STOP=1", "-qc", statement],  # noqa: S607
            check=True,
            capture_output=True,
            timeout=120,
        )


class _Browser:
    """Keep cookies across requests to one server, as a browser would."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, body: str | None = None
    ) -> tuple[int, str]:
        headers = {"Cookie": self.header()} if self.cookies else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode(errors="replace")
            for value in response.msg.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(value).items():
                    self.cookies[name] = morsel.value
            return response.status, text
        finally:
            connection.close()

    def header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def csrf_token(self, family: str) -> str:
        """Open the login page and return the form's CSRF token."""
        field = _FORMS[family][0]
        for _ in range(LOGIN_ATTEMPTS):
            status, page = self.request("GET", "/login")
            if status != 503:
                break
            time.sleep(0.5)
        match = re.search(rf'name="{field}" value="([^"]+)"', page)
        if status != 200 or match is None:
            raise RuntimeError(f"no CSRF token on the {family} login page ({status})")
        return match.group(1)


def _form(family: str, token: str, index: int) -> str:
    token_field, email_field = _FORMS[family]
    values = {email_field: EMAIL.format(index), "password": PASSWORD}
    return urlencode({**values, token_field: token})


def _log_in(family: str, port: int, index: int) -> str:
    # A busy server may shed a login with 503 (its store timeout); try again.
    for _ in range(LOGIN_ATTEMPTS):
        browser = _Browser(port)
        token = browser.csrf_token(family)
        status, _ = browser.request("POST", "/login", _form(family, token, index))
        if status in (302, 303):
            return browser.header()
        if status != 503:
            break
        time.sleep(0.5)
    raise RuntimeError(f"{family} login of user {index} answered {status}")


def log_in_all(family: str, port: int, count: int, target: Path) -> None:
    """Log users 1..``count`` in; write one Cookie header a line to ``target``."""
    with ThreadPoolExecutor(LOGIN_THREADS) as pool:
        headers = list(
            pool.map(lambda i: _log_in(family, port, i), range(1, count + 1))
        )
    target.write_text("".join(f"{header}\t\n" for header in headers))


def login_inputs(family: str, port: int, count: int, target: Path) -> None:
    """Write one login form a line (with one valid CSRF pair) to ``target``."""
    browser = _Browser(port)
    token = browser.csrf_token(family)
    cookie = browser.header()
    lines = [f"{cookie}\t{_form(family, token, i)}\n" for i in range(1, count + 1)]
    target.write_text("".join(lines))
