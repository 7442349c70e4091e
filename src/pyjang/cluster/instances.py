"""The ``pyjang run`` processes of a local cluster: start, wait, stop.

Every instance gets the same secrets and services and differs only in its
port and ``INSTANCE_ID``. The balancer speaks plain HTTP to it from
127.0.0.1, so the HTTPS redirect is off and 127.0.0.1 is a trusted proxy.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pyjang.cluster.processes import Handle, spawn, stop, wait_gone
from pyjang.cluster.state import ClusterPaths, InstanceRecord
from pyjang.cluster.web import Unreachable, fetch
from pyjang.errors import CommandError

__all__ = [
    "SHUTDOWN_DRAIN",
    "InstanceConfig",
    "cluster_settings",
    "instance_env",
    "kill_instance",
    "start_instances",
    "stop_instances",
    "wait_ready",
]

SHUTDOWN_DRAIN = 2.0
SHUTDOWN_TIMEOUT = 10.0
READY_TIMEOUT = 60.0


@dataclass(frozen=True)
class InstanceConfig:
    """What every instance of one cluster shares.

    ``csrf_secret`` is None when the app derives it from ``session_key``.
    """

    session_key: str
    csrf_secret: str | None
    database_url: str
    redis_url: str
    app: str | None = None


def cluster_settings(config: InstanceConfig, name: str, port: int) -> dict[str, str]:
    """Return the variables the cluster sets for the instance ``name``."""
    values = {
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "INSTANCE_ID": name,
        "SESSION_KEY": config.session_key,
        "DATABASE_URL": config.database_url,
        "REDIS_URL": config.redis_url,
        "DEBUG": "false",
        "HTTPS_REDIRECT": "false",
        "TRUSTED_PROXIES": "127.0.0.1/32,::1/128",
        "ALLOWED_HOSTS": "localhost,127.0.0.1",
        "SHUTDOWN_DRAIN": f"{SHUTDOWN_DRAIN:g}s",
        "SHUTDOWN_TIMEOUT": f"{SHUTDOWN_TIMEOUT:g}s",
        "LOG_FORMAT": "json",
    }
    if config.csrf_secret is not None:
        values["CSRF_SECRET"] = config.csrf_secret
    return values


def instance_env(config: InstanceConfig, name: str, port: int) -> dict[str, str]:
    """Return the whole environment of the instance ``name`` on ``port``."""
    env = dict(os.environ)
    for inherited in ("PROMETHEUS_MULTIPROC_DIR", "CSRF_SECRET", "PYJANG_APP"):
        env.pop(inherited, None)
    env.update(cluster_settings(config, name, port))
    return env


def _command(config: InstanceConfig) -> list[str]:
    command = [sys.executable, "-m", "pyjang", "run"]
    return [*command, "--app", config.app] if config.app else command


def start_instances(
    paths: ClusterPaths,
    config: InstanceConfig,
    slots: Sequence[tuple[str, int]],
) -> list[InstanceRecord]:
    """Start one instance per ``(name, port)`` and wait until all are ready.

    Raises CommandError naming the first instance that exits or stays
    unready; the ones already started are stopped first.
    """
    started = []
    for name, port in slots:
        handle = spawn(
            _command(config),
            env=instance_env(config, name, port),
            log=paths.log(name),
            cwd=Path.cwd(),
        )
        started.append(InstanceRecord(name, port, handle.pid, handle.started))
    try:
        for record in started:
            wait_ready(record, paths.log(record.name))
    except CommandError:
        stop_instances(started, drain=False)
        raise
    return started


def wait_ready(
    record: InstanceRecord, log: Path, timeout: float = READY_TIMEOUT
) -> None:
    """Wait until the instance answers ``/ready`` with 200; raise CommandError.

    The error names what kept it unready, as its last ``/ready`` said.
    """
    deadline = time.monotonic() + timeout
    why = "it never answered"
    while time.monotonic() < deadline:
        if not record.handle.alive():
            raise CommandError(
                f"instance {record.name} exited at start: {_last_line(log)} "
                f"(log: {log})"
            )
        try:
            reply = fetch(f"{record.url}/ready", timeout=2)
        except Unreachable as error:
            why = f"/ready: {error}"
        else:
            if reply.status == 200:
                return
            why = _unready(reply.body)
        time.sleep(0.1)
    raise CommandError(
        f"instance {record.name} was not ready within {timeout:g}s ({why}); see {log}"
    )


def _unready(body: bytes) -> str:
    try:
        report = json.loads(body)
        checks = report["checks"]
        failed = [f"{name} {checks[name]}" for name in report.get("failed", [])]
    except (ValueError, KeyError, TypeError):
        return "/ready did not answer 200"
    return ", ".join(failed) or str(report.get("status"))


def _last_line(log: Path) -> str:
    try:
        lines = log.read_text("utf-8", "replace").strip().splitlines()
    except OSError:
        return "no log"
    return lines[-1][-300:] if lines else "no output"


def stop_instances(records: Sequence[InstanceRecord], *, drain: bool) -> None:
    """Stop instances with SIGTERM and wait until they have exited.

    With ``drain`` each first answers ``/ready`` 503 for its drain time; without
    it a SIGINT follows at once and skips the drain (the balancer sends them
    nothing any more). A second SIGTERM would not do: signals of one kind that
    arrive together are delivered once.
    """
    handles = [record.handle for record in records]
    for handle in handles:
        handle.signal(signal.SIGTERM)
        if not drain:
            handle.signal(signal.SIGINT)
    if not wait_gone(handles, SHUTDOWN_DRAIN + SHUTDOWN_TIMEOUT + 5):
        stop(handles, timeout=5.0, sig=signal.SIGKILL)


def kill_instance(record: InstanceRecord) -> Handle:
    """Kill an instance outright (SIGKILL), as a crash would."""
    record.handle.signal(signal.SIGKILL)
    wait_gone([record.handle], 5.0)
    return record.handle
