"""Render the files generators write, from the templates under ``templates/``.

The templates use ``[[ … ]]`` and ``[% … %]`` so that the Jinja of the pages
they generate (``{{ … }}``, ``{% … %}``) passes through untouched.
"""

from __future__ import annotations

from typing import Any

import jinja2

__all__ = ["render"]

_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.PackageLoader("pyjang.generators", "templates"),
    variable_start_string="[[",
    variable_end_string="]]",
    block_start_string="[%",
    block_end_string="%]",
    comment_start_string="[#",
    comment_end_string="#]",
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
    autoescape=False,  # noqa: S701 - the output is source code, not HTML
)


def render(template: str, **context: Any) -> str:
    """Return ``template`` rendered with ``context``."""
    return _ENVIRONMENT.get_template(template).render(context)
