"""Helpers shared by the admin, users and posts tests: accounts and counts."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import func, select
from starlette.testclient import TestClient

from pyjang.models import User
from tests.conftest import STRONG_PASSWORD, form_token, login

PASSWORD = STRONG_PASSWORD
PASSWORD_HASH = PasswordHasher().hash(PASSWORD)
ROLES = ("anonymous", "user", "staff", "superuser")
RELAXED_LIMITS = "10000/minute"


def run(client: TestClient, work: Callable[..., Any], *args: Any) -> Any:
    """Run the coroutine function ``work`` on the app's event loop."""
    return client.portal.call(work, *args)  # type: ignore[union-attr]


def database(client: TestClient) -> Any:
    """Return the app's Database."""
    return client.app.state.runtime.database  # type: ignore[attr-defined]


def add_user(
    client: TestClient,
    email: str,
    *,
    staff: bool = False,
    superuser: bool = False,
    active: bool = True,
) -> uuid.UUID:
    """Insert an account with PASSWORD and return its id."""

    async def add() -> uuid.UUID:
        async with database(client).session() as db:
            user = User(
                email=email,
                password_hash=PASSWORD_HASH,
                is_staff=staff or superuser,
                is_superuser=superuser,
                is_active=active,
            )
            db.add(user)
            await db.commit()
            return user.id

    result: uuid.UUID = run(client, add)
    return result


def sign_in(client: TestClient, email: str) -> None:
    """Drop the client's cookies and log in as ``email``."""
    client.cookies.clear()
    response = login(client, email)
    assert response.status_code == 303, response.text


def become(client: TestClient, role: str) -> uuid.UUID | None:
    """Create ``<role>@example.com`` with that role and log in as it."""
    client.cookies.clear()
    if role == "anonymous":
        return None
    email = f"{role}@example.com"
    user_id = add_user(
        client, email, staff=role == "staff", superuser=role == "superuser"
    )
    sign_in(client, email)
    return user_id


def count(client: TestClient, model: type[Any], *conditions: Any) -> int:
    """Return the number of rows of ``model`` matching ``conditions``."""

    async def counted() -> int:
        async with database(client).session() as db:
            query = select(func.count()).select_from(model)
            for condition in conditions:
                query = query.where(condition)
            return int(await db.scalar(query) or 0)

    result: int = run(client, counted)
    return result


def fetch(client: TestClient, query: Any) -> list[Any]:
    """Return every row ``query`` selects."""

    async def rows() -> list[Any]:
        async with database(client).session() as db:
            return list((await db.scalars(query)).unique())

    result: list[Any] = run(client, rows)
    return result


def token(client: TestClient, path: str = "/dashboard") -> str:
    """Return a CSRF token from the page at ``path``."""
    return form_token(client, path)
