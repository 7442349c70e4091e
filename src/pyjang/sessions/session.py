"""The per-request session object handed to views as ``request.session``."""

from __future__ import annotations

import time
from collections.abc import Iterator, MutableMapping
from typing import Any

__all__ = ["Session"]


class Session(MutableMapping[str, Any]):
    """A dict of JSON values that remembers whether the request changed it.

    ``snapshot`` is the exact bytes loaded from the store (None for a new
    session); the manager compares against it so that a request that changed
    nothing writes nothing.
    """

    def __init__(
        self,
        data: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        created_at: float | None = None,
        snapshot: bytes | None = None,
    ) -> None:
        self._data: dict[str, Any] = dict(data or {})
        self.token = token
        self.created_at = time.time() if created_at is None else created_at
        self.snapshot = snapshot
        self.needs_resign = False
        self.cycle_requested = False
        self.destroyed = False
        self._touched = False

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._touched = True
        self._data[key] = value

    def __delitem__(self, key: str) -> None:
        self._touched = True
        del self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"<Session keys={sorted(self._data)!r}>"

    @property
    def is_new(self) -> bool:
        """Return True when the session is not in the store yet."""
        return self.snapshot is None

    @property
    def touched(self) -> bool:
        """Return True when a key was set or deleted during this request."""
        return self._touched

    def data(self) -> dict[str, Any]:
        """Return the session's keys and values (the live dict, not a copy)."""
        return self._data

    def mark_modified(self) -> None:
        """Record a change made inside a value, such as appending to a list."""
        self._touched = True

    def cycle(self) -> None:
        """Keep the data under a new token (on login or a privilege change)."""
        self.cycle_requested = True
        self._touched = True

    def destroy(self) -> None:
        """End the session: its store entry is deleted and the cookie expired."""
        self._data.clear()
        self.destroyed = True
        self._touched = True
