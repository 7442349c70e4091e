"""``pyjang addpage NAME``: a page, its route and a link in the navigation.

The view goes into ``views/pages.py`` above its ``routes`` list, the
template into ``templates/pages/``, the link into the project's layout (for
everyone, or only for logged-in users with ``--login-required``) and a test
into ``tests/``.
"""

from __future__ import annotations

import ast
from pathlib import Path

from pyjang.generators.files import GeneratorError, Plan
from pyjang.generators.layout import Layout, add_nav_item
from pyjang.generators.names import check_page_name, label
from pyjang.generators.pycode import add_import, check_width, extend_list, insert_before
from pyjang.generators.rendering import render

__all__ = ["plan_page"]


def _check_free(layout: Layout, name: str, function: str) -> None:
    views = layout.root / layout.source / "views"
    pages = ast.parse((views / "pages.py").read_text(encoding="utf-8"))
    defined = {getattr(node, "name", "") for node in pages.body}
    if function in defined:
        raise GeneratorError(f"page {name} exists already (views/pages.py)")
    for module in views.glob("*.py"):
        text = module.read_text(encoding="utf-8")
        if f'"/{name}"' in text:
            raise GeneratorError(f"{module.name} serves /{name} already")
    for path in (Path("templates", "pages", f"{name}.html"),):
        if (layout.root / layout.source / path).exists():
            raise GeneratorError(f"{layout.package}/{path} exists already")
    if (layout.root / "tests" / f"test_page_{function}.py").exists():
        raise GeneratorError(f"tests/test_page_{function}.py exists already")


def plan_page(layout: Layout, name: str, *, login_required: bool = False) -> Plan:
    """Return the plan of the files page ``name`` adds or changes.

    Raises GeneratorError for an invalid, reserved or taken name.
    """
    check_page_name(name)
    function = name.replace("-", "_")
    _check_free(layout, name, function)
    context = {
        "name": name,
        "function": function,
        "heading": label(name),
        "title": label(layout.package),
        "package": layout.package,
        "login_required": login_required,
    }
    plan = Plan(layout.root)
    pages = layout.source / "views" / "pages.py"
    source = plan.current(pages) or ""
    if login_required:
        source = add_import(source, "pyjang", ["login_required"], layout.package)
    source = insert_before(source, "routes", render("page/view.py.j2", **context))
    source = extend_list(source, "routes", f'Route("/{name}", {function})')
    check_width(str(pages), source)
    plan.add(pages, source)
    plan.add(
        layout.source / "templates" / "pages" / f"{name}.html",
        render("page/page.html.j2", **context),
    )
    layout_path = layout.source / "templates" / "layout.html"
    nav = add_nav_item(
        plan.current(layout_path) or "",
        label(name),
        f"/{name}",
        public=not login_required,
    )
    plan.add(layout_path, nav)
    test = render("page/test.py.j2", **context)
    check_width("test", test)
    plan.add(Path("tests") / f"test_page_{function}.py", test)
    return plan
