"""Bad input to ``pyjang cluster`` and ``pyjang check``: one line, no leftovers.

Each command must exit non-zero with a single clear line on stderr — never
a traceback or a usage screen — and leave no state folder, no listening
port and no process behind. Input refused before anything could start runs
through the command line's ``main`` in this process; the cases that get as
far as starting processes run ``pyjang`` as a subprocess.
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

from pyjang.cli import main
from tests.cluster.conftest import (
    assert_nothing_left,
    base_env,
    cluster_ports,
    free_block,
    one_line_error,
    pyjang,
)
from tests.conftest import free_port


def _refused(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *args: str,
) -> str:
    """Run ``pyjang ARGS`` in this process; return its one line of error."""
    monkeypatch.setattr(sys, "argv", ["pyjang", *args])
    with pytest.raises(SystemExit) as done:
        main()
    assert done.value.code not in (0, None)
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert not (Path.cwd() / ".pyjang" / "cluster" / "state.json").exists()
    return lines[0]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["-n", "0"], "0 is not in the range"),
        (["-n", "1000"], "1000 is not in the range"),
        (["--lb", "traefik"], "'traefik' is not one of 'haproxy', 'nginx'"),
        (["--port", "70000"], "70000 is not in the range"),
        (["--port", "65530"], "choose a --port up to"),
    ],
)
def test_bad_up_options_are_one_line(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    expected: str,
) -> None:
    assert expected in _refused(monkeypatch, capsys, "cluster", "up", *args)
    assert_nothing_left(Path.cwd(), [], [])


@pytest.mark.parametrize("command", ["status", "restart", "down", "deploy"])
def test_commands_need_a_cluster(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    line = _refused(monkeypatch, capsys, "cluster", command)
    assert "no cluster runs here" in line and "pyjang cluster up" in line


def test_a_sqlite_database_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite:///./app.db")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:9/0")
    port = str(free_block(8))
    line = _refused(monkeypatch, capsys, "cluster", "up", "--port", port)
    assert "DATABASE_URL is SQLite" in line


@pytest.mark.parametrize(
    "url", ["ftp://127.0.0.1/", "127.0.0.1:8000", "http://", "http://host:99999"]
)
def test_check_refuses_what_is_not_an_http_url(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], url: str
) -> None:
    line = _refused(monkeypatch, capsys, "check", url)
    assert url in line or "invalid port" in line


def test_check_needs_urls_or_a_cluster(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    line = _refused(monkeypatch, capsys, "check")
    assert "give the URL of each instance" in line
    line = _refused(monkeypatch, capsys, "check", "--failover", "http://127.0.0.1:1")
    assert "--failover works on a cluster" in line
    line = _refused(monkeypatch, capsys, "check", "http://x", "--email", "a@b.c")
    assert "together" in line


@pytest.mark.slow
def test_check_of_a_port_nobody_listens_on_fails_clearly(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = pyjang(tmp_path, "check", url)
    assert result.returncode == 1
    assert f"instance {url} is down (connection refused)" in result.stdout
    assert result.stdout.count("✗") == 1
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_a_busy_port_stops_up_before_anything_starts(tmp_path: Path) -> None:
    first = free_block(8)
    env = base_env(
        DATABASE_URL="postgresql://postgres@127.0.0.1:9/none",
        REDIS_URL="redis://127.0.0.1:9/0",
    )
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", first + 2))
        busy.listen()
        args = ["cluster", "up", "-n", "3", "--port", str(first)]
        line = one_line_error(pyjang(tmp_path, *args, env=env))
    assert f"port {first + 2} on 127.0.0.1 is in use" in line
    ports = [port for port in cluster_ports(first, 3) if port != first + 2]
    assert_nothing_left(tmp_path, ports, [])


@pytest.mark.slow
def test_an_instance_that_cannot_start_leaves_nothing(tmp_path: Path) -> None:
    first = free_block(8)
    env = base_env(
        DATABASE_URL="postgresql://postgres@127.0.0.1:9/none",
        REDIS_URL="redis://127.0.0.1:9/0",
    )
    args = ["cluster", "up", "-n", "2", "--port", str(first), "--app", "nosuch:app"]
    result = pyjang(tmp_path, *args, env=env)
    assert result.returncode == 1, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: instance blue1 exited at start"), last
    assert "nosuch" in last and "logs/blue1.log" in last
    assert "Traceback" not in result.stderr
    assert not (tmp_path / ".pyjang" / "cluster" / "state.json").exists()
    assert (tmp_path / ".pyjang" / "cluster" / "logs" / "blue1.log").exists()
    assert_nothing_left(tmp_path, cluster_ports(first, 2), [])
