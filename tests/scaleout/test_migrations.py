"""Many instances starting on one empty database migrate it exactly once."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx2
import pytest

from tests.scaleout.conftest import instance_env

pytestmark = pytest.mark.slow

SLOW_REVISION = '''
"""A revision that takes a while, to be killed half-way."""
import sqlalchemy as sa
from alembic import op

revision = "slow1"
down_revision = None
branch_labels = ("slowtest",)
depends_on = "0001"


def upgrade():
    op.create_table("slow_half", sa.Column("id", sa.Integer, primary_key=True))
    op.execute("SELECT pg_sleep(4)")
    op.create_table("slow_done", sa.Column("id", sa.Integer, primary_key=True))


def downgrade():
    op.drop_table("slow_done")
    op.drop_table("slow_half")
'''

MIGRATE = """
import asyncio, sys
from pathlib import Path
from pyjang.database import Database
from pyjang.migrate import Migrator

async def main():
    database = Database(sys.argv[1])
    await Migrator(database, extra_locations=[Path(sys.argv[2])]).upgrade()
    await database.close()

asyncio.run(main())
"""


async def fetch(url: str, query: str) -> list[Any]:
    connection = await asyncpg.connect(url)
    try:
        return [tuple(row) for row in await connection.fetch(query)]
    finally:
        await connection.close()


def test_three_instances_at_once_migrate_once(
    servers: Any, fresh_postgres_url: str
) -> None:
    env = instance_env(fresh_postgres_url, None)
    instances = [servers(env={**env, "INSTANCE_ID": f"m{i}"}) for i in range(3)]
    processes = []
    for instance in instances:
        with (instance.workdir / f"m-{instance.port}.log").open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "pyjang", "run"],
                cwd=instance.workdir,
                env={**instance.env},
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        instance.process = process
        processes.append(process)

    deadline = time.monotonic() + 60
    ready: set[int] = set()
    while len(ready) < 3 and time.monotonic() < deadline:
        for instance in instances:
            try:
                if httpx2.get(f"{instance.url}/ready", timeout=1).status_code == 200:
                    ready.add(instance.port)
            except httpx2.TransportError:
                pass
        time.sleep(0.2)
    assert len(ready) == 3
    versions = asyncio.run(
        fetch(fresh_postgres_url, "SELECT version_num FROM alembic_version")
    )
    assert len(versions) == len(set(versions)) >= 1
    logs = "".join((i.workdir / f"m-{i.port}.log").read_text() for i in instances)
    assert logs.count("applying migrations") == 1, logs
    assert "Traceback" not in logs
    for process in processes:
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0


def test_a_migration_killed_half_way_is_finished_by_the_next_run(
    fresh_postgres_url: str, tmp_path: Path
) -> None:
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "slow1_slow.py").write_text(SLOW_REVISION)
    script = tmp_path / "migrate.py"
    script.write_text(MIGRATE)
    command = [sys.executable, str(script), fresh_postgres_url, str(versions)]
    first = subprocess.Popen(command)
    deadline = time.monotonic() + 30
    query = "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%'"
    while time.monotonic() < deadline:
        if asyncio.run(fetch(fresh_postgres_url, query))[0][0]:
            break
        time.sleep(0.1)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    tables_query = "SELECT tablename FROM pg_tables WHERE tablename LIKE 'slow_%'"
    assert asyncio.run(fetch(fresh_postgres_url, tables_query)) == [], "rolled back"
    assert subprocess.run(command, timeout=60).returncode == 0
    tables = {row[0] for row in asyncio.run(fetch(fresh_postgres_url, tables_query))}
    assert tables == {"slow_half", "slow_done"}
    heads = asyncio.run(
        fetch(fresh_postgres_url, "SELECT version_num FROM alembic_version")
    )
    assert ("slow1",) in heads and len(heads) == len(set(heads))
