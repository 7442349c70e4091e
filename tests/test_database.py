"""Database.fetch_row: one-statement reads on SQLite and on the pooled asyncpg link."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import bindparam, func, select

from pyjang.database import Database
from pyjang.migrate import Migrator
from pyjang.models import User

pytestmark = pytest.mark.anyio

BY_ID = select(User.__table__.c.id, User.__table__.c.email).where(
    User.__table__.c.id == bindparam("user_id")
)
BACKEND_PID = select(func.pg_backend_pid().label("pid"))
SLEEP = select(func.pg_sleep(bindparam("seconds")).label("slept"))


@pytest.fixture(params=["sqlite", "postgresql"])
async def database(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/read.db"
    else:
        url = request.getfixturevalue("fresh_postgres_url")
    database = Database(url, pool_size=2, max_overflow=1)
    await Migrator(database).upgrade()
    yield database
    await database.close()


async def _add_user(database: Database, email: str) -> uuid.UUID:
    async with database.session() as session:
        user = User(email=email, password_hash=None)
        session.add(user)
        await session.commit()
        return user.id


async def test_a_row_comes_back_by_column_name(database: Database) -> None:
    user_id = await _add_user(database, "row@example.com")

    row = await database.fetch_row(BY_ID, {"user_id": user_id})

    assert row is not None
    assert row["email"] == "row@example.com" and row["id"] == user_id


async def test_a_miss_is_none(database: Database) -> None:
    assert await database.fetch_row(BY_ID, {"user_id": uuid.uuid4()}) is None


async def test_many_reads_at_once_share_the_small_pool(database: Database) -> None:
    ids = [await _add_user(database, f"many{n}@example.com") for n in range(5)]

    rows = await asyncio.gather(
        *(database.fetch_row(BY_ID, {"user_id": ids[n % 5]}) for n in range(60))
    )

    assert [row["email"] for row in rows if row] == [
        f"many{n % 5}@example.com" for n in range(60)
    ]


async def test_a_killed_connection_is_replaced_and_the_read_repeated(
    fresh_postgres_url: str,
) -> None:
    database = Database(fresh_postgres_url, pool_size=1, max_overflow=0)
    try:
        first = await database.fetch_row(BACKEND_PID, {})
        assert first is not None
        admin = await asyncpg.connect(fresh_postgres_url)
        try:
            await admin.execute("SELECT pg_terminate_backend($1)", first["pid"])
        finally:
            await admin.close()

        # The dead connection is found out, dropped, and the read repeated on
        # a new one: the caller sees a row, not the server's restart.
        again = await database.fetch_row(BACKEND_PID, {})
        assert again is not None and again["pid"] != first["pid"]
        third = await database.fetch_row(BACKEND_PID, {})
        assert third is not None and third["pid"] == again["pid"]
    finally:
        await database.close()


async def test_a_read_cancelled_mid_query_lets_go_at_once(
    fresh_postgres_url: str,
) -> None:
    database = Database(fresh_postgres_url, pool_size=1, max_overflow=0)
    try:
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.2):
                await database.fetch_row(SLEEP, {"seconds": 5.0})
        assert loop.time() - started < 1.0

        # The one pooled connection was dropped, not handed out mid-query,
        # and the server was told to end the abandoned statement.
        row = await database.fetch_row(BACKEND_PID, {})
        assert row is not None
        assert await _sleepers_gone(fresh_postgres_url, within=5.0)
    finally:
        await database.close()


async def _sleepers_gone(url: str, *, within: float) -> bool:
    admin = await asyncpg.connect(url)
    try:
        deadline = asyncio.get_running_loop().time() + within
        while asyncio.get_running_loop().time() < deadline:
            running = await admin.fetchval(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND query LIKE '%pg_sleep%' "
                "AND pid <> pg_backend_pid()"
            )
            if running == 0:
                return True
            await asyncio.sleep(0.1)
        return False
    finally:
        await admin.close()
