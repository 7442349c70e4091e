"""``pyjang new``: the project's files, and clear refusals that write nothing."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from pyjang.generators.project import project_files
from pyjang.project import find_project
from pyjang.settings import Settings
from tests.generators.conftest import Outcome, pyjang, tree_hash

LAYOUT = {
    "pyproject.toml",
    "README.md",
    ".env.example",
    ".gitignore",
    "shop/__init__.py",
    "shop/app.py",
    "shop/admin.py",
    "shop/forms.py",
    "shop/models/__init__.py",
    "shop/models/owned.py",
    "shop/views/__init__.py",
    "shop/views/common.py",
    "shop/views/pages.py",
    "shop/templates/layout.html",
    "shop/templates/pages/home.html",
    "shop/static/shop.css",
    "shop/migrations/README.md",
    "tests/conftest.py",
    "tests/test_app.py",
}


def files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_the_project_has_its_own_package_config_and_tests(new_shop: Path) -> None:
    assert files(new_shop) == LAYOUT
    project = find_project(new_shop)
    assert project is not None
    assert project.app == "shop.app:make_app"
    assert project.models == ("shop.models",)
    assert project.migrations == (new_shop / "shop" / "migrations").resolve()
    config = tomllib.loads((new_shop / "pyproject.toml").read_text())
    assert any(d.startswith("pyjang") for d in config["project"]["dependencies"])
    test_extra = " ".join(config["project"]["optional-dependencies"]["test"])
    assert "pytest" in test_extra and "httpx2" in test_extra
    assert config["tool"]["ruff"]["line-length"] == 88
    app = (new_shop / "shop" / "app.py").read_text()
    assert "create_app(" in app and "routes=routes" in app
    layout = (new_shop / "shop" / "templates" / "layout.html").read_text()
    assert layout.startswith('{% extends "base.html" %}') and "nav_items" in layout


def test_the_readme_starts_with_the_same_two_commands_as_pyjangs(
    new_shop: Path,
) -> None:
    ours = (Path(__file__).parents[2] / "README.md").read_text()
    theirs = (new_shop / "README.md").read_text()
    commands = re.findall(r"```sh\n(.+?)\n```", ours)[:2]
    assert "pyjang run --dev" in commands[0] and "python -m pytest" in commands[1]
    assert re.findall(r"```sh\n(.+?)\n```", theirs)[:2] == commands


def test_every_setting_is_in_env_example_with_a_comment(new_shop: Path) -> None:
    lines = (new_shop / ".env.example").read_text().splitlines()
    for name in Settings.model_fields:
        [index] = [
            i for i, line in enumerate(lines) if line.startswith(f"# {name.upper()}=")
        ]
        above = lines[index - 1]
        assert above.startswith("# ") and not re.match(r"# [A-Z_]+=", above), name
    secrets = [
        line for line in lines if line.startswith(("# SESSION_KEY=", "# SMTP_PASS="))
    ]
    assert all("<" in line for line in secrets), "secrets are placeholders"
    assert not [line for line in lines if line and not line.startswith("#")]


def test_gitignore_keeps_local_state_out(new_shop: Path) -> None:
    ignored = (new_shop / ".gitignore").read_text().split()
    assert {".pyjang/", ".env", "*.db", ".venv/", "__pycache__/"} <= set(ignored)


def test_directory_option_chooses_the_folder(tmp_path: Path) -> None:
    pyjang(tmp_path, "new", "shop", "--directory", "sites/my-shop")
    root = tmp_path / "sites" / "my-shop"
    assert files(root) == LAYOUT


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("Shop", "not a valid project name"),
        ("1shop", "not a valid project name"),
        ("my-shop", "not a valid project name"),
        ("class", "Python keyword"),
        ("pyjang", "already use"),
        ("test", "already use"),
        ("json", "standard library"),
        ("sqlalchemy", "already use"),
    ],
)
def test_an_invalid_or_reserved_name_is_refused(
    tmp_path: Path, cli: Callable[..., Outcome], name: str, reason: str
) -> None:
    before = tree_hash(tmp_path)
    result = cli(tmp_path, "new", name)
    assert result.code == 1
    assert reason in result.err and len(result.err.strip().splitlines()) == 1
    assert tree_hash(tmp_path) == before


def test_an_existing_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "notes.txt").write_text("mine")
    before = tree_hash(tmp_path)
    result = pyjang(tmp_path, "new", "shop", ok=False)
    assert result.returncode == 1 and "exists already" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert tree_hash(tmp_path) == before


def test_a_name_of_thirty_characters_fits_every_line() -> None:
    for path, text in project_files("a" * 30).items():
        if path.endswith(".py"):
            assert max(map(len, text.splitlines())) <= 88, path
