"""A store in this process's memory: for development, one process and tests."""

from __future__ import annotations

import time

__all__ = ["MemoryStore"]


class MemoryStore:
    """Keep values in a dict; lost on restart and not shared between processes."""

    def __init__(self) -> None:
        self._items: dict[str, tuple[bytes, float]] = {}
        self._now = time.monotonic
        self._writes = 0

    def _live(self, key: str) -> tuple[bytes, float] | None:
        item = self._items.get(key)
        if item is not None and item[1] <= self._now():
            del self._items[key]
            return None
        return item

    async def get(self, key: str, *, refresh: float | None = None) -> bytes | None:
        """Return the value under ``key``, or None when missing or expired."""
        item = self._live(key)
        if item is None:
            return None
        if refresh is not None:
            self._items[key] = (item[0], max(item[1], self._now() + refresh))
        return item[0]

    async def add(self, key: str, value: bytes, ttl: float) -> bool:
        """Write ``value`` under a new ``key``; False when the key exists."""
        if self._live(key) is not None:
            return False
        self._items[key] = (value, self._now() + ttl)
        self._writes += 1
        if self._writes % 1000 == 0:
            await self.purge_expired()
        return True

    async def replace(
        self, key: str, value: bytes, ttl: float, *, expected: bytes
    ) -> bool:
        """Swap in ``value`` only if the stored value is ``expected``."""
        item = self._live(key)
        if item is None or item[0] != expected:
            return False
        self._items[key] = (value, self._now() + ttl)
        return True

    async def delete(self, key: str) -> None:
        """Remove ``key``; a missing key is not an error."""
        self._items.pop(key, None)

    async def ping(self) -> None:
        """Return at once: memory is always there."""

    async def close(self) -> None:
        """Forget every value."""
        self._items.clear()

    async def purge_expired(self) -> int:
        """Delete expired entries and return how many went."""
        now = self._now()
        expired = [key for key, (_, expires) in self._items.items() if expires <= now]
        for key in expired:
            del self._items[key]
        return len(expired)
