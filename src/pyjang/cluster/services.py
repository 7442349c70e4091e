"""Throwaway PostgreSQL and Redis servers in a folder, for clusters and tests.

Each server listens on 127.0.0.1 only, keeps its data under its folder and
can be paused (SIGSTOP), resumed, stopped and started again on the same port
with its data intact.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from pyjang.errors import CommandError

__all__ = [
    "LocalPostgres",
    "LocalRedis",
    "find_postgres_bin",
    "free_port",
    "wait_for_port",
]

START_TIMEOUT = 30.0


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(
    port: int, timeout: float, process: subprocess.Popen[bytes] | None
) -> None:
    """Return once 127.0.0.1:``port`` accepts; CommandError on exit or time-out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise CommandError(
                f"server on port {port} exited with {process.returncode}"
            )
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", port), 0.2),
        ):
            return
        time.sleep(0.05)
    raise CommandError(f"nothing answered on 127.0.0.1:{port} within {timeout:g}s")


def find_postgres_bin() -> Path | None:
    """Return the folder holding ``initdb`` and ``pg_ctl``, if installed."""
    if shutil.which("initdb") and shutil.which("pg_ctl"):
        return Path(shutil.which("initdb") or "").parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(versions[-1]).parent if versions else None


class LocalRedis:
    """A ``redis-server`` whose data (append-only file) lives in ``folder``.

    With ``detach`` the server runs in a session of its own, so it outlives
    the process that started it (a background cluster); stop it then by the
    pid in :attr:`pid`.
    """

    def __init__(
        self,
        folder: Path,
        port: int | None = None,
        *,
        detach: bool = False,
        persistent: bool = True,
    ) -> None:
        self.folder = folder
        self.port = port or free_port()
        self.detach = detach
        self.persistent = persistent
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """Return the server's process id once started, else None."""
        return None if self.process is None else self.process.pid

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> LocalRedis:
        """Start the server and return once it accepts connections."""
        binary = shutil.which("redis-server")
        if binary is None:
            raise CommandError(
                "redis-server is not installed; install the redis-server package"
            )
        self.folder.mkdir(parents=True, exist_ok=True)
        command = [
            binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.folder),
            "--save",
            "",
            "--appendonly",
            "yes" if self.persistent else "no",
            "--appendfsync",
            "always",
            "--logfile",
            str(self.folder / "redis.log"),
            "--daemonize",
            "no",
        ]
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=self.detach,
        )
        wait_for_port(self.port, START_TIMEOUT, self.process)
        return self

    def pause(self) -> None:
        """Freeze the server: connections stay open but nothing answers."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """Let a paused server answer again."""
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        """Stop the server; its data stays in the folder."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGCONT)
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


def _data_folder(folder: Path) -> Path:
    if os.geteuid() != 0:
        return folder / "data"
    # As root, PostgreSQL runs as its own user, which may not be able to enter
    # the caller's folder; its data then lives in a folder of its own in /tmp.
    digest = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"pyjang-pg-{digest}" / "data"


class LocalPostgres:
    """A PostgreSQL cluster made with ``initdb`` in ``folder``, trust auth."""

    def __init__(
        self, folder: Path, port: int | None = None, *, settings: Sequence[str] = ()
    ) -> None:
        self.folder = folder
        self.port = port or free_port()
        self.settings = list(settings)
        self.data = _data_folder(folder)
        self.bin = find_postgres_bin()

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def log_path(self) -> Path:
        """Return the server log, beside the data it belongs to."""
        return self.data.parent / "postgres.log"

    def _run(self, *command: str) -> None:
        # PostgreSQL refuses to run as root; run its tools as its own user.
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        result = subprocess.run(
            [*prefix, *command], capture_output=True, text=True, timeout=60
        )
        if result.returncode != 0:
            raise CommandError(
                f"{Path(command[0]).name} failed: {result.stderr.strip()[:300]}"
            )

    def start(self) -> LocalPostgres:
        """Create the cluster if needed, start it and wait until it accepts."""
        if self.bin is None:
            raise CommandError(
                "PostgreSQL server binaries are not installed; install postgresql"
            )
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            self.data.parent.mkdir(mode=0o700, exist_ok=True)
            os.chown(self.data.parent, owner.pw_uid, owner.pw_gid)
        if not (self.data / "PG_VERSION").exists():
            self._run(
                str(self.bin / "initdb"),
                "-D",
                str(self.data),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
            )
        extra = "".join(f" -c {setting}" for setting in self.settings)
        options = (
            f"-p {self.port} -k {self.data.parent} -c listen_addresses=127.0.0.1 "
            f"-c fsync=off{extra}"
        )
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.log_path),
            "-w",
            "start",
        )
        wait_for_port(self.port, START_TIMEOUT, None)
        return self

    def _pids(self) -> list[int]:
        pid_file = self.data / "postmaster.pid"
        if not pid_file.exists():
            return []
        leader = int(pid_file.read_text().split()[0])
        children = []
        for status in glob.glob("/proc/[0-9]*/status"):
            with contextlib.suppress(OSError):
                text = Path(status).read_text()
                if f"PPid:\t{leader}\n" in text:
                    children.append(int(status.split("/")[2]))
        return [leader, *children]

    def pause(self) -> None:
        """Freeze the postmaster and every backend."""
        for pid in self._pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)

    def resume(self) -> None:
        """Let a paused cluster answer again."""
        for pid in self._pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)

    def stop(self, *, remove: bool = False) -> None:
        """Stop the cluster (fast shutdown); ``remove`` also deletes its data."""
        if self.bin is not None and (self.data / "postmaster.pid").exists():
            self.resume()
            pg_ctl = str(self.bin / "pg_ctl")
            self._run(pg_ctl, "-D", str(self.data), "-m", "fast", "-w", "stop")
        if remove:
            shutil.rmtree(self.data.parent if os.geteuid() == 0 else self.data, True)
