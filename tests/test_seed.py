"""``pyjang seed``: flags, hidden prompts, weak passwords, and running it twice."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import inspect, select

from pyjang.cli import cli
from pyjang.database import Database
from pyjang.models import User
from pyjang.passwords import check_password
from tests.conftest import STRONG_PASSWORD


@pytest.fixture
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path}/seed.db"
    monkeypatch.setenv("DATABASE_URL", url)
    return url


def seed(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["seed", *args], input=stdin)


def users(url: str) -> list[User]:
    async def load() -> list[User]:
        database = Database(url)
        try:
            async with database.session() as db:
                return list(await db.scalars(select(User)))
        finally:
            await database.close()

    return asyncio.run(load())


def tables(url: str) -> set[str]:
    async def load() -> set[str]:
        database = Database(url)
        try:
            async with database.engine.connect() as conn:
                names = await conn.run_sync(
                    lambda sync: inspect(sync).get_table_names()
                )
                return set(names)
        finally:
            await database.close()

    return asyncio.run(load())


def test_flags_create_a_superuser(database_url: str) -> None:
    result = seed("--email", " Admin@Example.com ", "--password", STRONG_PASSWORD)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "created admin admin@example.com"
    (user,) = users(database_url)
    assert (user.email, user.is_staff, user.is_superuser) == (
        "admin@example.com",
        True,
        True,
    )
    assert asyncio.run(check_password(STRONG_PASSWORD, user.password_hash))
    assert {"pyjang_posts", "pyjang_audit_log"} <= tables(database_url)


def test_prompts_hide_the_password_and_confirm_it(database_url: str) -> None:
    stdin = f"root@example.com\n{STRONG_PASSWORD}\n{STRONG_PASSWORD}\n"
    result = seed(stdin=stdin)
    assert result.exit_code == 0, result.output
    assert "Admin email:" in result.output and "Password:" in result.output
    assert "Repeat for confirmation:" in result.output
    assert STRONG_PASSWORD not in result.output, "hidden input is not echoed"
    (user,) = users(database_url)
    assert user.email == "root@example.com" and user.is_superuser


def test_a_mistyped_confirmation_asks_again(database_url: str) -> None:
    stdin = f"root@example.com\n{STRONG_PASSWORD}\nsomething else\n"
    stdin += f"{STRONG_PASSWORD}\n{STRONG_PASSWORD}\n"
    result = seed(stdin=stdin)
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output
    assert len(users(database_url)) == 1


@pytest.mark.parametrize("password", ["short", "password123", "aaaaaaaaaaaa"])
def test_a_weak_password_is_refused(database_url: str, password: str) -> None:
    result = seed("--email", "admin@example.com", "--password", password)
    assert result.exit_code == 2
    assert "--password" in result.output
    assert users(database_url) == []


def test_a_weak_prompted_password_is_refused(database_url: str) -> None:
    result = seed(stdin="admin@example.com\nshort\nshort\n")
    assert result.exit_code == 2 and "at least 10 characters" in result.output
    assert users(database_url) == []


@pytest.mark.parametrize("email", ["not-an-address", "a b@example.com", "@x.y"])
def test_an_invalid_email_is_refused_before_touching_the_database(
    database_url: str, email: str, tmp_path: Path
) -> None:
    result = seed("--email", email, "--password", STRONG_PASSWORD)
    assert result.exit_code == 2
    assert "valid email" in result.output
    assert not (tmp_path / "seed.db").exists()


def test_an_empty_prompt_asks_again_and_end_of_input_aborts(database_url: str) -> None:
    result = seed(stdin="\n\n")
    assert result.exit_code == 1
    assert result.output.count("Admin email:") >= 2


def test_running_twice_changes_nothing(database_url: str) -> None:
    first = seed("--email", "admin@example.com", "--password", STRONG_PASSWORD)
    assert first.exit_code == 0
    (before,) = users(database_url)
    second = seed(
        "--email", "ADMIN@example.com", "--password", "another strong passphrase"
    )
    assert second.exit_code == 0
    assert second.output.strip() == "admin@example.com already exists; nothing changed"
    (after,) = users(database_url)
    assert after.password_hash == before.password_hash
    assert after.auth_version == before.auth_version


def test_seed_prompts_only_for_what_is_missing(database_url: str) -> None:
    stdin = f"{STRONG_PASSWORD}\n{STRONG_PASSWORD}\n"
    result = seed("--email", "admin@example.com", stdin=stdin)
    assert result.exit_code == 0, result.output
    assert "Admin email:" not in result.output


def test_seed_runs_the_migrations_on_postgresql(
    fresh_postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", fresh_postgres_url)
    result = seed("--email", "admin@example.com", "--password", STRONG_PASSWORD)
    assert result.exit_code == 0, result.output
    assert {"pyjang_posts", "pyjang_audit_log"} <= tables(fresh_postgres_url)
    again = seed("--email", "admin@example.com", "--password", STRONG_PASSWORD)
    assert "nothing changed" in again.output
    assert len(users(fresh_postgres_url)) == 1


def test_help_names_both_options() -> None:
    result = CliRunner().invoke(cli, ["seed", "--help"])
    assert result.exit_code == 0
    assert "--email" in result.output and "--password" in result.output
