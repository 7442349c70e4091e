"""A store in Redis, shared by every instance; Redis expires the keys itself."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from redis.asyncio import Redis
from redis.asyncio.sentinel import Sentinel

from pyjang.sessions.stores.guard import bounded

__all__ = ["RedisStore", "connect_redis"]

# Compare-and-set: write only while the stored value is still the one the
# request loaded, so concurrent requests merge instead of overwriting.
_REPLACE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0
"""


def connect_redis(url: str, *, timeout: float = 1.0) -> Redis:
    """Return a pooled client for ``redis://``, ``rediss://`` or Sentinel URLs.

    A Sentinel URL reads ``redis+sentinel://host:26379,host2:26379/service/db``.
    """
    options: dict[str, Any] = {
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "health_check_interval": 30,
    }
    parts = urlsplit(url)
    if parts.scheme != "redis+sentinel":
        return Redis.from_url(url, **options)
    hosts = []
    for item in parts.netloc.rsplit("@", 1)[-1].split(","):
        host, _, port = item.partition(":")
        hosts.append((host, int(port or 26379)))
    path = [piece for piece in parts.path.split("/") if piece]
    service = path[0] if path else "mymaster"
    db = int(path[1]) if len(path) > 1 else 0
    password = parts.password or parse_qs(parts.query).get("password", [None])[0]
    sentinel = Sentinel(
        hosts, sentinel_kwargs=options, password=password, db=db, **options
    )
    client: Redis = sentinel.master_for(service)
    return client


class RedisStore:
    """Keep values under ``prefix + key`` in Redis with a native expiry."""

    def __init__(
        self, client: Redis, *, timeout: float = 1.0, prefix: str = "pyjang:session:"
    ) -> None:
        self._client = client
        self._timeout = timeout
        self._prefix = prefix
        self._replace = client.register_script(_REPLACE)

    async def get(self, key: str, *, refresh: float | None = None) -> bytes | None:
        """Return the value under ``key``, refreshing its expiry in the same trip."""
        if refresh is None:
            work = self._client.get(self._prefix + key)
        else:
            work = self._client.getex(self._prefix + key, px=_ms(refresh))
        value = await self._bounded("get", work)
        if value is None:
            return None
        return value if isinstance(value, bytes) else str(value).encode()

    async def add(self, key: str, value: bytes, ttl: float) -> bool:
        """Write ``value`` under a new ``key``; False when the key exists."""
        work = self._client.set(self._prefix + key, value, px=_ms(ttl), nx=True)
        return bool(await self._bounded("add", work))

    async def replace(
        self, key: str, value: bytes, ttl: float, *, expected: bytes
    ) -> bool:
        """Swap in ``value`` only if the stored value is ``expected``."""
        work = self._replace(
            keys=[self._prefix + key], args=[expected, value, _ms(ttl)]
        )
        return bool(await self._bounded("replace", work))

    async def delete(self, key: str) -> None:
        """Remove ``key``; a missing key is not an error."""
        await self._bounded("delete", self._client.delete(self._prefix + key))

    async def ping(self) -> None:
        """Return when Redis answers PING."""
        await self._bounded("ping", self._client.ping())

    async def _bounded(self, operation: str, work: Awaitable[Any]) -> Any:
        async def run() -> Any:
            return await work

        # redis-py drops the connection at once when cancelled: no task needed.
        return await bounded("redis", self._timeout, operation, run(), detach=False)

    async def close(self) -> None:
        """Close the client's connection pool."""
        await self._client.aclose()


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))
