"""Prometheus metrics, correct with several worker processes.

When ``PROMETHEUS_MULTIPROC_DIR`` is set (``pyjang run --workers N`` sets it),
every worker writes its samples there and ``/metrics`` adds them up.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time
from collections.abc import Sequence
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

__all__ = [
    "IN_FLIGHT",
    "RATE_LIMITED",
    "REQUESTS",
    "REQUEST_SECONDS",
    "STORE_SECONDS",
    "metrics_route",
    "route_label",
]

REQUESTS = Counter(
    "pyjang_requests_total", "Requests answered.", ["method", "route", "status"]
)
REQUEST_SECONDS = Histogram(
    "pyjang_request_duration_seconds", "Time to answer a request.", ["method", "route"]
)
IN_FLIGHT = Gauge(
    "pyjang_requests_in_flight", "Requests being answered.", multiprocess_mode="livesum"
)
STORE_SECONDS = Histogram(
    "pyjang_store_duration_seconds",
    "Time of session-store and database calls.",
    ["store", "operation"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
RATE_LIMITED = Counter(
    "pyjang_rate_limited_total", "Requests refused with 429.", ["path"]
)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def route_label(path: str, path_params: dict[str, object], matched: bool) -> str:
    """Return the route template of a request, so label values stay few."""
    if not matched:
        return "unmatched"
    for name, value in path_params.items():
        path = path.replace(str(value), "{" + name + "}", 1)
    return path


_store_series: dict[tuple[str, str], Any] = {}


def observe_store(store: str, operation: str, started: float) -> None:
    """Record one store call that began at ``started`` (perf_counter)."""
    series = _store_series.get((store, operation))
    if series is None:
        series = STORE_SECONDS.labels(store=store, operation=operation)
        _store_series[store, operation] = series
    series.observe(time.perf_counter() - started)


def _registry() -> CollectorRegistry | None:
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return None
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


def metrics_route(trusted: Sequence[Network], token: str | None) -> Route:
    """Return ``/metrics``, open to loopback and trusted peers or the token.

    A request relayed by a balancer (it carries forwarded headers) counts as
    coming from its real client, so the world cannot read metrics through it.
    """

    def allowed(request: Request) -> bool:
        if token:
            sent = request.headers.get("authorization", "")
            if hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
                return True
        if "x-forwarded-for" in request.headers or "forwarded" in request.headers:
            return False  # relayed by a balancer: the real client is elsewhere
        peer = request.scope.get("peer") or request.scope.get("client") or ("", 0)
        try:
            address = ipaddress.ip_address(peer[0])
        except ValueError:
            return False
        return address.is_loopback or any(address in net for net in trusted)

    async def metrics(request: Request) -> Response:
        if not allowed(request):
            return PlainTextResponse("Forbidden.", status_code=403)
        registry = _registry()
        body = generate_latest(registry) if registry else generate_latest()
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return Route("/metrics", metrics, methods=["GET"])
