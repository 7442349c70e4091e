"""The list view: sorting, stable pagination, search and filters, HTMX or not."""

from __future__ import annotations

import re
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.admin.conftest import Colour, Gadget
from tests.admin.support import add_user, become, database, run

HTMX = {"HX-Request": "true", "HX-Target": "admin-list"}


def add_gadgets(client: TestClient, *rows: dict[str, Any]) -> None:
    """Insert Gadget rows straight into the database."""

    async def add() -> None:
        async with database(client).session() as db:
            db.add_all(Gadget(**row) for row in rows)
            await db.commit()

    run(client, add)


def names(html: str) -> list[str]:
    """Return the first cell of each row of the list table, in order."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'<td><a href="/testadmin/gadget/\d+">([^<]*)</a></td>', body)


@pytest.fixture
def staff(gadget_client: TestClient) -> TestClient:
    become(gadget_client, "staff")
    return gadget_client


def test_default_ordering_then_sort_by_a_column_both_ways(staff: TestClient) -> None:
    add_gadgets(
        staff, *({"name": n, "count": c} for n, c in [("b", 3), ("a", 1), ("c", 2)])
    )
    assert names(staff.get("/testadmin/gadget").text) == ["a", "b", "c"]
    ascending = staff.get("/testadmin/gadget?sort=count")
    assert names(ascending.text) == ["a", "c", "b"]
    assert 'aria-sort="ascending"' in ascending.text
    assert 'href="/testadmin/gadget?sort=-count"' in ascending.text, "the link flips"
    assert names(staff.get("/testadmin/gadget?sort=-count").text) == ["b", "c", "a"]


@pytest.mark.parametrize("sort", ["api_token", "notes", "nope", "-", "id; drop"])
def test_unknown_or_hidden_sort_columns_are_ignored(
    staff: TestClient, sort: str
) -> None:
    add_gadgets(staff, {"name": "z"}, {"name": "y"})
    page = staff.get("/testadmin/gadget", params={"sort": sort})
    assert page.status_code == 200
    assert names(page.text) == ["y", "z"]


def test_pagination_is_stable_when_sort_values_tie(staff: TestClient) -> None:
    add_gadgets(staff, *({"name": f"g{i:02}", "count": 7} for i in range(12)))
    seen: list[str] = []
    for number in (1, 2, 3):
        page = staff.get(f"/testadmin/gadget?sort=count&page={number}")
        assert f"page {number} of 3" in page.text
        seen += names(page.text)
    assert seen == [f"g{i:02}" for i in range(12)], "every row once, by key"
    first = staff.get("/testadmin/gadget?sort=count&page=1").text
    assert 'href="/testadmin/gadget?sort=count&amp;page=2"' in first


@pytest.mark.parametrize(("raw", "shown"), [("99", 3), ("0", 1), ("x", 1), ("-2", 1)])
def test_page_numbers_out_of_range_are_clamped(
    staff: TestClient, raw: str, shown: int
) -> None:
    add_gadgets(staff, *({"name": f"g{i:02}"} for i in range(12)))
    page = staff.get(f"/testadmin/gadget?page={raw}")
    assert page.status_code == 200
    assert f"page {shown} of 3" in page.text


def test_search_matches_any_search_field_without_wildcards(staff: TestClient) -> None:
    add_gadgets(
        staff,
        {"name": "Red Lamp"},
        {"name": "blue", "notes": "a lamp shade"},
        {"name": "100% cotton"},
        {"name": "1000 cotton"},
        {"name": "secret lamp"},
    )
    assert names(staff.get("/testadmin/gadget?q=LAMP").text) == ["Red Lamp", "blue"]
    assert names(staff.get("/testadmin/gadget?q=100%25").text) == ["100% cotton"]
    assert names(staff.get("/testadmin/gadget?q=_").text) == []
    assert "Nothing matches." in staff.get("/testadmin/gadget?q=zzz").text


def test_filters_by_boolean_enum_and_reference(staff: TestClient) -> None:
    owner = add_user(staff, "owner@example.com")
    add_gadgets(
        staff,
        {"name": "on", "active": True, "colour": Colour.RED},
        {"name": "off", "active": False, "colour": Colour.GREEN, "owner_id": owner},
    )
    assert names(staff.get("/testadmin/gadget?f_active=false").text) == ["off"]
    assert names(staff.get("/testadmin/gadget?f_colour=RED").text) == ["on"]
    assert names(staff.get(f"/testadmin/gadget?f_owner_id={owner}").text) == ["off"]
    page = staff.get("/testadmin/gadget")
    assert '<select class="admin-filter" id="f_colour"' in page.text
    assert "owner@example.com" in page.text, "references are named, not keyed"


@pytest.mark.parametrize(
    "query", ["f_active=maybe", "f_colour=PURPLE", "f_owner_id=nope", "f_count=1"]
)
def test_bad_filter_values_are_ignored(staff: TestClient, query: str) -> None:
    add_gadgets(staff, {"name": "one"})
    page = staff.get(f"/testadmin/gadget?{query}")
    assert page.status_code == 200
    assert names(page.text) == ["one"]


def test_the_query_modifier_hides_rows_from_lists(staff: TestClient) -> None:
    add_gadgets(staff, {"name": "visible"}, {"name": "secret plan"})
    assert names(staff.get("/testadmin/gadget").text) == ["visible"]
    assert names(staff.get("/testadmin/gadget?q=plan").text) == []


def test_htmx_gets_the_table_alone_and_the_sort_out_of_band(staff: TestClient) -> None:
    add_gadgets(staff, {"name": "a", "count": 2}, {"name": "b", "count": 1})
    partial = staff.get("/testadmin/gadget?sort=-name", headers=HTMX)
    assert partial.status_code == 200
    assert "<html" not in partial.text and "admin-search" not in partial.text
    assert names(partial.text) == ["b", "a"]
    assert 'id="admin-sort" value="-name" hx-swap-oob="true"' in partial.text
    assert 'hx-get="/testadmin/gadget?sort=name"' in partial.text


def test_without_javascript_every_control_is_a_link_or_a_get_form(
    staff: TestClient,
) -> None:
    add_gadgets(staff, *({"name": f"g{i:02}"} for i in range(6)))
    page = staff.get("/testadmin/gadget?q=g")
    assert page.text.startswith("<!doctype html>")
    assert '<form method="get" action="/testadmin/gadget"' in page.text
    assert 'href="/testadmin/gadget?q=g&amp;sort=name"' in page.text
    assert 'href="/testadmin/gadget?q=g&amp;page=2"' in page.text
    assert '<form method="post" action="/testadmin/gadget/bulk-delete?q=g"' in page.text


def test_a_history_restore_gets_the_whole_page(staff: TestClient) -> None:
    headers = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    page = staff.get("/testadmin/gadget", headers=headers)
    assert "<html" in page.text


def test_an_unknown_model_is_a_404(staff: TestClient) -> None:
    assert staff.get("/testadmin/nothing").status_code == 404
    assert staff.get("/testadmin/nothing/new").status_code == 404
