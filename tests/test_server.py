"""A real ``pyjang run`` process: flows over HTTP, restarts, signals, bad flags."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx2
import pytest

from pyjang.server import load_user_app
from tests.conftest import STRONG_PASSWORD, TEST_KEY

pytestmark = pytest.mark.slow

SLOW_APP = """
import asyncio
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from pyjang import create_app

async def slow(request):
    await asyncio.sleep(float(request.query_params.get("s", "2")))
    return PlainTextResponse("slow done")

def make_app():
    return create_app(routes=[Route("/slow", slow)])
"""


def token(client: httpx2.Client, path: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert match is not None
    return match.group(1)


def write_slow_app(folder: Path) -> dict[str, str]:
    (folder / "slowapp.py").write_text(SLOW_APP)
    return {"PYTHONPATH": str(folder)}


def test_dev_flow_survives_a_restart(servers: Any, tmp_path: Path) -> None:
    server = servers("--dev").start()
    with httpx2.Client(base_url=server.url, follow_redirects=False) as client:
        data = {
            "email": "newcomer@example.com",
            "password": STRONG_PASSWORD,
            "password_confirm": STRONG_PASSWORD,
            "csrf_token": token(client, "/register"),
        }
        assert client.post("/register", data=data).status_code == 303
        assert "newcomer@example.com" in client.get("/dashboard").text
        logout = client.post(
            "/logout", data={"csrf_token": token(client, "/dashboard")}
        )
        assert logout.status_code == 303
        assert client.get("/dashboard").status_code == 302
        login = {"email": "newcomer@example.com", "password": STRONG_PASSWORD}
        login["csrf_token"] = token(client, "/login")
        assert client.post("/login", data=login).status_code == 303
        assert server.stop() == 0

        servers("--dev", port=server.port).start()
        page = client.get("/dashboard")
        assert page.status_code == 200, "the session lives in the SQLite file"
        assert "newcomer@example.com" in page.text
    key_file = tmp_path / ".pyjang" / "dev-secret"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert "development SESSION_KEY" in server.log()


def test_production_without_a_key_exits_with_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pyjang", "run"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "SESSION_KEY" in lines[0] and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"SESSION_LIFETIME": "forever"}, "SESSION_LIFETIME"),
        ({"PORT": "http"}, "PORT"),
        ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL"),
        ({"TRUSTED_PROXIES": "10.0.0.0/33"}, "TRUSTED_PROXIES"),
        ({"SESSION_KEY": "short"}, "SESSION_KEY"),
        ({"RATE_LIMIT_AUTH": "lots"}, "RATE_LIMIT_AUTH"),
        ({"DEBUG": "maybe"}, "DEBUG"),
    ],
)
def test_invalid_settings_stop_with_one_line_naming_the_variable(
    tmp_path: Path, env: dict[str, str], name: str
) -> None:
    full_env = {"PATH": "/usr/bin:/bin", "SESSION_KEY": TEST_KEY, **env}
    result = subprocess.run(
        [sys.executable, "-m", "pyjang", "run"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        env=full_env,
    )
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert name in result.stderr and "Traceback" not in result.stderr
    if name == "SESSION_KEY":
        assert "short" not in result.stderr, "a secret value is never echoed"


@pytest.mark.parametrize(
    "args",
    [
        ["--port", "99999"],
        ["--workers", "0"],
        ["--app", "nosuchmodule:app"],
        ["--app", "nocolon"],
        ["--bogus"],
    ],
)
def test_bad_flags_are_one_clear_error(tmp_path: Path, args: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pyjang", "run", "--dev", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "Error" in result.stderr or "error" in result.stderr


def test_sigterm_lets_an_in_flight_request_finish(servers: Any, tmp_path: Path) -> None:
    env = {
        **write_slow_app(tmp_path),
        "SHUTDOWN_DRAIN": "1s",
        "SESSION_KEY": TEST_KEY,
        "HTTPS_REDIRECT": "false",
        "DATABASE_URL": f"sqlite:///{tmp_path}/slow.db",
    }
    server = servers("--app", "slowapp:make_app", env=env).start()
    outcome: dict[str, Any] = {}

    def slow_request() -> None:
        try:
            outcome["response"] = httpx2.get(f"{server.url}/slow?s=2.5", timeout=30)
        except Exception as error:  # pragma: no cover - reported below
            outcome["error"] = error

    worker = threading.Thread(target=slow_request)
    worker.start()
    time.sleep(0.5)
    assert server.process is not None
    server.process.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    draining = httpx2.get(f"{server.url}/ready", timeout=5)
    assert draining.status_code == 503 and draining.json()["status"] == "draining"
    assert httpx2.get(f"{server.url}/health", timeout=5).status_code == 200
    worker.join(30)
    assert "error" not in outcome, outcome.get("error")
    assert outcome["response"].status_code == 200
    assert outcome["response"].text == "slow done"
    assert server.process.wait(30) == 0


def test_json_logs_carry_request_and_instance_ids_but_no_secrets(
    servers: Any, tmp_path: Path
) -> None:
    env = {
        "SESSION_KEY": TEST_KEY,
        "HTTPS_REDIRECT": "false",
        "INSTANCE_ID": "web-7",
        "DATABASE_URL": f"sqlite:///{tmp_path}/log.db",
    }
    server = servers(env=env).start()
    with httpx2.Client(base_url=server.url, follow_redirects=False) as client:
        client.get("/login", headers={"X-Request-ID": "trace-abcdef12"})
        client.post(
            "/login",
            data={"email": "x@example.com", "password": "hunter2 secret words"},
        )
    server.stop()
    lines = [line for line in server.log().splitlines() if line.startswith("{")]
    import json

    records = [json.loads(line) for line in lines]
    login = [
        r
        for r in records
        if r.get("path") == "/login" and r.get("request_id") == "trace-abcdef12"
    ]
    assert login and login[0]["instance"] == "web-7" and login[0]["status"] == 200
    assert all("client_ip" in r for r in records if r.get("logger") == "pyjang.request")
    text = server.log()
    assert TEST_KEY not in text and "hunter2" not in text


def test_a_busy_port_is_one_clear_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "pyjang", "run", "--dev", "--port", str(port)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert errors == [
        f"Error: cannot listen on 127.0.0.1:{port}: Address already in "
        "use; stop what uses it or choose another --port"
    ]
    assert "Traceback" not in result.stderr


def test_an_app_module_in_the_working_directory_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "herehello.py").write_text(
        "from starlette.applications import Starlette\napp = Starlette()\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", ".")])
    assert type(load_user_app("herehello:app")).__name__ == "Starlette"


def test_workers_stop_when_their_supervisor_is_killed(
    servers: Any, tmp_path: Path
) -> None:
    env = {
        "SESSION_KEY": TEST_KEY,
        "SHUTDOWN_DRAIN": "0s",
        "HTTPS_REDIRECT": "false",
        "DATABASE_URL": f"sqlite:///{tmp_path}/orphans.db",
    }
    server = servers("--workers", "2", env=env).start()
    assert server.process is not None
    server.process.kill()  # SIGKILL to the supervisor alone, as an OOM kill
    server.process.wait(10)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", server.port), timeout=0.5).close()
        except OSError:
            return  # nothing listens any more: the workers are gone
        time.sleep(0.2)
    pytest.fail("workers kept the port after their supervisor was killed")
