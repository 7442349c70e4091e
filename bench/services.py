"""Throwaway Redis and PostgreSQL for one benchmark run, on 127.0.0.1 only.

Both come from pyjang's own local services. Redis runs with no persistence,
so an expiry refresh costs what it costs in memory and nothing on disk.
PostgreSQL is a throwaway cluster with ``pg_stat_statements`` loaded and
connections logged, so every statement a server sends and every connection
it opens is counted; without the server binaries a throwaway database on an
existing server is used instead and transactions are counted in place of
statements.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from pyjang.cluster.services import (
    LocalPostgres,
    LocalRedis,
    find_postgres_bin,
    free_port,
    wait_for_port,
)

__all__ = ["Postgres", "Redis", "free_port", "wait_for_port"]

COUNTING_SETTINGS = (
    "max_connections=500",
    "shared_preload_libraries=pg_stat_statements",
    "pg_stat_statements.track_utility=on",
    "log_connections=on",
)


class Redis(LocalRedis):
    """A ``redis-server`` without persistence, on a free port."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder, persistent=False)


@dataclass
class Postgres:
    """A throwaway PostgreSQL cluster, or a throwaway database on ``admin_url``."""

    folder: Path
    admin_url: str = "postgresql://postgres@127.0.0.1:5432/postgres"
    database: str = field(default_factory=lambda: f"pyjang_bench_{os.getpid()}")
    counts_statements: bool = False
    log_path: Path | None = None
    cluster: LocalPostgres | None = None

    @property
    def url(self) -> str:
        """Return the URL of the benchmark database."""
        base = self.admin_url.rsplit("/", 1)[0]
        return f"{base}/{self.database}"

    def start(self, *, local: bool = True) -> Postgres:
        """Start a cluster when the binaries exist, then create the database."""
        if local and find_postgres_bin() is not None:
            self.cluster = LocalPostgres(
                self.folder, settings=COUNTING_SETTINGS
            ).start()
            self.admin_url = self.cluster.url
            self.log_path = self.cluster.log_path
            self.counts_statements = True
        self._admin(f'CREATE DATABASE "{self.database}"')
        if self.counts_statements:
            self._admin("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        return self

    def stop(self) -> None:
        """Drop the database, and stop and remove a cluster we started."""
        with contextlib.suppress(Exception):
            self._admin(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        if self.cluster is not None:
            self.cluster.stop(remove=True)

    def _admin(self, statement: str) -> None:
        psql = shutil.which("psql")
        if psql is None:
            raise RuntimeError("psql is not installed")
        subprocess.run(  # noqa: S603
            [psql, self.admin_url, "-v", "ON_ERROR_STOP=1", "-qAtc", statement],
            check=True,
            capture_output=True,
            timeout=60,
        )
