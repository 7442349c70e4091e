"""The names generators accept for projects, models, fields and pages.

Each check raises :class:`GeneratorError` with one sentence saying what to
change; the conversions (``snake``, ``plural``, ``label``) are what every
generator uses to name modules, tables, routes and headings alike.
"""

from __future__ import annotations

import functools
import keyword
import re
import sys
from pathlib import Path

from sqlalchemy.dialects.postgresql.base import RESERVED_WORDS as POSTGRES_WORDS
from sqlalchemy.dialects.sqlite.base import SQLiteIdentifierPreparer
from sqlalchemy.sql.compiler import RESERVED_WORDS as SQL_WORDS

from pyjang.generators.files import GeneratorError

__all__ = [
    "check_field_name",
    "check_model_name",
    "check_page_name",
    "check_project_name",
    "label",
    "plural",
    "reserved_paths",
    "snake",
]

MAX_NAME_LENGTH = 40
MAX_IDENTIFIER_LENGTH = 63


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


PROJECT_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")
MODEL_NAME = re.compile(r"[A-Z][A-Za-z0-9]*\Z")
FIELD_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")
PAGE_NAME = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*\Z")
SQL_RESERVED = frozenset(
    SQL_WORDS | POSTGRES_WORDS | SQLiteIdentifierPreparer.reserved_words
)
# Import names of pyjang and of what it runs on: a project must not shadow them.
DEPENDENCIES = _words(
    "aiosmtplib aiosqlite alembic anyio argon2 asyncpg click httpx httpx2 jinja2 "
    "limits multipart mypy prometheus_client pydantic pydantic_settings pytest "
    "redis rich ruff sqlalchemy starlette uvicorn zxcvbn"
)
# Names the generated modules import or define: a model or field must not hide one.
TAKEN_NAMES = _words(
    "Any AsyncSession Base Boolean Date DateTime Decimal Float ForeignKey FormReader "
    "HTTPException Integer IntegrityError Mapped ModelAdmin Numeric OwnedAdmin "
    "RedirectResponse Request Response Route String Text User Uuid"
)
# Variables the generated templates and views use besides the model's own.
CONTEXT_NAMES = _words(
    "choices created csrf_token errors messages page pages request static_version "
    "total user values"
)
FIELD_TAKEN = _words(
    "id owner owner_id created_at updated_at editable_by metadata registry "
    "date datetime uuid decimal utcnow mapped_column relationship"
)


def snake(name: str) -> str:
    """Return the snake_case form of a CapWords name (``ProductLine``)."""
    words = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", words).lower()


def plural(word: str) -> str:
    """Return the English plural of a snake_case ``word`` (``box`` → ``boxes``)."""
    if re.search(r"(s|x|z|ch|sh)\Z", word):
        return word + "es"
    if re.search(r"[^aeiou]y\Z", word):
        return word[:-1] + "ies"
    return word + "s"


def label(name: str) -> str:
    """Return how a snake_case or page name reads in a heading: ``Unit price``."""
    words = re.sub(r"[_-]+", " ", name).strip()
    return words[:1].upper() + words[1:]


def _clashes_with_python(name: str) -> str | None:
    if keyword.iskeyword(name) or keyword.iskeyword(name.lower()):
        return "a Python keyword"
    if name.lower() in sys.stdlib_module_names:
        return "a standard library module"
    return None


def check_project_name(name: str) -> None:
    """Refuse a name that cannot be, or must not be, a project's package."""
    if not PROJECT_NAME.match(name) or len(name) > 30:
        raise GeneratorError(
            f"{name!r} is not a valid project name; use lowercase letters, digits"
            " and underscores, starting with a letter (at most 30), such as shop"
        )
    clash = _clashes_with_python(name)
    if clash or name in {"pyjang", "test", "tests"} or name in DEPENDENCIES:
        reason = clash or "a name pyjang or its tests already use"
        raise GeneratorError(f"{name!r} is {reason}; choose another project name")


@functools.cache
def pyjang_models() -> frozenset[str]:
    """Return the class names of pyjang's own models, lowercased."""
    from pyjang.database import Base
    from pyjang.migrate import target_metadata

    target_metadata()
    return frozenset(m.class_.__name__.lower() for m in Base.registry.mappers)


@functools.cache
def reserved_paths() -> frozenset[str]:
    """Return the first path segments pyjang's own routes and templates use."""
    from pyjang import health, views

    segments = {"metrics", "static", "pages", "common"}
    for route in [*health.routes, *views.routes]:
        path = getattr(route, "path", "")
        segments.add(path.strip("/").split("/")[0])
    templates = Path(views.__file__).parent.parent / "templates"
    segments.update(p.name for p in templates.iterdir() if p.is_dir())
    return frozenset(segments - {""})


def check_model_name(name: str) -> None:
    """Refuse a model name that is invalid or would clash once generated."""
    if not MODEL_NAME.match(name) or len(name) > MAX_NAME_LENGTH:
        raise GeneratorError(
            f"{name!r} is not a valid model name; use CapWords letters and digits"
            f" (at most {MAX_NAME_LENGTH}), such as Product"
        )
    word, words = snake(name), plural(snake(name))
    python = {name, word, words}
    reason = "a Python keyword" if any(map(keyword.iskeyword, python)) else None
    if word in SQL_RESERVED or words in SQL_RESERVED:
        reason = "an SQL reserved word"
    elif name.lower() in pyjang_models():
        reason = "the name of one of pyjang's own models"
    elif name in TAKEN_NAMES or word in CONTEXT_NAMES or words in CONTEXT_NAMES:
        reason = "a name the generated code already uses"
    elif words in reserved_paths():
        reason = f"taken: pyjang already serves /{words}"
    if reason:
        raise GeneratorError(f"{name!r} is {reason}; choose another model name")


def check_field_name(name: str) -> None:
    """Refuse a field name that is invalid, reserved or generated already."""
    if not FIELD_NAME.match(name) or "__" in name or len(name) > MAX_NAME_LENGTH:
        raise GeneratorError(
            f"{name!r} is not a valid field name; use lowercase letters, digits and"
            f" single underscores (at most {MAX_NAME_LENGTH}), such as unit_price"
        )
    reason = "a Python keyword" if keyword.iskeyword(name) else None
    if name in SQL_RESERVED:
        reason = "an SQL reserved word"
    elif name in FIELD_TAKEN:
        reason = "a name every generated model has already"
    if reason:
        raise GeneratorError(f"field {name!r} is {reason}; choose another name")


def check_page_name(name: str) -> None:
    """Refuse a page name that is not a plain URL segment or is taken."""
    if not PAGE_NAME.match(name) or len(name) > MAX_NAME_LENGTH:
        raise GeneratorError(
            f"{name!r} is not a valid page name; use lowercase letters, digits and"
            " single hyphens, such as about or contact-us"
        )
    function = name.replace("-", "_")
    if keyword.iskeyword(function) or function in {"home", "routes", "render"}:
        raise GeneratorError(f"{name!r} is a name pages.py uses; choose another")
    if name in reserved_paths():
        raise GeneratorError(f"pyjang already serves /{name}; choose another page name")
