"""A generated project passes its linters and its own tests, and migrates.

The project is the session's ``pyjang new shop`` with three models (every
field type, a foreign key) and two pages, made by the generators alone.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import asyncpg
import pytest

from pyjang.generators.migration import review
from tests.generators.conftest import clean_env, pyjang, run_tool

TABLES = {"shop_suppliers", "shop_products", "shop_events"}


@pytest.fixture(scope="session")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a mypy cache shared by the session's projects (a cold run is slow)."""
    return tmp_path_factory.mktemp("mypy-cache")


def test_ruff_and_mypy_find_nothing(shop: Path, mypy_cache: Path) -> None:
    assert "All checks passed" in run_tool(shop, "-m", "ruff", "check", ".")
    assert "already formatted" in run_tool(shop, "-m", "ruff", "format", "--check", ".")
    output = run_tool(shop, "-m", "mypy", "--cache-dir", str(mypy_cache))
    assert "Success: no issues found" in output


def test_long_names_still_lint_clean(tmp_path: Path, mypy_cache: Path) -> None:
    env = clean_env(DATABASE_URL=f"sqlite:///{tmp_path}/long.db")
    name = "neighbourhood_market_garden"
    pyjang(tmp_path, "new", name, env=env)
    root = tmp_path / name
    fields = ["seasonal_description:string:optional", "harvest:fk:SeedVariety"]
    pyjang(root, "addmodel", "SeedVariety", "botanical_name:string:unique", env=env)
    pyjang(root, "addmodel", "PlantingEntry", *fields, env=env)
    pyjang(root, "addpage", "opening-hours-and-directions", env=env)
    run_tool(root, "-m", "ruff", "check", ".")
    run_tool(root, "-m", "ruff", "format", "--check", ".")
    run_tool(root, "-m", "mypy", "--cache-dir", str(mypy_cache))


def test_the_projects_own_tests_pass(shop: Path) -> None:
    output = run_tool(shop, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert " passed" in output and "failed" not in output


def test_each_revision_creates_only_its_table(shop: Path) -> None:
    revisions = sorted((shop / "shop" / "migrations").glob("*.py"))
    tables = set()
    for revision in revisions:
        table = "shop_" + revision.stem.split("_add_shop_")[1]
        assert review(revision.read_text(), table) == []
        tables.add(table)
    assert tables == TABLES


def _sqlite_tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        return {name for (name,) in rows}


def _postgres_tables(url: str) -> set[str]:
    async def read() -> set[str]:
        connection = await asyncpg.connect(url)
        try:
            rows = await connection.fetch("SELECT tablename FROM pg_tables")
            return {row["tablename"] for row in rows}
        finally:
            await connection.close()

    return asyncio.run(read())


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_migrations_apply_and_match_the_models(
    shop: Path, database: str, request: pytest.FixtureRequest
) -> None:
    url = f"sqlite:///{shop.parent}/migrated.db"
    if database == "postgres":
        url = request.getfixturevalue("fresh_postgres_url")
    env = clean_env(DATABASE_URL=url)
    assert "migrations applied" in pyjang(shop, "migrate", env=env).stdout
    assert "already up to date" in pyjang(shop, "migrate", env=env).stdout
    made = pyjang(shop, "makemigrations", "-m", "check", env=env).stdout
    assert "nothing written" in made, "the revisions create exactly the models"
    if database == "sqlite":
        tables = _sqlite_tables(shop.parent / "migrated.db")
    else:
        tables = _postgres_tables(url)
    assert TABLES | {"pyjang_users", "alembic_version"} <= tables
