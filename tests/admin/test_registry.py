"""Registering models: options, their checks, and the index of the site."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column
from starlette.testclient import TestClient

from pyjang import admin as admin_package
from pyjang.admin import AdminSite, AuditEntry, site
from pyjang.models import User
from pyjang.posts import Post
from tests.admin.conftest import Gadget, GadgetBase
from tests.admin.support import add_user, become


class Pair(GadgetBase):
    """A model with a two-column key, which the admin cannot address."""

    __tablename__ = "test_pairs"

    left: Mapped[int] = mapped_column(Integer, primary_key=True)
    right: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(String(10))


def test_the_public_surface() -> None:
    assert set(admin_package.__all__) == {
        "AdminSite",
        "AuditEntry",
        "ModelAdmin",
        "site",
    }
    assert isinstance(site, AdminSite)


def test_the_starter_site_registers_users_posts_and_the_audit_log() -> None:
    slugs = [admin.slug for admin in site.admins]
    assert slugs == ["user", "post", "auditentry"]
    assert site.get("user").model is User  # type: ignore[union-attr]
    assert site.get("post").model is Post  # type: ignore[union-attr]
    audit = site.get("auditentry")
    assert audit is not None and audit.model is AuditEntry
    assert not (audit.can_create or audit.can_edit or audit.can_delete)


def test_options_given_as_keywords_override_the_class() -> None:
    local = AdminSite(prefix="/x")
    admin = local.register(
        Gadget,
        list_display=["name", "count"],
        search_fields=["name"],
        list_filter=["active"],
        ordering=["-count"],
        readonly_fields=["count"],
        hidden_fields=["api_token"],
        icon="★",
        name="gizmo",
        name_plural="gizmos",
    )
    assert admin.columns_shown() == ["name", "count"]
    assert (admin.icon, admin.name, admin.name_plural) == ("★", "gizmo", "gizmos")
    assert "api_token" not in admin.fields
    assert local.get("gadget") is admin and local.for_table("test_gadgets") is admin


def test_default_list_columns_skip_passwords() -> None:
    admin = AdminSite().register(User)
    assert "password_hash" not in admin.columns_shown()
    assert admin.password_keys() == {"password_hash"}


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"list_display": ["nope"]}, ValueError, "no column 'nope'"),
        ({"search_fields": ["count"]}, ValueError, "is not text"),
        ({"ordering": ["-nope"]}, ValueError, "no column"),
        ({"list_filter": ["nope"]}, ValueError, "no column"),
        ({"hidden_fields": ["name"], "list_display": ["name"]}, ValueError, "hidden"),
        ({"colour_scheme": "dark"}, TypeError, "unknown admin option"),
    ],
)
def test_bad_options_fail_at_registration(
    options: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        AdminSite().register(Gadget, **options)


def test_a_model_registers_once_and_unregisters() -> None:
    local = AdminSite()
    local.register(Gadget)
    with pytest.raises(ValueError, match="registered already"):
        local.register(Gadget)
    local.unregister(Gadget)
    assert local.get("gadget") is None
    local.unregister(Gadget)


def test_a_composite_key_is_refused() -> None:
    with pytest.raises(ValueError, match="one-column key"):
        AdminSite().register(Pair)


def test_the_index_lists_models_with_counts(client: TestClient) -> None:
    become(client, "staff")
    add_user(client, "other@example.com")
    page = client.get("/admin")
    assert page.status_code == 200
    assert _count(page.text, "user") == 2
    assert _count(page.text, "post") == 0
    assert _count(page.text, "auditentry") == 0
    assert "/static/admin.css" in page.text


def test_the_index_counts_through_the_query_modifier(gadget_client: TestClient) -> None:
    become(gadget_client, "staff")
    token = _token(gadget_client)
    for name in ("alpha", "secret one"):
        gadget_client.post(
            "/testadmin/gadget/new", data={"csrf_token": token, "name": name}
        )
    page = gadget_client.get("/testadmin")
    assert _count(page.text, "gadget") == 1, "the modifier hides the secret row"


def _count(html: str, slug: str) -> int:
    match = re.search(rf'id="model-{slug}".*?data-count="(\d+)"', html, re.S)
    assert match is not None, f"{slug} is not on the index"
    return int(match.group(1))


def _token(client: TestClient) -> str:
    from tests.admin.support import token

    return token(client, "/testadmin")


def test_hooks_may_be_given_as_keywords() -> None:
    def narrow(request: Any, query: Any) -> Any:
        return query

    async def check(request: Any, obj: Any, changes: Any, *, created: bool) -> None:
        return None

    admin = AdminSite().register(Gadget, modify_query=narrow, before_save=check)
    assert admin.modify_query is narrow and admin.before_save is check
