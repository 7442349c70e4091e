"""Fixtures of the admin tests: the starter app, and a site over every column type."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    Numeric,
    Select,
    SmallInteger,
    String,
    Table,
    Text,
    Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from starlette.requests import Request
from starlette.testclient import TestClient

from pyjang import create_app
from pyjang.admin import AdminSite, ModelAdmin
from pyjang.admin.accounts import UserAdmin
from pyjang.models import User
from tests.admin.support import RELAXED_LIMITS, database, run


class GadgetBase(DeclarativeBase):
    """A registry of its own, so the test table never reaches migrations."""

    metadata = MetaData()


# A stand-in for the users table, only so the foreign key below resolves.
Table("pyjang_users", GadgetBase.metadata, Column("id", Uuid, primary_key=True))


class Colour(enum.Enum):
    RED = "red"
    GREEN = "green"


class Gadget(GadgetBase):
    """A model with a column of every type the admin knows."""

    __tablename__ = "test_gadgets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    notes: Mapped[str | None] = mapped_column(Text)
    count: Mapped[int] = mapped_column(Integer, default=0)
    small: Mapped[int | None] = mapped_column(SmallInteger)
    big: Mapped[int | None] = mapped_column(BigInteger)
    ratio: Mapped[float | None] = mapped_column(Float)
    price: Mapped[Any] = mapped_column(Numeric(8, 2), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    made_on: Mapped[Any] = mapped_column(Date, nullable=True)
    seen_at: Mapped[Any] = mapped_column(DateTime(timezone=True), nullable=True)
    colour: Mapped[Colour | None] = mapped_column(Enum(Colour))
    serial: Mapped[uuid.UUID | None] = mapped_column(Uuid, unique=True)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("pyjang_users.id"))
    data: Mapped[Any] = mapped_column(JSON, nullable=True)
    api_token: Mapped[str | None] = mapped_column(String(64))


class GadgetAdmin(ModelAdmin):
    """Hooks under test: a refused name, and rows hidden from everyone."""

    list_display = ("name", "count", "price", "active", "colour", "owner_id")
    search_fields = ("name", "notes")
    list_filter = ("active", "colour", "owner_id")
    hidden_fields = ("api_token",)
    ordering = ("name",)
    icon = "⚙"
    per_page = 5

    async def before_save(
        self, request: Request, obj: Any, changes: dict[str, Any], *, created: bool
    ) -> dict[str, str] | None:
        if changes.get("name") == "forbidden":
            return {"name": "This name is reserved."}
        return None

    def modify_query(self, request: Request, query: Select[Any]) -> Select[Any]:
        return query.where(Gadget.name.not_like("secret%"))


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    """Return the starter app with rate limits out of the way."""
    return make_client(rate_limit_auth=RELAXED_LIMITS)


@pytest.fixture
def gadget_site() -> AdminSite:
    """Return a site with Gadget and User under /testadmin."""
    site = AdminSite(title="Test admin", prefix="/testadmin")
    site.register(User, UserAdmin)
    site.register(Gadget, GadgetAdmin)
    return site


@pytest.fixture
def gadget_client(make_settings: Any, gadget_site: AdminSite) -> Any:
    """Return a started client of an app serving ``gadget_site``."""
    from tests.conftest import wait_ready

    app = create_app(
        make_settings(rate_limit_auth=RELAXED_LIMITS), routes=gadget_site.routes
    )
    client = TestClient(app, base_url="https://testserver", follow_redirects=False)
    with client:
        wait_ready(client)

        async def create_table() -> None:
            async with database(client).engine.begin() as conn:
                await conn.run_sync(
                    GadgetBase.metadata.create_all, tables=[Gadget.__table__]
                )

        run(client, create_table)
        yield client
