"""Liveness and readiness endpoints for balancers and orchestrators."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from pyjang.errors import StoreTimeout
from pyjang.runtime import Runtime, is_draining, runtime
from pyjang.sessions.stores.guard import bounded

__all__ = ["ready_report", "routes"]

_NO_STORE = {"Cache-Control": "no-store"}


async def health(request: Request) -> Response:
    """Answer 200 while the process runs; checks no dependency."""
    return PlainTextResponse("OK", headers=_NO_STORE)


async def _check(
    name: str, probe: Coroutine[Any, Any, object], timeout: float
) -> tuple[str, str]:
    try:
        await bounded(name, timeout, "ping", probe)
    except StoreTimeout:
        return name, f"timeout after {timeout:g}s"
    except Exception as error:
        cause = error.__cause__ or error
        return name, f"failed: {type(cause).__name__}"
    return name, "ok"


async def ready_report(state: Runtime) -> tuple[int, dict[str, object]]:
    """Return the status code and body of ``/ready`` for ``state``."""
    timeout = max(state.settings.session_store_timeout, 0.1)
    results = dict(
        await asyncio.gather(
            _check("database", state.database.ping(), timeout),
            _check("sessions", state.store.ping(), timeout),
        )
    )
    if state.migration_error:
        results["migrations"] = "failed: see the log"
    elif not state.migrated.is_set():
        results["migrations"] = "pending"
    else:
        results["migrations"] = "ok"
    failed = [name for name, result in results.items() if result != "ok"]
    status = (
        "draining"
        if state.draining or is_draining()
        else ("unavailable" if failed else "ok")
    )
    body: dict[str, object] = {
        "status": status,
        "instance": state.settings.instance_name,
        "key_id": state.key_id,
        "checks": results,
    }
    if failed:
        body["failed"] = failed
    return (200 if status == "ok" else 503), body


async def ready(request: Request) -> Response:
    """Answer 200 when this instance can serve traffic, else 503 naming why."""
    code, body = await ready_report(runtime(request))
    return JSONResponse(body, status_code=code, headers=_NO_STORE)


routes = [
    Route("/health", health, methods=["GET", "HEAD"]),
    Route("/ready", ready, methods=["GET", "HEAD"]),
]
