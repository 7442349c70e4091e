"""The admin's pages: the index, the lists and the reference search, and routes.

Every route is for staff only. A list answers an HTMX request aimed at
``#admin-list`` with the table alone; any other request gets the page.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from pyjang.admin import editing
from pyjang.admin.fields import FieldError, ForeignKeyField, TextField
from pyjang.admin.listing import (
    FILTER_PREFIX,
    ListState,
    Page,
    escape_like,
    fetch_page,
    filter_choices,
    foreign_labels,
    row_pk,
)
from pyjang.admin.registry import AdminSite, ModelAdmin
from pyjang.admin.rendering import find_admin, render
from pyjang.auth import staff_required
from pyjang.runtime import runtime
from pyjang.templating import is_htmx

__all__ = ["admin_routes", "index", "list_view", "lookup"]

LIST_TARGET = "admin-list"
MAX_LOOKUP_RESULTS = 20
LABEL_COLUMNS = ("name", "title", "subject", "email", "username")
SiteView = Callable[[AdminSite, Request], Awaitable[Response]]


async def index(site: AdminSite, request: Request) -> Response:
    """Show every registered model with its number of rows."""
    entries = []
    async with runtime(request).database.session() as db:
        for admin in site.admins:
            query = admin.modify_query(request, select(admin.model))
            counted = select(func.count()).select_from(query.order_by(None).subquery())
            entries.append((admin, int(await db.scalar(counted) or 0)))
    return render(site, request, "admin/index.html", {"entries": entries})


async def _cells(
    db: AsyncSession, site: AdminSite, admin: ModelAdmin, page: Page
) -> list[dict[str, Any]]:
    shown = admin.columns_shown()
    labels = {}
    for key in shown:
        field = admin.fields[key]
        if isinstance(field, ForeignKeyField):
            values = [getattr(row, key) for row in page.rows]
            labels[key] = await foreign_labels(db, site, field, values)
    rows = []
    for row in page.rows:
        key_text = admin.pk_field.to_input(row_pk(admin, row))
        cells = []
        for key in shown:
            value = getattr(row, key)
            text = labels[key].get(value) if key in labels else None
            cells.append(text or admin.fields[key].display(value, short=True))
        url = f"{site.prefix}/{admin.slug}/{key_text}"
        rows.append({"pk": key_text, "url": url, "cells": cells})
    return rows


async def _filters(
    db: AsyncSession, request: Request, site: AdminSite, admin: ModelAdmin
) -> list[dict[str, Any]]:
    filters = []
    for key in admin.list_filter:
        choices = await filter_choices(db, request, site, admin, key)
        name = FILTER_PREFIX + key
        filters.append(
            {"name": name, "label": admin.fields[key].label, "choices": choices}
        )
    return filters


async def list_view(site: AdminSite, request: Request) -> Response:
    """Show one page of a model's rows: searched, filtered and sorted."""
    admin = find_admin(site, request)
    state = ListState.read(admin, request.query_params)
    async with runtime(request).database.session() as db:
        page = await fetch_page(db, request, admin, state)
        context = {
            "admin": admin,
            "state": state,
            "page": page,
            "rows": await _cells(db, site, admin, page),
            "columns": [
                (key, admin.fields[key].label) for key in admin.columns_shown()
            ],
            "filters": await _filters(db, request, site, admin),
            "base": f"{site.prefix}/{admin.slug}",
        }
    partial = is_htmx(request) and request.headers.get("hx-target") == LIST_TARGET
    if partial:
        context["oob"] = True
        return render(site, request, "admin/_list.html", context, fragment=True)
    restoring = request.headers.get("hx-history-restore-request") == "true"
    fragment = False if restoring else None
    return render(site, request, "admin/list.html", context, fragment=fragment)


async def lookup(site: AdminSite, request: Request) -> Response:
    """Return the rows a reference search box matches, as ``<option>``s."""
    admin = find_admin(site, request)
    field = admin.fields.get(str(request.path_params["field"]))
    if not isinstance(field, ForeignKeyField):
        raise HTTPException(404, "This field refers to no other table.")
    target = site.for_table(field.target_table)
    if target is None:
        raise HTTPException(404, "The referenced model is not registered.")
    text = request.query_params.get(field.name, "")[:200].strip()
    options: list[tuple[str, str]] = []
    if text:
        async with runtime(request).database.session() as db:
            options = await _matches(db, request, target, text)
    return render(site, request, "admin/_options.html", {"options": options})


async def _matches(
    db: AsyncSession, request: Request, target: ModelAdmin, text: str
) -> list[tuple[str, str]]:
    keys = list(target.search_fields) or [
        key for key in LABEL_COLUMNS if isinstance(target.fields.get(key), TextField)
    ]
    pattern = f"%{escape_like(text)}%"
    conditions = [target.columns[k].ilike(pattern, escape="\\") for k in keys]
    with contextlib.suppress(FieldError):
        conditions.append(target.pk == target.pk_field.convert(text))
    if not conditions:
        return []
    query = target.modify_query(request, select(target.model)).where(or_(*conditions))
    rows = (await db.scalars(query.limit(MAX_LOOKUP_RESULTS))).unique()
    return [
        (target.pk_field.to_input(row_pk(target, r)), target.label(r)) for r in rows
    ]


def admin_routes(site: AdminSite) -> list[BaseRoute]:
    """Return the staff-only routes serving ``site``."""

    def bind(view: SiteView) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            return await view(site, request)

        endpoint.__name__ = f"admin_{view.__name__}"
        endpoint.__doc__ = view.__doc__
        return staff_required(endpoint)

    prefix = site.prefix
    both = ["GET", "POST"]
    return [
        Route(prefix, bind(index)),
        Route(prefix + "/{model}", bind(list_view)),
        Route(prefix + "/{model}/new", bind(editing.create), methods=both),
        Route(
            prefix + "/{model}/bulk-delete", bind(editing.bulk_delete), methods=["POST"]
        ),
        Route(prefix + "/{model}/lookup/{field}", bind(lookup)),
        Route(prefix + "/{model}/{pk}", bind(editing.edit), methods=both),
        Route(prefix + "/{model}/{pk}/delete", bind(editing.delete), methods=both),
    ]
