"""``cluster up`` with no DATABASE_URL or REDIS_URL: throwaway services.

The cluster starts its own PostgreSQL and Redis under the state folder,
keeps their data (and the secrets) across ``down --keep-data`` and a new
``up``, and removes every trace of them on a plain ``down``. The cluster
has one instance, so its restart is a blue-green switch.
"""

from __future__ import annotations

from pathlib import Path

import httpx2
import pytest

from pyjang.cluster.services import LocalPostgres, find_postgres_bin
from tests.cluster.conftest import Cluster, assert_nothing_left, base_env
from tests.cluster.load import Load, register
from tests.conftest import require, require_binary

pytestmark = pytest.mark.slow


def _dashboard(cluster: Cluster, session: str) -> int:
    response = httpx2.get(
        f"{cluster.url}/dashboard",
        headers={"Cookie": f"session_id={session}"},
        timeout=10,
        follow_redirects=False,
    )
    return response.status_code


def test_throwaway_services_live_and_leave_with_the_cluster(tmp_path: Path) -> None:
    require_binary("redis-server")
    require_binary("nginx")
    if find_postgres_bin() is None:
        require("PostgreSQL server", "initdb and pg_ctl are not installed")
    cluster = Cluster(tmp_path, base_env(), "nginx", 1)
    root = tmp_path / ".pyjang" / "cluster"
    postgres_data = LocalPostgres(root / "postgres").data
    markers = [str(postgres_data.parent)]

    cluster.up()
    status = cluster.status()
    services = {item["kind"]: item for item in status["services"]}
    assert services["postgres"]["managed"] and services["postgres"]["live"]
    assert services["redis"]["managed"] and services["redis"]["live"]
    ports = [cluster.port, cluster.port + 1, cluster.port + 2, cluster.port + 3]
    ports += [services["postgres"]["port"], services["redis"]["port"]]
    assert (postgres_data / "PG_VERSION").exists()
    assert (root / "redis").is_dir()
    key_id = status["key_id"]
    session = register(cluster.url, "throwaway@example.com")
    assert cluster.run("check").returncode == 0

    with Load(cluster.url, session, max_seconds=90) as load:
        restart = cluster.run("cluster", "restart")
        load.wait_for(10)
    assert restart.returncode == 0, restart.stderr
    assert load.result.failed == 0, load.result.failures
    assert [i["name"] for i in cluster.state()["instances"]] == ["green1"]

    cluster.down("--keep-data")
    assert_nothing_left(tmp_path, ports, markers)
    assert (postgres_data / "PG_VERSION").exists() and (root / "secrets.env").exists()
    assert not (root / "state.json").exists()

    cluster.up()
    assert cluster.status()["key_id"] == key_id
    assert _dashboard(cluster, session) == 200  # the same user, the same session
    cluster.down()
    assert_nothing_left(tmp_path, ports, markers)
    assert not postgres_data.exists() and not postgres_data.parent.exists()
    assert not (tmp_path / ".pyjang").exists()
