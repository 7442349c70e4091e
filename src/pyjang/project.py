"""A user's project: the ``[tool.pyjang]`` table of its ``pyproject.toml``.

::

    [tool.pyjang]
    app = "shop.app:app"            # what `pyjang run` serves
    models = ["shop.models"]        # modules whose models migrations cover
    migrations = "shop/migrations"  # the project's own Alembic versions

Commands run inside such a folder use it without flags.
"""

from __future__ import annotations

import importlib
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pyjang.errors import ConfigError

__all__ = ["Project", "find_project"]

FILE_NAME = "pyproject.toml"


@dataclass(frozen=True)
class Project:
    """Where a project's app, models and migrations are."""

    root: Path
    app: str | None
    models: tuple[str, ...]
    migrations: Path | None

    def import_models(self) -> None:
        """Import the model modules so their tables join the metadata."""
        if str(self.root) not in sys.path:
            sys.path.insert(0, str(self.root))
        for module in self.models:
            try:
                importlib.import_module(module)
            except ImportError as error:
                raise ConfigError(
                    f"[tool.pyjang] models: cannot import {module}: {error}"
                ) from None

    @property
    def migration_locations(self) -> list[Path]:
        """Return the project's version folders (empty when it has none)."""
        return [self.migrations] if self.migrations else []


def find_project(start: Path | None = None) -> Project | None:
    """Return the project whose ``pyproject.toml`` is in ``start`` (the cwd).

    Returns None when there is no such file or it has no ``[tool.pyjang]``;
    raises ConfigError when the table is malformed.
    """
    root = (start or Path.cwd()).resolve()
    path = root / FILE_NAME
    if not path.is_file():
        return None
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8")).get("tool", {})
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot be parsed: {error}") from None
    config = table.get("pyjang") if isinstance(table, dict) else None
    if not isinstance(config, dict):
        return None
    app, models, migrations = (
        config.get("app"),
        config.get("models", []),
        config.get("migrations"),
    )
    if app is not None and (not isinstance(app, str) or ":" not in app):
        raise ConfigError("[tool.pyjang] app: use MODULE:ATTR, e.g. shop.app:app")
    if not isinstance(models, list) or not all(isinstance(m, str) for m in models):
        raise ConfigError('[tool.pyjang] models: use a list such as ["shop.models"]')
    if migrations is not None and not isinstance(migrations, str):
        raise ConfigError('[tool.pyjang] migrations: use a folder such as "migrations"')
    folder = (root / migrations).resolve() if migrations else None
    return Project(root, app, tuple(models), folder)
