"""Limit login, register and reset attempts per client IP and per account.

Counts live in the configured store — Redis, or the SQL database, or memory
for a single process — so every instance shares them and they survive a
restart. The policy is ``RATE_LIMIT_AUTH``: a sustained rate with a burst,
enforced as a sliding window of ``burst`` attempts.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from typing import Any
from urllib.parse import urlsplit

from limits import RateLimitItemPerSecond
from limits.aio.storage import (
    MemoryStorage,
    RedisSentinelStorage,
    RedisStorage,
    Storage,
)
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from pyjang.metrics import RATE_LIMITED
from pyjang.middleware.proxies import client_ip
from pyjang.models import normalize_email
from pyjang.ratelimit_storage import SQLLimitStorage
from pyjang.sessions.stores.guard import bounded
from pyjang.settings import RateLimit, Settings

__all__ = [
    "AuthLimiter",
    "auth_wait",
    "build_limit_storage",
    "check_auth_limit",
    "limited_headers",
]

logger = logging.getLogger(__name__)

_BODY = (
    '<div class="alert alert-error" role="alert" id="rate-limited"><strong>Too many '
    "attempts.</strong> Please wait {seconds} seconds and try again.</div>"
)


def build_limit_storage(settings: Settings, engine: object) -> Storage:
    """Return the ``limits`` storage matching the session store."""
    backend = settings.store_backend
    if backend == "redis" and settings.redis_url:
        return _redis_storage(settings.redis_url, settings.session_store_timeout)
    if backend == "db":
        return SQLLimitStorage(engine)  # type: ignore[arg-type]
    return MemoryStorage()


def _redis_storage(url: str, timeout: float) -> Storage:
    options: dict[str, Any] = {
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "key_prefix": "pyjang:limits",
        "implementation": "redispy",
    }
    parts = urlsplit(url)
    if parts.scheme != "redis+sentinel":
        return RedisStorage("async+" + url, **options)
    service = ([piece for piece in parts.path.split("/") if piece] or ["mymaster"])[0]
    sentinels = f"async+redis+sentinel://{parts.netloc}"
    return RedisSentinelStorage(sentinels, service_name=service, **options)


class AuthLimiter:
    """Count attempts per client IP and per account under one policy."""

    def __init__(self, storage: Storage, policy: RateLimit, *, timeout: float) -> None:
        self.storage = storage
        self.limiter = SlidingWindowCounterRateLimiter(storage)
        self.item = RateLimitItemPerSecond(policy.burst, policy.window)
        self.timeout = timeout

    async def hit(self, *identifiers: str) -> float | None:
        """Count one attempt; return seconds to wait when over the limit."""
        work = self._hit(identifiers)
        return await bounded("rate-limit", self.timeout, "hit", work)

    async def _hit(self, identifiers: tuple[str, ...]) -> float | None:
        for identifier in identifiers:
            if not await self.limiter.hit(self.item, "auth", identifier):
                stats = await self.limiter.get_window_stats(
                    self.item, "auth", identifier
                )
                return max(1.0, stats.reset_time - time.time())
        return None


def _account_key(account: str) -> str:
    digest = hashlib.sha256(normalize_email(account).encode()).hexdigest()[:32]
    return f"account:{digest}"


async def auth_wait(request: Request, account: str) -> int | None:
    """Count an attempt for the client IP and ``account``.

    Return the whole seconds to wait when either is over the limit, else
    None. Raises StoreError when the limit store cannot be reached.
    """
    limiter: AuthLimiter = request.app.state.runtime.limiter
    ip = client_ip(request.scope)
    identifiers = [f"ip:{ip}"]
    if account.strip():
        identifiers.append(_account_key(account))
    wait = await limiter.hit(*identifiers)
    if wait is None:
        return None
    logger.warning(
        "rate limit hit client_ip=%s path=%s",
        ip,
        request.url.path,
        extra={"client_ip": ip, "path": request.url.path},
    )
    RATE_LIMITED.labels(path=request.url.path).inc()
    return math.ceil(wait)


def limited_headers(seconds: int) -> dict[str, str]:
    """Return the headers of a 429 answer."""
    return {"Retry-After": str(seconds), "Cache-Control": "no-store"}


async def check_auth_limit(request: Request, account: str) -> Response | None:
    """Count an attempt; return a 429 response when limited, else None."""
    seconds = await auth_wait(request, account)
    if seconds is None:
        return None
    body = _BODY.format(seconds=seconds)
    return HTMLResponse(body, status_code=429, headers=limited_headers(seconds))
