"""The servers under test: how each starts, what it serves, and how it stops.

Every server listens on 127.0.0.1 on a free port, runs in a process group of
its own (so all its workers stop together) and logs to a file in the run's
scratch folder.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from bench.services import free_port

__all__ = ["SERVERS", "Running", "ServerSpec", "pyjang_variant", "start_server"]

READY_TIMEOUT = 90.0
READY_STREAK = 30
STOP_TIMEOUT = 20.0
WORKERS = "2"
GTHREAD_THREADS = "4"

Command = Callable[[str, int], list[str]]


@dataclass(frozen=True)
class ServerSpec:
    """One server: its name, its family of sessions and the workloads it serves."""

    name: str
    label: str
    family: str
    workloads: tuple[str, ...]
    command: Command
    needs_django: bool = False
    env: tuple[tuple[str, str], ...] = ()


def _uvicorn(target: str, *extra: str) -> Command:
    def command(python: str, port: int) -> list[str]:
        return [
            python,
            "-m",
            "uvicorn",
            target,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            WORKERS,
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--no-access-log",
            "--log-level",
            "warning",
            *extra,
        ]

    return command


def _gunicorn(worker_class: str, *extra: str) -> Command:
    def command(python: str, port: int) -> list[str]:
        return [
            python,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            WORKERS,
            "--worker-class",
            worker_class,
            *extra,
            "bench.apps.django_app.wsgi:application",
        ]

    return command


def _pyjang(python: str, port: int) -> list[str]:
    return [
        python,
        "-m",
        "pyjang",
        "run",
        "--app",
        "bench.apps.pyjang_app:make_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        WORKERS,
    ]


ALL = ("dashboard", "hello", "login")


def pyjang_variant(text: str) -> ServerSpec:
    """Return a pyjang server from ``NAME=SRC[:VAR=VALUE...]``.

    ``SRC`` is a folder holding a ``pyjang`` package imported ahead of the
    checkout's (another version of the framework); the variables are added to
    that server's environment. Tuning steps are measured this way, side by
    side in one interleaved run.
    """
    name, _, rest = text.partition("=")
    source, *pairs = rest.split(":")
    env = [("PYJANG_BENCH_SOURCE", source)] if source else []
    env += [tuple(pair.split("=", 1)) for pair in pairs]  # type: ignore[misc]
    return ServerSpec(name, name, "pyjang", ALL, _pyjang, env=tuple(env))


SERVERS = (
    ServerSpec("pyjang", "pyjang", "pyjang", ALL, _pyjang),
    ServerSpec(
        "django-sync",
        "Django, gunicorn sync",
        "django",
        ALL,
        _gunicorn("sync"),
        needs_django=True,
    ),
    ServerSpec(
        "django-gthread",
        f"Django, gunicorn gthread x{GTHREAD_THREADS}",
        "django",
        ALL,
        _gunicorn("gthread", "--threads", GTHREAD_THREADS),
        needs_django=True,
    ),
    ServerSpec(
        "django-uvicorn",
        "Django, uvicorn ASGI",
        "django",
        ALL,
        _uvicorn("bench.apps.django_app.asgi:application", "--lifespan", "off"),
        needs_django=True,
    ),
    ServerSpec(
        "starlette",
        "hand-written Starlette",
        "pyjang",
        ("dashboard", "hello"),
        _uvicorn("bench.apps.starlette_app:app"),
    ),
    ServerSpec(
        "starlette-hello",
        "bare Starlette",
        "none",
        ("hello",),
        _uvicorn("bench.apps.bare:starlette_app", "--lifespan", "off"),
    ),
    ServerSpec(
        "asgi-hello",
        "bare ASGI",
        "none",
        ("hello",),
        _uvicorn("bench.apps.bare:asgi_app", "--lifespan", "off"),
    ),
)


@dataclass
class Running:
    """A started server."""

    spec: ServerSpec
    port: int
    process: subprocess.Popen[bytes]
    log: IO[bytes]
    log_path: Path
    started: float = field(default_factory=time.monotonic)

    @property
    def url(self) -> str:
        """Return the server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        """Return the pid of the server's first process."""
        return self.process.pid

    def stop(self) -> None:
        """Stop every process of the server: SIGTERM, then SIGKILL if need be."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(STOP_TIMEOUT)
        # Workers may outlive a leader that exited first.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()


def start_server(
    spec: ServerSpec, python: str, env: dict[str, str], scratch: Path
) -> Running:
    """Start ``spec`` and return once ``/hello`` answers 200."""
    port = free_port()
    log_path = scratch / f"{spec.name}.log"
    log = log_path.open("wb")
    process = subprocess.Popen(  # noqa: S603
        spec.command(python, port),
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    running = Running(spec, port, process, log, log_path)
    try:
        _wait_ready(running)
    except Exception:
        running.stop()
        raise
    return running


def _wait_ready(server: Running) -> None:
    # Workers start on their own; only a run of answers on fresh connections
    # (which the kernel hands to whichever worker is free) shows all are up.
    deadline = time.monotonic() + READY_TIMEOUT
    answered = 0
    while answered < READY_STREAK:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{server.spec.name} did not answer /hello in time")
        if server.process.poll() is not None:
            tail = server.log_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{server.spec.name} exited at start:\n{tail}")
        answered = answered + 1 if _hello(server.port) == 200 else 0
        if answered == 0:
            time.sleep(0.2)


def _hello(port: int) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", "/hello")
        return connection.getresponse().status
    except (OSError, http.client.HTTPException):
        return 0
    finally:
        connection.close()
