"""Bound every store call in time and turn driver errors into StoreError."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

from pyjang.errors import StoreError, StoreTimeout
from pyjang.metrics import observe_store

__all__ = ["bounded"]

T = TypeVar("T")
_DRIVERS = ("sqlalchemy", "asyncpg", "redis", "sqlite3", "aiosqlite", "limits")


def _forget(task: asyncio.Task[Any]) -> None:
    if not task.cancelled():
        task.exception()  # retrieved, so an abandoned failure is not reported


async def bounded(
    name: str, timeout: float, operation: str, work: Coroutine[Any, Any, T]
) -> T:
    """Return ``work``'s result, or raise StoreTimeout after ``timeout`` seconds.

    On timeout the call is cancelled and left to clean up in the background:
    a driver tearing down a connection to a frozen server can take seconds,
    and the request must not wait for it. Driver errors become StoreError.
    The duration is recorded under ``pyjang_store_duration_seconds``.
    """
    started = time.perf_counter()
    task = asyncio.ensure_future(work)
    try:
        done, _ = await asyncio.wait({task}, timeout=timeout)
        if not done:
            task.cancel()
            task.add_done_callback(_forget)
            raise StoreTimeout(f"the {name} store did not answer within {timeout:g}s")
        return task.result()
    except StoreError:
        raise
    except (OSError, ConnectionError) as error:
        message = f"the {name} store is unreachable: {type(error).__name__}"
        raise StoreError(message) from error
    except Exception as error:
        if type(error).__module__.startswith(_DRIVERS):
            message = f"the {name} store failed: {type(error).__name__}"
            raise StoreError(message) from error
        raise
    finally:
        observe_store(name, operation, started)
