"""The health of every part of a running cluster, as plain data.

Each instance is asked directly for ``/health``, ``/ready`` and ``/metrics``
(which answers loopback peers); the balancer for its server states and for
``/ready`` through it; each service whether it accepts connections.
"""

from __future__ import annotations

import contextlib
import json
import socket
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

from pyjang.cluster.balancer import open_balancer
from pyjang.cluster.datastores import redact
from pyjang.cluster.processes import is_listening
from pyjang.cluster.state import (
    BalancerRecord,
    ClusterPaths,
    ClusterState,
    InstanceRecord,
    ServiceRecord,
)
from pyjang.cluster.web import Unreachable, fetch
from pyjang.errors import CommandError

__all__ = ["cluster_status", "instance_status", "requests_served"]

PROBE_TIMEOUT = 2.0


def requests_served(metrics: str) -> int:
    """Return the sum of every ``pyjang_requests_total`` sample in ``metrics``."""
    total = 0.0
    for line in metrics.splitlines():
        if line.startswith(("pyjang_requests_total{", "pyjang_requests_total ")):
            with contextlib.suppress(ValueError, IndexError):
                total += float(line.rsplit(" ", 1)[1])
    return int(total)


def _get(url: str) -> tuple[int | None, bytes]:
    try:
        reply = fetch(url, timeout=PROBE_TIMEOUT)
    except Unreachable:
        return None, b""
    return reply.status, reply.body


def instance_status(record: InstanceRecord) -> dict[str, Any]:
    """Return pid, port, url, live, ready, instance, key_id and requests."""
    health, _ = _get(f"{record.url}/health")
    ready_code, ready_body = _get(f"{record.url}/ready")
    report: dict[str, Any] = {}
    with contextlib.suppress(ValueError):
        report = json.loads(ready_body) if ready_body else {}
    metrics_code, metrics = _get(f"{record.url}/metrics")
    return {
        "name": record.name,
        "url": record.url,
        "pid": record.pid,
        "port": record.port,
        "running": record.handle.alive(),
        "live": health == 200,
        "ready": ready_code == 200,
        "status": report.get("status", "unreachable"),
        "instance": report.get("instance"),
        "key_id": report.get("key_id"),
        "requests": requests_served(metrics.decode()) if metrics_code == 200 else None,
    }


def _balancer_status(
    paths: ClusterPaths, record: BalancerRecord, size: int
) -> dict[str, Any]:
    running = record.handle.alive()
    servers: dict[str, str] = {}
    if running:
        with contextlib.suppress(CommandError):
            servers = open_balancer(paths, record, size).server_states()
    code, _ = _get(f"{record.url}/ready")
    return {
        "kind": record.kind,
        "url": record.url,
        "pid": record.pid,
        "port": record.port,
        "stats_url": record.stats_url,
        "running": running,
        "live": running and is_listening(record.port),
        "ready": code == 200,
        "in_rotation": record.enabled,
        "servers": servers,
    }


def _accepts(url: str) -> bool:
    parts = urlsplit(url)
    default = 5432 if parts.scheme.startswith("postgres") else 6379
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or default), PROBE_TIMEOUT
        ):
            return True
    except OSError:
        return False


def _service_status(record: ServiceRecord) -> dict[str, Any]:
    return {
        "kind": record.kind,
        "url": redact(record.url),
        "managed": record.managed,
        "pid": record.pid,
        "port": record.port or urlsplit(record.url).port,
        "live": _accepts(record.url),
    }


def cluster_status(paths: ClusterPaths) -> dict[str, Any]:
    """Return the status of every part; raise CommandError without a cluster."""
    state = ClusterState.load(paths)
    with ThreadPoolExecutor(max_workers=8) as pool:
        instances = list(pool.map(instance_status, state.instances))
        services = list(pool.map(_service_status, state.services))
    return {
        "state_dir": str(paths.root),
        "color": state.color,
        "key_id": state.key_id,
        "instances": instances,
        "balancer": _balancer_status(paths, state.balancer, state.size),
        "services": services,
    }
