"""Count what a server asked of Redis and PostgreSQL during one load run.

Redis: ``INFO commandstats`` (every command's call count, our own INFO left
out) and ``total_connections_received``, both exact at once.

PostgreSQL, read from the maintenance database so that reading does not count
itself. On the bench's own cluster: statements from ``pg_stat_statements``
(utility statements too — BEGIN, ROLLBACK, COMMIT), which are counted in
shared memory at once, and new connections from the server log
(``log_connections``). On someone else's server there is neither: then
transactions and sessions come from ``pg_stat_database``, whose counters a
backend publishes only up to ten seconds after going idle, so every snapshot
waits that long.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import redis

__all__ = ["Counters", "Snapshot"]

SETTLE_SECONDS = 0.3
LAGGING_SETTLE_SECONDS = 11.0
AUTHORIZED = "connection authorized:"
PSQL_ATTEMPTS = 5


@dataclass(frozen=True)
class Snapshot:
    """Cumulative counts at one moment."""

    redis_commands: int
    redis_connections: int
    statements: int
    transactions: int
    pg_sessions: int

    def __sub__(self, other: Snapshot) -> Snapshot:
        return Snapshot(
            self.redis_commands - other.redis_commands,
            self.redis_connections - other.redis_connections,
            self.statements - other.statements,
            self.transactions - other.transactions,
            self.pg_sessions - other.pg_sessions,
        )


class Counters:
    """Take snapshots of the benchmark's Redis and PostgreSQL."""

    def __init__(
        self, redis_url: str, admin_url: str, database: str, log: Path | None
    ) -> None:
        self.redis = redis.Redis.from_url(redis_url)
        self.admin_url = admin_url
        self.database = database
        self.log = log
        self.psql = shutil.which("psql") or "psql"
        self._log_offset = 0
        self._connections = 0

    def snapshot(self) -> Snapshot:
        """Return the counts now, after letting PostgreSQL publish its own."""
        time.sleep(SETTLE_SECONDS if self.log else LAGGING_SETTLE_SECONDS)
        commands = self.redis.info("commandstats")
        calls = sum(
            int(stats["calls"])
            for name, stats in commands.items()
            if name not in ("cmdstat_info", "cmdstat_ping")
        )
        connections = int(self.redis.info("stats")["total_connections_received"])
        statements, transactions, sessions = self._postgres()
        return Snapshot(calls, connections, statements, transactions, sessions)

    def _postgres(self) -> tuple[int, int, int]:
        name = self.database.replace("'", "''")
        statements = "0"
        if self.log is not None:
            statements = (
                "(SELECT coalesce(sum(calls), 0) FROM pg_stat_statements s "  # noqa: S608
                f"JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = '{name}')"
            )
        query = (
            "SELECT pg_stat_clear_snapshot(); "  # noqa: S608
            f"SELECT {statements}, xact_commit + xact_rollback, sessions "
            f"FROM pg_stat_database WHERE datname = '{name}'"
        )
        done = self._psql(query)
        values = done.stdout.split()[-3:]
        sessions = self._logged_connections() if self.log else int(values[2])
        return int(values[0]), int(values[1]), sessions

    def _psql(self, query: str) -> subprocess.CompletedProcess[str]:
        # A saturated server can refuse one connection; try a few times.
        for _ in range(PSQL_ATTEMPTS):
            done = subprocess.run(  # noqa: S603
                [self.psql, self.admin_url, "-qAtF", " ", "-c", query],
                capture_output=True,
                text=True,
                timeout=30,
            )
            if done.returncode == 0:
                return done
            time.sleep(1.0)
        raise RuntimeError(f"reading PostgreSQL's counters failed: {done.stderr}")

    def _logged_connections(self) -> int:
        assert self.log is not None
        marker = f"database={self.database} "
        with self.log.open("rb") as handle:
            handle.seek(self._log_offset)
            text = handle.read()
        # Count whole lines only; a partly written one is read next time.
        cut = text.rfind(b"\n") + 1
        self._log_offset += cut
        for line in text[:cut].decode(errors="replace").splitlines():
            if AUTHORIZED in line and marker in line + " ":
                self._connections += 1
        return self._connections

    def close(self) -> None:
        """Close the Redis connection."""
        self.redis.close()
