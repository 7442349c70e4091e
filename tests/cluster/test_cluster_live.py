"""Three instances behind a real HAProxy and a real nginx, under load.

One cluster per balancer serves every test of this module, in order: it is
checked, restarted, has an instance killed, is switched blue-green, runs
the failover drill and is taken down. Each step that replaces instances runs
under a steady, bounded stream of logged-in and anonymous GETs through the
balancer, and not one of them may fail.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cluster.conftest import Cluster, assert_nothing_left, one_line_error
from tests.cluster.load import Load, LoadResult, register
from tests.conftest import STRONG_PASSWORD

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=["haproxy", "nginx"])
def cluster(request: pytest.FixtureRequest, make_cluster: Any) -> Iterator[Cluster]:
    """Yield a running three-instance cluster behind the balancer in ``param``."""
    running: Cluster = make_cluster(request.param)
    running.up()
    running.email = f"load-{uuid.uuid4().hex[:8]}@example.com"
    running.session = register(running.url, running.email)
    yield running


def _assert_no_failure(result: LoadResult, lb: str) -> None:
    print(
        f"{lb}: {result.sent} GETs, {result.ok} answered 200, {result.retried} retried"
    )
    assert result.failed == 0, (result.failures, result.outcomes)
    assert not result.stopped_by_limit, "the load ended before the change did"
    if lb == "haproxy":
        # HAProxy is never reloaded, so it never closes a client connection.
        assert result.retried == 0, result.outcomes


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    pairs = (item.decode().split("=", 1) for item in raw if b"=" in item)
    return dict(pairs)


def test_up_starts_every_part_ready(cluster: Cluster) -> None:
    status = cluster.status()
    instances = status["instances"]
    assert [item["name"] for item in instances] == ["blue1", "blue2", "blue3"]
    assert all(item["live"] and item["ready"] for item in instances), instances
    assert len({item["port"] for item in instances}) == 3
    assert len({item["key_id"] for item in instances}) == 1
    assert all(item["requests"] > 0 for item in instances)
    assert status["balancer"]["ready"] and status["balancer"]["kind"] == cluster.lb
    assert all(service["live"] for service in status["services"])

    root = cluster.folder / ".pyjang" / "cluster"
    for secret in (root / "secrets.env", root / "state.json"):
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    environments = [_environ(item["pid"]) for item in instances]
    assert len({env["SESSION_KEY"] for env in environments}) == 1
    assert len({env["CSRF_SECRET"] for env in environments}) == 1
    assert len({env["INSTANCE_ID"] for env in environments}) == 3
    for env in environments:
        assert env["DEBUG"] == "false" and env["HTTPS_REDIRECT"] == "false"
        assert env["TRUSTED_PROXIES"].startswith("127.0.0.1/32")


def test_balancer_config_is_the_generated_one(cluster: Cluster) -> None:
    folder = cluster.folder / ".pyjang" / "cluster" / "balancer"
    if cluster.lb == "haproxy":
        config = (folder / "haproxy.cfg").read_text()
        for line in ("option httpchk GET /ready", "option redispatch", "stats socket"):
            assert line in config
        assert "http-request disable-l7-retry unless METH_GET" in config
        assert config.count(" disabled\n") == 3  # the green slots
        stats = cluster.status()["balancer"]["stats_url"]
        assert stats.startswith("http://127.0.0.1:")
    else:
        config = (folder / "nginx.conf").read_text()
        for line in ("least_conn;", "proxy_next_upstream error timeout", "keepalive"):
            assert line in config
        assert config.count(" down;\n") == 3


def test_check_passes_through_the_balancer(cluster: Cluster) -> None:
    urls = cluster.instance_urls()
    result = cluster.run("check", *urls, "--lb", cluster.url, "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["ok"]
    checks = {(item["check"], item["target"]) for item in report["checks"]}
    assert {("live", url) for url in urls} <= checks
    assert {("sessions", url) for url in urls[1:]} <= checks
    assert ("balancer", cluster.url) in checks

    table = cluster.run("check")  # the cluster of this folder, as a table
    assert table.returncode == 0, table.stdout
    assert "✓" in table.stdout and "✗" not in table.stdout

    email = cluster.email
    login = cluster.run("check", "--email", email, "--password", STRONG_PASSWORD)
    assert login.returncode == 0, login.stdout
    assert "shows the dashboard of a login made on" in login.stdout


def test_up_twice_is_refused(cluster: Cluster) -> None:
    before = [item["pid"] for item in cluster.state()["instances"]]
    args = ["-n", "3", "--lb", cluster.lb, "--port", str(cluster.port)]
    line = one_line_error(cluster.run("cluster", "up", *args))
    assert "already runs here" in line
    assert [item["pid"] for item in cluster.state()["instances"]] == before
    assert all(item["ready"] for item in cluster.status()["instances"])


def test_rolling_restart_under_load(cluster: Cluster) -> None:
    before = {item["name"]: item["pid"] for item in cluster.state()["instances"]}
    with Load(cluster.url, cluster.session) as load:
        restart = cluster.run("cluster", "restart")
        load.wait_for(20)
    assert restart.returncode == 0, restart.stderr
    _assert_no_failure(load.result, cluster.lb)
    after = {item["name"]: item["pid"] for item in cluster.state()["instances"]}
    assert after.keys() == before.keys()
    assert all(after[name] != before[name] for name in before)
    assert all(item["ready"] for item in cluster.status()["instances"])


def test_kill_9_under_load_fails_no_get(cluster: Cluster) -> None:
    victim = cluster.state()["instances"][1]
    with Load(cluster.url, cluster.session) as load:
        load.wait_for(30)
        os.kill(victim["pid"], signal.SIGKILL)
        time.sleep(3)  # longer than HAProxy needs to mark it down (2 checks)
        load.wait_for(30)
    _assert_no_failure(load.result, cluster.lb)
    killed = next(
        i for i in cluster.status()["instances"] if i["name"] == victim["name"]
    )
    assert not killed["live"]


def test_blue_green_switch_under_load(cluster: Cluster) -> None:
    old = cluster.state()["instances"]
    old_ports, old_pids = [i["port"] for i in old], [i["pid"] for i in old]
    with Load(cluster.url, cluster.session) as load:
        deploy = cluster.run("cluster", "deploy", "--blue-green")
        load.wait_for(20)
    assert deploy.returncode == 0, deploy.stderr
    assert "green" in deploy.stdout
    _assert_no_failure(load.result, cluster.lb)
    status = cluster.status()
    assert [item["name"] for item in status["instances"]] == [
        "green1",
        "green2",
        "green3",
    ]
    assert all(item["ready"] for item in status["instances"])
    assert status["balancer"]["in_rotation"] == ["green1", "green2", "green3"]
    assert not any(_running(pid) for pid in old_pids)
    assert_nothing_left(cluster.folder / "none", old_ports, [])


def test_failover_drill_passes(cluster: Cluster) -> None:
    before = {item["name"]: item["pid"] for item in cluster.state()["instances"]}
    result = cluster.run("check", "--failover", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    drill = [
        item
        for item in json.loads(result.stdout)["checks"]
        if item["check"] == "failover"
    ]
    assert drill and drill[0]["ok"], drill
    after = {item["name"]: item["pid"] for item in cluster.state()["instances"]}
    assert sum(after[name] != before[name] for name in before) == 1
    assert all(item["ready"] for item in cluster.status()["instances"])


def test_down_leaves_nothing(cluster: Cluster) -> None:
    pids = [item["pid"] for item in cluster.state()["instances"]]
    pids.append(cluster.state()["balancer"]["pid"])
    cluster.down()
    assert_nothing_left(cluster.folder, cluster.ports(), [])
    assert not any(_running(pid) for pid in pids)
    assert not (cluster.folder / ".pyjang").exists()
    one_line_error(cluster.run("cluster", "status"))


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
