"""A real HAProxy and a real nginx, run from the rendered configs, balance.

Two small HTTP backends on loopback answer ``/ready`` and ``/`` with their
name and the forwarded headers they saw. Each balancer runs unprivileged in
the foreground from a state directory, gets a bounded number of requests,
must reach both backends, must keep answering when one backend stops, and
is stopped by the test, which then checks that no process of it is left.
"""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pyjang.deploy import Backend, render_haproxy, render_nginx

pytestmark = pytest.mark.slow

REQUESTS = 20
AFTER_FAILURE = 10


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        seen = {
            "backend": self.server.name,
            "for": self.headers.get("X-Forwarded-For"),
            "proto": self.headers.get("X-Forwarded-Proto"),
            "host": self.headers.get("X-Forwarded-Host"),
        }
        body = json.dumps(seen).encode() if self.path != "/ready" else b"ok"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, name: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.name = name


@pytest.fixture
def backends() -> Iterator[list[_Server]]:
    """Start two loopback backends in threads; stop them afterwards."""
    servers = [_Server("one"), _Server("two")]
    threads = [threading.Thread(target=server.serve_forever) for server in servers]
    for thread in threads:
        thread.start()
    try:
        yield servers
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
        for thread in threads:
            thread.join(timeout=10)


def _stop_backend(server: _Server) -> None:
    server.shutdown()
    server.server_close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    for _ in range(100):
        assert process.poll() is None, log.read_text()
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    pytest.fail(f"the balancer did not listen on {port}: {log.read_text()}")


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


@contextmanager
def _running(command: list[str], port: int, state: Path) -> Iterator[None]:
    log = state / "balancer.log"
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    try:
        _wait_for_port(port, process, log)
        yield
    finally:
        workers = _children(process.pid)
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
    for _ in range(50):
        if not any(_alive(pid) for pid in workers):
            break
        time.sleep(0.1)
    assert process.returncode is not None
    assert [pid for pid in workers if _alive(pid)] == []


def _fetch(port: int, path: str = "/") -> bytes:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        assert response.status == 200
        return response.read()
    finally:
        connection.close()


def _get(port: int) -> dict[str, str]:
    answer: dict[str, str] = json.loads(_fetch(port))
    return answer


def _exercise(port: int, servers: list[_Server]) -> None:
    answers = [_get(port) for _ in range(REQUESTS)]
    assert {answer["backend"] for answer in answers} == {"one", "two"}
    for answer in answers:
        assert answer["proto"] == "http"
        assert answer["for"].split(",")[-1].strip() == "127.0.0.1"
        assert answer["host"] == f"127.0.0.1:{port}"

    _stop_backend(servers[1])
    after = [_get(port)["backend"] for _ in range(AFTER_FAILURE)]
    assert after == ["one"] * AFTER_FAILURE


def _as_backends(servers: list[_Server]) -> list[Backend]:
    return [
        Backend(server.name, "127.0.0.1", int(server.server_address[1]))
        for server in servers
    ]


def _state(tmp_path: Path) -> Path:
    # A space in the path, as in many home folders, must survive quoting.
    state = tmp_path / "cluster state"
    state.mkdir()
    return state


def test_haproxy_balances_two_backends(
    backends: list[_Server], require: Callable[[str], str], tmp_path: Path
) -> None:
    haproxy = require("haproxy")
    state, port, stats = _state(tmp_path), _free_port(), _free_port()
    config = state / "haproxy.cfg"
    config.write_text(
        render_haproxy(
            _as_backends(backends),
            listen_host="127.0.0.1",
            listen_port=port,
            stats_port=stats,
            tls=False,
            state_dir=state,
            balance="roundrobin",
        )
    )
    with _running([haproxy, "-db", "-f", str(config)], port, state):
        assert b"pyjang" in _fetch(stats)
        _exercise(port, backends)


def test_nginx_balances_two_backends(
    backends: list[_Server], require: Callable[[str], str], tmp_path: Path
) -> None:
    nginx = require("nginx")
    state, port = _state(tmp_path), _free_port()
    config = state / "nginx.conf"
    config.write_text(
        render_nginx(
            _as_backends(backends),
            listen_host="127.0.0.1",
            listen_port=port,
            tls=False,
            state_dir=state,
        )
    )
    command = [nginx, "-p", str(state), "-e", str(state / "error.log")]
    with _running([*command, "-c", str(config)], port, state):
        _exercise(port, backends)
    # nginx removes its pid file when it has shut down cleanly.
    assert not (state / "nginx.pid").exists()


def test_a_missing_tool_skips_unless_required(
    require: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYJANG_REQUIRE_SERVICES", raising=False)
    with pytest.raises(pytest.skip.Exception, match="not installed"):
        require("pyjang-no-such-tool")
    monkeypatch.setenv("PYJANG_REQUIRE_SERVICES", "1")
    with pytest.raises(pytest.fail.Exception, match="PYJANG_REQUIRE_SERVICES=1"):
        require("pyjang-no-such-tool")
