"""A user's project: [tool.pyjang] discovery and its own migration branch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pyjang.errors import ConfigError
from pyjang.project import find_project

PYPROJECT = """
[project]
name = "shop"
version = "0.1.0"

[tool.pyjang]
app = "shop.app:app"
models = ["shop.models"]
migrations = "shop/migrations"
"""
MODELS = """
from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from pyjang import Base


class Product(Base):
    __tablename__ = "shop_products"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
"""
MORE = """

class Supplier(Base):
    __tablename__ = "shop_suppliers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
"""


def make_project(root: Path) -> None:
    (root / "shop").mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "shop" / "__init__.py").write_text("")
    (root / "shop" / "models.py").write_text(MODELS)


def pyjang(root: Path, *args: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "pyjang", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_find_project_reads_the_table(tmp_path: Path) -> None:
    assert find_project(tmp_path) is None
    make_project(tmp_path)
    project = find_project(tmp_path)
    assert project is not None and project.app == "shop.app:app"
    assert project.models == ("shop.models",)
    assert project.migrations == (tmp_path / "shop" / "migrations").resolve()


@pytest.mark.parametrize(
    "table",
    [
        'app = "no-colon"',
        "models = 3",
        'models = ["ok", 4]',
        "migrations = 7",
        "= broken",
    ],
)
def test_a_malformed_table_is_one_clear_error(tmp_path: Path, table: str) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.pyjang]\n{table}\n")
    with pytest.raises(ConfigError):
        find_project(tmp_path)


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_project_revisions_form_their_own_branch(
    tmp_path: Path, database: str, request: pytest.FixtureRequest
) -> None:
    import os

    make_project(tmp_path)
    url = f"sqlite:///{tmp_path}/shop.db"
    if database == "postgres":
        url = request.getfixturevalue("fresh_postgres_url")
    env = {**os.environ, "DATABASE_URL": url}
    first = pyjang(tmp_path, "makemigrations", "-m", "products", env=env)
    assert "wrote" in first
    [revision] = (tmp_path / "shop" / "migrations").glob("*_products.py")
    text = revision.read_text()
    assert "('app',)" in text and "shop_products" in text and "pyjang_users" not in text
    assert "nothing written" in pyjang(
        tmp_path, "makemigrations", "-m", "none", env=env
    )
    with (tmp_path / "shop" / "models.py").open("a") as handle:
        handle.write(MORE)
    assert "wrote" in pyjang(tmp_path, "makemigrations", "-m", "suppliers", env=env)
    [second] = (tmp_path / "shop" / "migrations").glob("*_suppliers.py")
    assert (
        "shop_suppliers" in second.read_text()
        and "shop_products" not in second.read_text()
    )
    assert "migrations applied" in pyjang(tmp_path, "migrate", env=env)
    assert "database already up to date" in pyjang(tmp_path, "migrate", env=env)
