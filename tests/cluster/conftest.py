"""Real clusters for the cluster tests, driven through the ``pyjang`` command.

Each command runs as a subprocess, as a user would run it, in a folder of
its own. Clusters share a throwaway ``redis-server`` and a fresh database
on the test PostgreSQL (``DATABASE_URL`` and ``REDIS_URL`` set), except
where a test wants the throwaway services ``cluster up`` starts itself.
After ``down`` nothing may be left: no port of the cluster listening, no
process of it running, no process even mentioning its folder.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pyjang.cluster.processes import is_listening
from pyjang.cluster.services import LocalRedis
from tests.conftest import (
    PG_ADMIN_URL,
    SETTING_NAMES,
    _pg_admin,
    require,
    require_binary,
)

COMMAND_TIMEOUT = 180


def base_env(**extra: str) -> dict[str, str]:
    """Return this process's environment without pyjang settings, plus ``extra``."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in SETTING_NAMES and name != "PYJANG_APP"
    }
    env.update(extra)
    return env


def pyjang(
    folder: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 0
) -> subprocess.CompletedProcess[str]:
    """Run ``pyjang ARGS`` in ``folder`` and return what it did."""
    return subprocess.run(
        [sys.executable, "-m", "pyjang", *args],
        cwd=folder,
        env=env if env is not None else base_env(),
        capture_output=True,
        text=True,
        timeout=timeout or COMMAND_TIMEOUT,
        check=False,
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    """Assert that ``result`` failed with a single line on stderr; return it."""
    assert result.returncode != 0, result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_block(count: int) -> int:
    """Return a port P such that P to P + count - 1 are all free on loopback.

    The block lies below Linux's ephemeral range (32768 and up), so outgoing
    connections of other tests cannot take one of its ports meanwhile.
    """
    for _ in range(200):
        first = random.randrange(20000, 32000)
        if all(_bindable(port) for port in range(first, first + count)):
            return first
    raise AssertionError("no block of free ports found")


def cluster_ports(first: int, size: int) -> list[int]:
    """Return every port a cluster at ``first`` with ``size`` instances may use."""
    return list(range(first, first + 2 * size + 2))


def mentioning(markers: list[str]) -> list[str]:
    """Return ``pid command`` of each other process whose command line or
    working directory mentions one of ``markers``."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        if int(entry.name) == os.getpid():
            continue
        try:
            if (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                continue
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if any(marker in command or cwd.startswith(marker) for marker in markers):
            found.append(f"{entry.name} {command.strip()}")
    return found


def assert_nothing_left(folder: Path, ports: list[int], markers: list[str]) -> None:
    """Assert that no port of ``ports`` listens and no process mentions ``folder``."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        listening = [port for port in ports if is_listening(port)]
        stray = mentioning([str(folder), *markers])
        if not listening and not stray:
            return
        time.sleep(0.1)
    assert listening == [], f"still listening: {listening}"
    assert stray == [], f"stray processes: {stray}"


class Cluster:
    """A cluster started with ``pyjang cluster up`` in ``folder``."""

    def __init__(self, folder: Path, env: dict[str, str], lb: str, size: int) -> None:
        self.folder = folder
        self.env = env
        self.lb = lb
        self.size = size
        self.port = free_block(2 * size + 2)
        self.email = ""
        self.session = ""

    def run(self, *args: str, timeout: float = 0) -> subprocess.CompletedProcess[str]:
        return pyjang(self.folder, *args, env=self.env, timeout=timeout)

    def up(self, *extra: str) -> subprocess.CompletedProcess[str]:
        args = ["-n", str(self.size), "--lb", self.lb, "--port", str(self.port)]
        result = self.run("cluster", "up", *args, *extra)
        assert result.returncode == 0, result.stderr + result.stdout
        return result

    def state(self) -> dict[str, Any]:
        path = self.folder / ".pyjang" / "cluster" / "state.json"
        value: dict[str, Any] = json.loads(path.read_text())
        return value

    def status(self) -> dict[str, Any]:
        result = self.run("cluster", "status", "--json")
        assert result.returncode == 0, result.stderr
        value: dict[str, Any] = json.loads(result.stdout)
        return value

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def instance_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{i['port']}" for i in self.state()["instances"]]

    def ports(self) -> list[int]:
        return cluster_ports(self.port, self.size)

    def down(self, *extra: str) -> None:
        result = self.run("cluster", "down", *extra)
        assert result.returncode == 0, result.stderr + result.stdout


@pytest.fixture(scope="module")
def shared_services(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, str]]:
    """Yield DATABASE_URL and REDIS_URL of services the module's clusters share."""
    require_binary("redis-server")
    name = f"pyjang_cluster_{secrets.token_hex(4)}"
    try:
        _pg_admin(f'CREATE DATABASE "{name}"')
    except Exception as error:
        require("PostgreSQL", f"{PG_ADMIN_URL}: {type(error).__name__}: {error}")
    redis = LocalRedis(tmp_path_factory.mktemp("redis")).start()
    try:
        yield {
            "DATABASE_URL": PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}",
            "REDIS_URL": redis.url,
        }
    finally:
        redis.stop()
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def make_cluster(
    tmp_path_factory: pytest.TempPathFactory, shared_services: dict[str, str]
) -> Iterator[Any]:
    """Return a factory of clusters; each is taken down and checked afterwards."""
    made: list[Cluster] = []

    def make(lb: str = "haproxy", size: int = 3, **env: str) -> Cluster:
        require_binary(lb)
        folder = tmp_path_factory.mktemp(f"cluster-{lb}")
        cluster = Cluster(folder, base_env(**shared_services, **env), lb, size)
        made.append(cluster)
        return cluster

    yield make
    for cluster in made:
        if (cluster.folder / ".pyjang" / "cluster" / "state.json").exists():
            cluster.run("cluster", "down")
        assert_nothing_left(cluster.folder, cluster.ports(), [])
