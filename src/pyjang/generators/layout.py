"""The project a generator works in: the folder ``pyjang new`` made.

Models are found by reading the model modules, never by importing them, so
a generator that refuses its input has run none of the project's code.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from pyjang.generators.files import GeneratorError
from pyjang.project import Project, find_project

__all__ = ["Layout", "add_nav_item", "locate"]

REQUIRED = (
    "app.py",
    "admin.py",
    "models/__init__.py",
    "views/__init__.py",
    "views/pages.py",
    "templates/layout.html",
)
NAV_START = "{% set nav_items = ["
NAV_END = "] %}"
NOT_A_PROJECT = "run this inside a project made by `pyjang new` (no {} here)"


@dataclass(frozen=True)
class Layout:
    """Where a generated project keeps each kind of file."""

    project: Project
    package: str

    @property
    def root(self) -> Path:
        """Return the project folder (where pyproject.toml is)."""
        return self.project.root

    @property
    def source(self) -> Path:
        """Return the package folder, relative to the root."""
        return Path(self.package)

    def models(self) -> dict[str, tuple[str, str]]:
        """Return each model class of the project: its module and its table."""
        found: dict[str, tuple[str, str]] = {}
        for path in sorted((self.root / self.package / "models").glob("*.py")):
            if path.name == "__init__.py":
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            for node in tree.body:
                if isinstance(node, ast.ClassDef) and _is_model(node):
                    found[node.name] = (path.stem, _table(node))
        return found


def _is_model(node: ast.ClassDef) -> bool:
    return any(isinstance(base, ast.Name) and base.id == "Base" for base in node.bases)


def _table(node: ast.ClassDef) -> str:
    for statement in node.body:
        targets = getattr(statement, "targets", [])
        value = getattr(statement, "value", None)
        named = any(
            isinstance(t, ast.Name) and t.id == "__tablename__" for t in targets
        )
        if named and isinstance(value, ast.Constant):
            return str(value.value)
    return ""


def add_nav_item(source: str, label: str, url: str, *, public: bool) -> str:
    """Return layout.html's ``source`` with a link to ``url`` in ``nav_items``."""
    lines = source.splitlines(keepends=True)
    try:
        start = next(i for i, line in enumerate(lines) if NAV_START in line)
        end = next(i for i in range(start, len(lines)) if lines[i].strip() == NAV_END)
    except StopIteration:
        raise GeneratorError(
            f"templates/layout.html has no `{NAV_START}` … `{NAV_END}` list"
        ) from None
    flag = "true" if public else "false"
    item = f'  {{"label": "{label}", "url": "{url}", "public": {flag}}},\n'
    return "".join([*lines[:end], item, *lines[end:]])


def locate(start: Path | None = None) -> Layout:
    """Return the generated project in ``start`` (the current folder).

    Raises GeneratorError, in one line, anywhere else.
    """
    project = find_project(start)
    if project is None or not project.app:
        raise GeneratorError(NOT_A_PROJECT.format("pyproject.toml with [tool.pyjang]"))
    package = project.app.split(":")[0].split(".")[0]
    for name in REQUIRED:
        if not (project.root / package / name).is_file():
            raise GeneratorError(NOT_A_PROJECT.format(f"{package}/{name}"))
    return Layout(project, package)
