"""A generated project served by real ``pyjang run`` processes, over HTTP.

Every generated route: the lists with pagination, create (plain and HTMX),
show, edit in place, update (PUT and POST), delete (confirmed, and HTMX), the
pages; CSRF refusals, a login for writes, ownership (another user gets 403,
staff may edit) and the admin.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.generators.conftest import clean_env, pyjang
from tests.scaleout.conftest import Browser, instance_env

pytestmark = pytest.mark.slow

PRODUCT = {
    "name": "Teapot",
    "price": "12.50",
    "stock": "4",
    "released": "2025-01-31",
    "active": "on",
}


def _make_staff(url: str, email: str) -> None:
    async def update() -> None:
        connection = await asyncpg.connect(url)
        try:
            query = "UPDATE pyjang_users SET is_staff = true WHERE email = $1"
            await connection.execute(query, email)
        finally:
            await connection.close()

    asyncio.run(update())


def _ids(html: str, kind: str) -> list[int]:
    return [
        int(n)
        for n in re.findall(rf'<article class="item {kind}" id="{kind}-(\d+)"', html)
    ]


def _htmx(client: Browser, base: str) -> dict[str, str]:
    return {"HX-Request": "true", "X-CSRF-Token": client.token(f"{base}/products")}


def _add(
    client: Browser, base: str, path: str, data: dict[str, str], page: str = ""
) -> Any:
    # A plain form post, with the CSRF token of the form on ``page`` (the list).
    token = client.token(f"{base}{page or '/' + path.split('/')[1]}")
    return client.post(f"{base}{path}", data={**data, "csrf_token": token})


def _write_pages_and_forms(base: str, owner: Browser, anonymous: Browser) -> int:
    # The pages: a public one in everyone's navigation, one for members only.
    about = anonymous.get(f"{base}/about")
    assert about.status_code == 200 and "<h1>About</h1>" in about.text
    assert 'href="/about"' in about.text and 'href="/members"' not in about.text
    assert anonymous.get(f"{base}/members").status_code == 302
    members = owner.get(f"{base}/members")
    assert members.status_code == 200 and 'href="/members"' in members.text

    # Writes need a CSRF token first, then a login.
    supplier = {"name": "Acme", "email": "sales@acme.example"}
    assert owner.post(f"{base}/suppliers", data=supplier).status_code == 403
    refused = _add(anonymous, base, "/suppliers", supplier, page="/login")
    assert refused.status_code == 302 and refused.headers["location"].startswith(
        "/login"
    )
    assert _add(owner, base, "/suppliers", supplier).status_code == 303
    taken = _add(owner, base, "/suppliers", supplier)
    assert taken.status_code == 400 and "has this name already" in taken.text
    [supplier_id] = _ids(owner.get(f"{base}/suppliers").text, "supplier")

    # Every field says what is wrong with it, and the form keeps what was typed.
    wrong = {"name": "", "price": "1.234", "stock": "many", "released": "31/01/2025"}
    invalid = _add(owner, base, "/products", {**wrong, "supplier_id": "999"})
    assert invalid.status_code == 400
    for message in (
        "Enter the name.",
        "Use at most 2 decimal places.",
        "Enter a whole number such as 42.",
        "Enter a date such as 2025-01-31.",
        "Choose one of the supplier options.",
    ):
        assert message in invalid.text
    assert 'value="many"' in invalid.text
    inline = owner.post(f"{base}/products", data=wrong, headers=_htmx(owner, base))
    assert inline.status_code == 200, "htmx swaps only successful answers"
    assert 'id="product-create"' in inline.text and "Enter the name." in inline.text
    return supplier_id


def _crud(
    base: str, owner: Browser, other: Browser, staff: Browser, supplier: int
) -> None:
    product = {**PRODUCT, "supplier_id": str(supplier)}
    assert _add(owner, base, "/products", product).status_code == 303
    inline = owner.post(
        f"{base}/products",
        data={**product, "name": "Kettle"},
        headers=_htmx(owner, base),
    )
    assert inline.status_code == 200 and "<html" not in inline.text
    assert 'hx-swap-oob="afterbegin:#product-list"' in inline.text
    listing = owner.get(f"{base}/products").text
    kettle, teapot = _ids(listing, "product")
    assert "Kettle" in listing and "Acme" in listing

    # Show, and the edit form as a page and in place.
    assert "Teapot" in owner.get(f"{base}/products/{teapot}").text
    assert owner.get(f"{base}/products/{teapot}/edit").status_code == 200
    in_place = owner.get(f"{base}/products/{teapot}/edit", headers=_htmx(owner, base))
    assert (
        f'hx-put="/products/{teapot}"' in in_place.text and "<html" not in in_place.text
    )
    assert owner.get(f"{base}/products/999999").status_code == 404

    # The owner saves in place (PUT) and with a plain form (POST).
    changed = {**product, "name": "Big teapot"}
    put = owner.request(
        "PUT", f"{base}/products/{teapot}", data=changed, headers=_htmx(owner, base)
    )
    assert put.status_code == 200 and "Big teapot" in put.text
    token = owner.token(f"{base}/products/{teapot}/edit")
    saved = owner.post(
        f"{base}/products/{teapot}", data={**changed, "csrf_token": token}
    )
    assert saved.status_code == 303

    # Another user may read but not change; without a token it is 403 anyway.
    assert other.get(f"{base}/products/{teapot}").status_code == 200
    assert other.get(f"{base}/products/{teapot}/edit").status_code == 403
    token = other.token(f"{base}/products")
    for method, path in (
        ("POST", ""),
        ("POST", "/delete"),
        ("DELETE", ""),
        ("PUT", ""),
    ):
        response = other.request(
            method,
            f"{base}/products/{teapot}{path}",
            data={**changed, "csrf_token": token, "confirm": "yes"},
            headers={"X-CSRF-Token": token},
        )
        assert response.status_code == 403, (method, path)
    no_token = other.post(f"{base}/products/{teapot}/delete", data={"confirm": "yes"})
    assert no_token.status_code == 403

    # Staff may change anyone's row.
    token = staff.token(f"{base}/products/{teapot}/edit")
    by_staff = {**changed, "name": "Staff teapot", "csrf_token": token}
    assert staff.post(f"{base}/products/{teapot}", data=by_staff).status_code == 303
    assert "Staff teapot" in owner.get(f"{base}/products/{teapot}").text

    # Delete: a plain form asks first; HTMX deletes after hx-confirm.
    ask = _add(owner, base, f"/products/{teapot}/delete", {})
    assert ask.status_code == 200 and "Yes, delete" in ask.text
    confirmed = _add(owner, base, f"/products/{teapot}/delete", {"confirm": "yes"})
    assert confirmed.status_code == 303
    assert owner.get(f"{base}/products/{teapot}").status_code == 404
    gone = owner.request(
        "DELETE", f"{base}/products/{kettle}", headers=_htmx(owner, base)
    )
    assert gone.status_code == 200 and gone.text == ""


def _referenced_and_paged(base: str, owner: Browser, supplier: int) -> None:
    product = {**PRODUCT, "supplier_id": str(supplier)}
    headers = _htmx(owner, base)
    for number in range(12):
        data = {**product, "name": f"Cup {number}"}
        assert (
            owner.post(f"{base}/products", data=data, headers=headers).status_code
            == 200
        )
    first, second = (
        owner.get(f"{base}/products").text,
        owner.get(f"{base}/products?page=2").text,
    )
    assert len(_ids(first, "product")) == 10 and len(_ids(second, "product")) == 2
    assert "page 1 of 2" in first and 'id="page-previous"' in second
    assert "Cup 11" in first and "Cup 0" in second
    still_used = _add(owner, base, f"/suppliers/{supplier}/delete", {"confirm": "yes"})
    assert still_used.status_code == 409


def test_every_generated_route_in_production_on_postgres(
    shop: Path,
    servers: Callable[..., Any],
    fresh_postgres_url: str,
    make_browser: Callable[[], Browser],
) -> None:
    env = {**instance_env(fresh_postgres_url, None), "RATE_LIMIT_AUTH": "100/minute"}
    base = servers(env=env, workdir=shop).start().url
    owner, other, staff, anonymous = (make_browser() for _ in range(4))
    for client, email in ((owner, "owner"), (other, "other"), (staff, "staff")):
        assert client.register(base, f"{email}@example.com").status_code == 303
    _make_staff(fresh_postgres_url, "staff@example.com")

    supplier = _write_pages_and_forms(base, owner, anonymous)
    _crud(base, owner, other, staff, supplier)
    _referenced_and_paged(base, owner, supplier)
    admin = staff.get(f"{base}/admin")
    assert admin.status_code == 200
    for model in ("supplier", "product", "event"):
        assert f'href="/admin/{model}"' in admin.text
        assert staff.get(f"{base}/admin/{model}").status_code == 200
    assert owner.get(f"{base}/admin").status_code == 403


def test_new_addmodel_then_run_dev_serves_products_and_their_admin(
    tmp_path: Path, servers: Callable[..., Any], make_browser: Callable[[], Browser]
) -> None:
    env = clean_env()
    pyjang(tmp_path, "new", "shop", env=env)
    root = tmp_path / "shop"
    fields = ["name:string", "price:decimal", "stock:int"]
    pyjang(root, "addmodel", "Product", *fields, env=env)
    base = servers("--dev", workdir=root).start().url
    assert (root / ".pyjang" / "dev-secret").is_file() and (
        root / "pyjang.db"
    ).is_file()

    browser = make_browser()
    assert browser.register(base, "admin@example.com").status_code == 303
    with sqlite3.connect(root / "pyjang.db") as connection:
        connection.execute("UPDATE pyjang_users SET is_staff = 1")
    added = _add(
        browser, base, "/products", {"name": "Mug", "price": "3.20", "stock": "7"}
    )
    assert added.status_code == 303
    listing = browser.get(f"{base}/products").text
    assert "Mug" in listing and "3.20" in listing and 'href="/products"' in listing
    admin = browser.get(f"{base}/admin")
    assert admin.status_code == 200 and 'href="/admin/product"' in admin.text
    rows = browser.get(f"{base}/admin/product")
    assert rows.status_code == 200 and "Mug" in rows.text
