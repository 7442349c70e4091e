"""Stores keep bytes under a key with an expiry; sessions sit on top of them.

A store knows nothing about sessions or serialisation. Its contract:

- ``get`` returns the bytes, or None for a key that is missing or expired;
  with ``refresh`` it also pushes the expiry to at least ``refresh`` seconds
  from now (the idle timeout), in the same round trip where it can;
- ``add`` writes a new key and returns False if the key already exists;
- ``replace`` swaps the value only if it still equals ``expected`` and
  returns False when it changed or is gone — so a deleted session is never
  written back by a slower request;
- ``delete`` removes a key, missing or not;
- ``ping`` checks the store answers.

A miss is never an error: every :class:`~pyjang.errors.StoreError` means the
infrastructure failed or timed out.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

__all__ = ["Purging", "Store"]


@runtime_checkable
class Store(Protocol):
    """Keep bytes under a key with an expiry."""

    async def get(self, key: str, *, refresh: float | None = None) -> bytes | None:
        """Return the value under ``key``, or None when missing or expired."""
        ...

    async def add(self, key: str, value: bytes, ttl: float) -> bool:
        """Write ``value`` under a new ``key``; False when the key exists."""
        ...

    async def replace(
        self, key: str, value: bytes, ttl: float, *, expected: bytes
    ) -> bool:
        """Swap in ``value`` only if the stored value is ``expected``."""
        ...

    async def delete(self, key: str) -> None:
        """Remove ``key``; a missing key is not an error."""
        ...

    async def ping(self) -> None:
        """Return when the store answers; raise StoreError otherwise."""
        ...

    async def close(self) -> None:
        """Release connections held by the store."""
        ...


@runtime_checkable
class Purging(Protocol):
    """A store whose expired entries must be deleted by someone."""

    async def purge_expired(self) -> int:
        """Delete expired entries and return how many went."""
        ...
