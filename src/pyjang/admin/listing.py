"""The admin's list view: search, filters, sorting and stable pagination.

Everything the list shows is in its query string (``q``, ``sort``, ``page``
and ``f_<field>``), so a plain link or GET form reaches the same page an
HTMX request renders in place.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from pyjang.admin.fields import UNSET, BooleanField, FieldError, ForeignKeyField
from pyjang.admin.registry import AdminSite, ModelAdmin

__all__ = [
    "ListState",
    "Page",
    "escape_like",
    "fetch_page",
    "filter_choices",
    "foreign_labels",
    "reference_choices",
    "row_pk",
]

MAX_QUERY = 200
MAX_PAGE = 1_000_000
FILTER_PREFIX = "f_"
MAX_CHOICES = 100


def escape_like(text: str) -> str:
    """Return ``text`` with LIKE's wildcards escaped by backslashes."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class ListState:
    """What a list request asked for, read from its query string."""

    q: str = ""
    sort: str = ""
    page: int = 1
    filters: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, admin: ModelAdmin, params: Mapping[str, str]) -> ListState:
        """Return the state in ``params``; unknown or bad values are dropped."""
        sortable = admin.columns_shown()
        sort = params.get("sort", "")
        if sort.lstrip("-") not in sortable:
            sort = ""
        raw_page = params.get("page", "1")
        page = int(raw_page) if raw_page.isdigit() and len(raw_page) < 8 else 1
        filters = {}
        for key in admin.list_filter:
            value = params.get(FILTER_PREFIX + key, "")
            if value and len(value) <= MAX_QUERY:
                filters[key] = value
        q = params.get("q", "")[:MAX_QUERY].strip()
        return cls(q=q, sort=sort, page=max(1, min(page, MAX_PAGE)), filters=filters)

    def params(self, **changes: Any) -> dict[str, str]:
        """Return the query parameters of this state with ``changes`` applied."""
        state = replace(self, **changes)
        values = {"q": state.q, "sort": state.sort}
        values.update({FILTER_PREFIX + k: v for k, v in state.filters.items()})
        if state.page > 1:
            values["page"] = str(state.page)
        return {key: value for key, value in values.items() if value}

    def query(self, **changes: Any) -> str:
        """Return ``?…`` for this state with ``changes`` applied."""
        encoded = urlencode(self.params(**changes))
        return f"?{encoded}" if encoded else "?"

    def sort_query(self, column: str) -> str:
        """Return the query that sorts by ``column``, flipping a current sort."""
        new = f"-{column}" if self.sort == column else column
        return self.query(sort=new, page=1)


@dataclass
class Page:
    """One page of rows and where it sits among all of them."""

    rows: list[Any]
    total: int
    number: int
    count: int

    @property
    def has_previous(self) -> bool:
        """Return True when a page comes before this one."""
        return self.number > 1

    @property
    def has_next(self) -> bool:
        """Return True when a page comes after this one."""
        return self.number < self.count


def _filtered(admin: ModelAdmin, request: Request, state: ListState) -> Select[Any]:
    query = admin.modify_query(request, select(admin.model))
    if state.q and admin.search_fields:
        pattern = f"%{escape_like(state.q)}%"
        query = query.where(
            or_(
                *(
                    admin.columns[key].ilike(pattern, escape="\\")
                    for key in admin.search_fields
                )
            )
        )
    for key, raw in state.filters.items():
        try:
            value = admin.fields[key].parse(raw)
        except FieldError:
            continue
        if value is not UNSET:
            query = query.where(admin.columns[key] == value)
    return query


def _ordered(admin: ModelAdmin, query: Select[Any], state: ListState) -> Select[Any]:
    keys = [state.sort] if state.sort else list(admin.ordering)
    order = []
    for key in keys:
        column = admin.columns[key.lstrip("-")]
        order.append(column.desc() if key.startswith("-") else column.asc())
    # The primary key breaks ties, so rows never move between pages.
    return query.order_by(*order, admin.pk.asc())


async def fetch_page(
    db: AsyncSession, request: Request, admin: ModelAdmin, state: ListState
) -> Page:
    """Return the page of rows ``state`` asks for, clamped to the last page."""
    query = _filtered(admin, request, state)
    counted = select(func.count()).select_from(query.order_by(None).subquery())
    total = int(await db.scalar(counted) or 0)
    pages = max(1, math.ceil(total / admin.per_page))
    number = min(state.page, pages)
    query = _ordered(admin, query, state)
    query = query.offset((number - 1) * admin.per_page).limit(admin.per_page)
    rows = list((await db.scalars(query)).unique())
    return Page(rows=rows, total=total, number=number, count=pages)


async def foreign_labels(
    db: AsyncSession, site: AdminSite, field: ForeignKeyField, values: list[Any]
) -> dict[Any, str]:
    """Return a label for each referenced key in ``values`` that exists."""
    target = site.for_table(field.target_table)
    wanted = {value for value in values if value is not None}
    if target is None or not wanted:
        return {}
    rows = await db.scalars(select(target.model).where(target.pk.in_(wanted)))
    return {getattr(row, target.pk.key): target.label(row) for row in rows.unique()}


async def filter_choices(
    db: AsyncSession, request: Request, site: AdminSite, admin: ModelAdmin, key: str
) -> list[tuple[str, str]] | None:
    """Return the choices of filter ``key``, or None for a free-text filter."""
    field = admin.fields[key]
    if isinstance(field, BooleanField):
        return [("true", "Yes"), ("false", "No")]
    if field.choices:
        return field.choices
    if isinstance(field, ForeignKeyField):
        target = site.for_table(field.target_table)
        if target is None:
            return None
        return await reference_choices(db, request, target)
    query = select(admin.columns[key]).distinct().limit(MAX_CHOICES + 1)
    values = [v for v in await db.scalars(query) if v is not None]
    if len(values) > MAX_CHOICES:
        return None
    return sorted((field.to_input(v), field.display(v, short=True)) for v in values)


async def reference_choices(
    db: AsyncSession, request: Request, target: ModelAdmin
) -> list[tuple[str, str]] | None:
    """Return every row of ``target`` as a choice, or None when there are many."""
    query = target.modify_query(request, select(target.model))
    count = select(func.count()).select_from(query.order_by(None).subquery())
    if int(await db.scalar(count) or 0) > target.lookup_threshold:
        return None
    rows = (await db.scalars(query.order_by(target.pk))).unique()
    choices = [
        (target.pk_field.to_input(row_pk(target, r)), target.label(r)) for r in rows
    ]
    return sorted(choices, key=lambda choice: choice[1].casefold())


def row_pk(admin: ModelAdmin, row: Any) -> Any:
    """Return the primary key of ``row``."""
    return getattr(row, admin.pk.key)
