"""Throwaway Redis and PostgreSQL for one benchmark run, on 127.0.0.1 only.

Redis runs with no persistence, so an expiry refresh costs what it costs in
memory and nothing on disk. PostgreSQL is a throwaway cluster (``initdb``)
with ``pg_stat_statements`` loaded and connections logged, so every
statement a server sends and every connection it opens is counted; without
the server binaries a throwaway database on an existing server is used
instead and transactions are counted in place of statements.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Postgres", "Redis", "free_port", "wait_for_port"]

START_TIMEOUT = 30.0


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes] | None) -> None:
    """Return once 127.0.0.1:``port`` accepts; raise RuntimeError otherwise."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server for port {port} exited early")
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing answered on 127.0.0.1:{port}")


@dataclass
class Redis:
    """A ``redis-server`` without persistence, on a free port."""

    folder: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Return the ``redis://`` URL of database 0."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> Redis:
        """Start the server and return once it accepts connections."""
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        self.folder.mkdir(parents=True, exist_ok=True)
        command = [binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.folder)]
        command += ["--logfile", str(self.folder / "redis.log")]
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL)  # noqa: S603
        wait_for_port(self.port, self.process)
        return self

    def stop(self) -> None:
        """Stop the server; nothing is kept."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@dataclass
class Postgres:
    """A throwaway PostgreSQL cluster, or a throwaway database on ``admin_url``."""

    folder: Path
    admin_url: str = "postgresql://postgres@127.0.0.1:5432/postgres"
    database: str = field(default_factory=lambda: f"pyjang_bench_{os.getpid()}")
    port: int = 0
    data: Path | None = None
    counts_statements: bool = False
    log_path: Path | None = None

    @property
    def url(self) -> str:
        """Return the URL of the benchmark database."""
        base = self.admin_url.rsplit("/", 1)[0]
        return f"{base}/{self.database}"

    def start(self, *, local: bool = True) -> Postgres:
        """Start a cluster when the binaries exist, then create the database."""
        binaries = _postgres_bin() if local else None
        if binaries is not None:
            self._start_cluster(binaries)
        self._admin(f'CREATE DATABASE "{self.database}"')
        if self.counts_statements:
            self._admin("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        return self

    def _start_cluster(self, binaries: Path) -> None:
        self.port = free_port()
        self.data = Path(tempfile.mkdtemp(prefix="pyjang-bench-pg-")) / "data"
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.data.parent, owner.pw_uid, owner.pw_gid)
        self._as_postgres(
            str(binaries / "initdb"),
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
        )
        options = (
            f"-p {self.port} -k {self.data.parent} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c max_connections=500 "
            "-c shared_preload_libraries=pg_stat_statements "
            "-c pg_stat_statements.track_utility=on -c log_connections=on"
        )
        self.log_path = self.data.parent / "postgres.log"
        self._as_postgres(
            str(binaries / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.log_path),
            "-w",
            "start",
        )
        self.admin_url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self.counts_statements = True
        self._binaries = binaries

    def stop(self) -> None:
        """Drop the database, and stop and remove a cluster we started."""
        with contextlib.suppress(Exception):
            self._admin(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        if self.data is not None:
            pg_ctl = str(self._binaries / "pg_ctl")
            self._as_postgres(pg_ctl, "-D", str(self.data), "-m", "fast", "-w", "stop")
            shutil.rmtree(self.data.parent, ignore_errors=True)

    def _admin(self, statement: str) -> None:
        self._sql(self.admin_url, statement)

    @staticmethod
    def _sql(url: str, statement: str) -> None:
        psql = shutil.which("psql")
        if psql is None:
            raise RuntimeError("psql is not installed")
        subprocess.run(  # noqa: S603
            [psql, url, "-v", "ON_ERROR_STOP=1", "-qAtc", statement],
            check=True,
            capture_output=True,
            timeout=60,
        )

    @staticmethod
    def _as_postgres(*command: str) -> None:
        # PostgreSQL refuses to run as root; its tools then run as its own user.
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        result = subprocess.run(  # noqa: S603
            [*prefix, *command], capture_output=True, text=True, timeout=120
        )
        if result.returncode != 0:
            raise RuntimeError(f"{Path(command[0]).name}: {result.stderr[-300:]}")
