"""Render the Jinja2 templates shipped in ``pyjang/deploy/templates``.

The output is configuration text, not HTML, so autoescaping is off; every
value is either checked by the caller (host names, paths, ports) or passed
through one of the quoting filters below, which make it a single token in
the target syntax.
"""

from __future__ import annotations

import json
import math
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

__all__ = ["config_path", "render", "seconds", "systemd_quote"]


def seconds(value: float) -> int:
    """Return ``value`` rounded up to whole seconds (``2.5`` → ``3``)."""
    return math.ceil(value)


def systemd_quote(assignment: str) -> str:
    """Quote ``KEY=value`` for a unit file's ``Environment=`` line.

    ``%`` starts a specifier in unit files, so it is doubled; quotes and
    backslashes are escaped. Raises ``ValueError`` for a control character.
    """
    if any(ord(char) < 32 for char in assignment):
        raise ValueError("a unit file value cannot hold control characters")
    escaped = assignment.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("%", "%%") + '"'


def config_path(path: str) -> str:
    """Return ``path``, double-quoted when it holds a space or non-ASCII letter.

    nginx and HAProxy both read a double-quoted word as one argument; the
    characters that would end or expand such a word are refused earlier by
    :func:`~pyjang.deploy.model.check_path`.
    """
    if any(char.isspace() or not char.isascii() for char in path):
        return f'"{path}"'
    return path


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


@cache
def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("pyjang.deploy", "templates"),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,  # noqa: S701 - the output is config text, not HTML
    )
    environment.filters["json"] = _json
    environment.filters["path"] = config_path
    environment.filters["seconds"] = seconds
    environment.filters["systemd"] = systemd_quote
    return environment


def render(template: str, **context: Any) -> str:
    """Return the template named ``template`` rendered with ``context``.

    A name missing from ``context`` raises ``jinja2.UndefinedError`` rather
    than rendering as an empty string.
    """
    return _environment().get_template(template).render(**context)
