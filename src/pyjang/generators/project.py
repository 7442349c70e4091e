"""``pyjang new NAME``: a project folder of the user's own, ready to run.

The project is a package NAME/ whose app adds its models and routes to
pyjang's, with templates, static files and migrations beside it, a
pyproject.toml naming them in ``[tool.pyjang]``, a README, ``.env.example``
and tests that pass as generated.
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

from pyjang.generators.files import GeneratorError, Plan
from pyjang.generators.names import check_project_name, label
from pyjang.generators.pycode import check_width
from pyjang.generators.rendering import render

__all__ = ["new_project", "project_file", "project_files"]

# Template (under templates/project/) → path in the project; "package" is NAME.
FILES = {
    "pyproject.toml.j2": "pyproject.toml",
    "README.md.j2": "README.md",
    "env.example.j2": ".env.example",
    "gitignore.j2": ".gitignore",
    "package/__init__.py.j2": "{package}/__init__.py",
    "package/app.py.j2": "{package}/app.py",
    "package/admin.py.j2": "{package}/admin.py",
    "package/forms.py.j2": "{package}/forms.py",
    "package/models/__init__.py.j2": "{package}/models/__init__.py",
    "package/models/owned.py.j2": "{package}/models/owned.py",
    "package/views/__init__.py.j2": "{package}/views/__init__.py",
    "package/views/common.py.j2": "{package}/views/common.py",
    "package/views/pages.py.j2": "{package}/views/pages.py",
    "package/templates/layout.html.j2": "{package}/templates/layout.html",
    "package/templates/pages/home.html.j2": "{package}/templates/pages/home.html",
    "package/static/package.css.j2": "{package}/static/{package}.css",
    "package/migrations/README.md.j2": "{package}/migrations/README.md",
    "tests/conftest.py.j2": "tests/conftest.py",
    "tests/test_app.py.j2": "tests/test_app.py",
}


def _pyjang_version() -> str:
    try:
        return metadata.version("pyjang")
    except metadata.PackageNotFoundError:
        return "0.1"


def _render(template: str, package: str) -> str:
    context = {
        "package": package,
        "title": label(package),
        "pyjang_version": _pyjang_version(),
        "models": [],
    }
    return render(f"project/{template}", **context)


def project_file(package: str, path: str) -> str:
    """Return the file at ``path`` (under the package) as ``pyjang new`` writes it."""
    for template, target in FILES.items():
        if target == "{package}/" + path:
            return _render(template, package)
    raise KeyError(path)


def project_files(package: str) -> dict[str, str]:
    """Return every file of a new project called ``package``, by path."""
    files = {}
    for template, target in FILES.items():
        path = target.format(package=package)
        text = _render(template, package)
        if path.endswith(".py"):
            check_width(path, text)
        files[path] = text
    return files


def new_project(name: str, directory: Path | None = None) -> Path:
    """Write the project ``name`` into ``directory`` (default ``./name``).

    Raises GeneratorError, having written nothing, for an invalid or
    reserved name or a folder that exists already.
    """
    check_project_name(name)
    root = (directory or Path(name)).absolute()
    if root.exists():
        raise GeneratorError(f"{root} exists already; choose a new folder")
    plan = Plan(root)
    for path, text in project_files(name).items():
        plan.add(path, text)
    try:
        plan.apply()
    except OSError as error:
        plan.revert()
        raise GeneratorError(f"cannot write {root}: {error.strerror}") from None
    return root
