"""``pyjang addpage``: the view, template, link and test it writes, and refusals."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.generators.conftest import Outcome, tree_hash


def test_a_page_gets_a_view_a_template_a_link_and_a_test(
    new_shop: Path, cli: Callable[..., Outcome]
) -> None:
    result = cli(new_shop, "addpage", "contact-us")
    assert result.code == 0, result.err
    pages = (new_shop / "shop" / "views" / "pages.py").read_text()
    assert "async def contact_us(request: Request) -> Response:" in pages
    assert 'Route("/contact-us", contact_us)' in pages
    assert "login_required" not in pages
    template = new_shop / "shop" / "templates" / "pages" / "contact-us.html"
    assert '{% extends "layout.html" %}' in template.read_text()
    layout = (new_shop / "shop" / "templates" / "layout.html").read_text()
    assert '{"label": "Contact us", "url": "/contact-us", "public": true}' in layout
    assert (new_shop / "tests" / "test_page_contact_us.py").is_file()

    assert cli(new_shop, "addpage", "members", "--login-required").code == 0
    pages = (new_shop / "shop" / "views" / "pages.py").read_text()
    assert "from pyjang import login_required\n" in pages
    assert "@login_required\nasync def members(" in pages
    layout = (new_shop / "shop" / "templates" / "layout.html").read_text()
    assert '"url": "/members", "public": false' in layout


def test_dry_run_writes_nothing(new_shop: Path, cli: Callable[..., Outcome]) -> None:
    before = tree_hash(new_shop)
    result = cli(new_shop, "addpage", "about", "--dry-run")
    assert result.code == 0 and "create shop/templates/pages/about.html" in result.out
    assert "+async def about(request: Request) -> Response:" in result.out
    assert tree_hash(new_shop) == before


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("about", "exists already"),
        ("About", "not a valid page name"),
        ("about_us", "not a valid page name"),
        ("x--y", "not a valid page name"),
        ("home", "pages.py uses"),
        ("class", "pages.py uses"),
        ("admin", "pyjang already serves /admin"),
        ("login", "pyjang already serves /login"),
        ("products", "serves /products already"),
    ],
)
def test_refused_names_write_nothing(
    shop: Path, cli: Callable[..., Outcome], name: str, message: str
) -> None:
    before = tree_hash(shop)
    result = cli(shop, "addpage", name)
    assert result.code == 1 and message in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert tree_hash(shop) == before
