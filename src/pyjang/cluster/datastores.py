"""The PostgreSQL and Redis a cluster shares: the configured ones, or throwaway.

``DATABASE_URL`` and ``REDIS_URL`` (environment or ``.env``) are used as they
are. Whichever is unset is provided by a throwaway server under the state
folder — :class:`~pyjang.cluster.services.LocalPostgres` or
:class:`~pyjang.cluster.services.LocalRedis` — when its binaries are
installed; otherwise nothing starts and one line says what to install.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from pyjang.cluster.processes import Handle, stop
from pyjang.cluster.services import LocalPostgres, LocalRedis, find_postgres_bin
from pyjang.cluster.state import ClusterPaths, ServiceRecord
from pyjang.errors import CommandError
from pyjang.settings import load_settings

__all__ = ["provide_services", "redact", "release_services"]

Say = Callable[[str], None]


def redact(url: str) -> str:
    """Return ``url`` with its password replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def _configured() -> tuple[str | None, str | None]:
    settings = load_settings(debug=True)
    database = (
        settings.database_url if "database_url" in settings.model_fields_set else None
    )
    if database is not None and database.startswith("sqlite"):
        raise CommandError(
            "DATABASE_URL is SQLite, which instances cannot share; point it at "
            "PostgreSQL, or unset it to get a throwaway PostgreSQL"
        )
    return database, settings.redis_url


def _missing(database: str | None, redis: str | None) -> list[str]:
    missing = []
    if database is None and find_postgres_bin() is None:
        missing.append("the PostgreSQL server (apt-get install postgresql)")
    if redis is None and shutil.which("redis-server") is None:
        missing.append("redis-server (apt-get install redis-server)")
    return missing


def provide_services(
    paths: ClusterPaths, say: Say, *, keep_data: bool
) -> list[ServiceRecord]:
    """Return the cluster's database and Redis, starting throwaway ones.

    Raises CommandError, having started nothing, when a throwaway server is
    needed but not installed, or when one fails to start (the other is then
    stopped again, its data removed unless ``keep_data``).
    """
    database, redis = _configured()
    missing = _missing(database, redis)
    if missing:
        raise CommandError(
            f"install {' and '.join(missing)}, or set DATABASE_URL and REDIS_URL "
            "to servers the cluster can share"
        )
    records = []
    try:
        records.append(_postgres(paths, database, say))
        records.append(_redis(paths, redis, say))
    except CommandError:
        release_services(paths, records, keep_data=keep_data)
        raise
    return records


def _postgres(paths: ClusterPaths, url: str | None, say: Say) -> ServiceRecord:
    if url is not None:
        return ServiceRecord("postgres", url, managed=False)
    say("starting a throwaway PostgreSQL")
    server = LocalPostgres(paths.postgres_dir).start()
    pid = int((server.data / "postmaster.pid").read_text().split()[0])
    handle = Handle.of(pid)
    return ServiceRecord(
        "postgres", server.url, True, server.port, handle.pid, handle.started
    )


def _redis(paths: ClusterPaths, url: str | None, say: Say) -> ServiceRecord:
    if url is not None:
        return ServiceRecord("redis", url, managed=False)
    say("starting a throwaway Redis")
    server = LocalRedis(paths.redis_dir, detach=True).start()
    assert server.pid is not None
    handle = Handle.of(server.pid)
    return ServiceRecord(
        "redis", server.url, True, server.port, handle.pid, handle.started
    )


def release_services(
    paths: ClusterPaths, records: list[ServiceRecord], *, keep_data: bool
) -> None:
    """Stop the throwaway servers among ``records``; remove their data unless kept."""
    for record in records:
        if not record.managed:
            continue
        if record.kind == "postgres":
            _stop_postgres(paths, record, keep_data)
        elif record.handle is not None:
            stop([record.handle], timeout=10.0)
        if not keep_data:
            _remove(
                paths.postgres_dir if record.kind == "postgres" else paths.redis_dir
            )


def _stop_postgres(paths: ClusterPaths, record: ServiceRecord, keep_data: bool) -> None:
    server = LocalPostgres(paths.postgres_dir, record.port)
    try:
        server.stop(remove=not keep_data)
    except CommandError:
        # pg_ctl could not stop it (a stale pid file, a crash): stop it by pid.
        if record.handle is not None:
            stop([record.handle], timeout=10.0)
        if not keep_data:
            # As root the data lives outside the state folder, in a folder of
            # its own (see LocalPostgres); remove that whole folder too.
            outside = server.data.parent != paths.postgres_dir
            _remove(server.data.parent if outside else server.data)


def _remove(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
