"""Give every request an id and log one line when it completes."""

from __future__ import annotations

import hashlib
import itertools
import logging
import os
import re
import secrets
import time
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pyjang.logs import request_id
from pyjang.metrics import IN_FLIGHT, REQUEST_SECONDS, REQUESTS, route_label
from pyjang.middleware.proxies import client_ip

__all__ = ["RequestLogMiddleware"]

logger = logging.getLogger("pyjang.request")
_INCOMING_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
# Any other method a client invents counts as one label value, not a new one.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Path parameters that are credentials (a password-reset link) stay out of logs.
_SECRET_PARAMS = frozenset({"token"})
MAX_LOGGED_PATH = 512


def _new_id_source() -> None:
    _ids[:] = [secrets.token_bytes(16), itertools.count()]


_ids: list[Any] = []
_new_id_source()
os.register_at_fork(after_in_child=_new_id_source)


def _new_request_id() -> str:
    # As unique and unguessable as a random UUID without drawing randomness
    # for each request: a keyed hash of a counter, the key random per process.
    key, counter = _ids
    number = next(counter).to_bytes(8, "little")
    return hashlib.blake2b(number, key=key, digest_size=16).hexdigest()


def _method(scope: Scope) -> str:
    method: str = scope["method"]
    return method if method in _METHODS else "OTHER"


def _loggable_path(scope: Scope) -> str:
    path: str = scope["path"]
    for name, value in scope.get("path_params", {}).items():
        if name in _SECRET_PARAMS:
            path = path.replace(str(value), "[redacted]")
    # The client chose it: no line breaks or other controls that would forge
    # a log line in text logs, and short enough that a line stays one write.
    if not path.isprintable():
        path = path.encode("unicode_escape").decode("ascii")
    if len(path) > MAX_LOGGED_PATH:
        path = f"{path[:MAX_LOGGED_PATH]}...[{len(path) - MAX_LOGGED_PATH} more]"
    return path


def _series(method: str, route: str, status: int) -> tuple[Any, Any]:
    count = REQUESTS.labels(method=method, route=route, status=str(status))
    return count, REQUEST_SECONDS.labels(method=method, route=route)


class RequestLogMiddleware:
    """Set ``X-Request-ID`` and log method, path, status, duration and user."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # The labelled series, looked up once per (method, route, status).
        self._series: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        rid = incoming if _INCOMING_ID.match(incoming) else _new_request_id()
        token = request_id.set(rid)
        scope["request_id"] = rid
        started = time.perf_counter()
        status = 500
        IN_FLIGHT.inc()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append("x-request-id", rid)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            IN_FLIGHT.dec()
            duration = time.perf_counter() - started
            self._observe(scope, status, duration)
            self._log(scope, status, duration)
            request_id.reset(token)

    def _observe(self, scope: Scope, status: int, duration: float) -> None:
        matched = "endpoint" in scope
        route = route_label(scope["path"], scope.get("path_params", {}), matched)
        key = (_method(scope), route, status)
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = _series(*key)
        series[0].inc()
        series[1].observe(duration)

    def _log(self, scope: Scope, status: int, duration: float) -> None:
        if not logger.isEnabledFor(logging.INFO):
            return
        user_id = getattr(scope.get("user"), "id", None)
        method, path = _method(scope), _loggable_path(scope)
        fields = {
            "method": method,
            "path": path,
            "status": status,
            "duration_ms": round(duration * 1000, 2),
            "client_ip": client_ip(scope),
            "user_id": str(user_id) if user_id is not None else None,
        }
        # Made directly rather than through logger.info, which would walk the
        # stack for a caller that is always this line.
        record = logger.makeRecord(
            logger.name,
            logging.INFO,
            __file__,
            0,
            "%s %s %s %.1fms",
            (method, path, status, duration * 1000),
            None,
            func="request",
            extra=fields,
        )
        logger.handle(record)
