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


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


async def bounded(
    name: str,
    timeout: float,
    operation: str,
    work: Coroutine[Any, Any, T],
    *,
    detach: bool = True,
) -> T:
    """Return ``work``'s result, or raise StoreTimeout after ``timeout`` seconds.

    With ``detach`` the work runs as a task that a timeout cancels and leaves
    to clean up in the background: a driver tearing down a connection to a
    frozen server can take seconds, and the request must not wait for it.
    Without it the work is awaited in place, which is cheaper, for work that
    lets go at once when cancelled (redis-py, :meth:`Database.fetch_row`).
    Driver errors become StoreError. The duration is recorded under
    ``pyjang_store_duration_seconds``.
    """
    started = time.perf_counter()
    try:
        if detach:
            return await _detached(name, timeout, work)
        limit = asyncio.timeout(timeout)
        try:
            async with limit:
                return await work
        except TimeoutError:
            if limit.expired():
                raise _timed_out(name, timeout) from None
            raise  # the driver's own: an unreachable store, below
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


async def _detached(name: str, timeout: float, work: Coroutine[Any, Any, T]) -> T:
    # The request waits on a plain future that the task's end or the timer
    # completes: half of what asyncio.wait costs on every call.
    loop = asyncio.get_running_loop()
    waiter: asyncio.Future[None] = loop.create_future()
    task = loop.create_task(work)
    task.add_done_callback(_forget)  # its failure is reported here, or nowhere
    task.add_done_callback(lambda _: _wake(waiter))
    timer = loop.call_later(timeout, _wake, waiter)
    try:
        await waiter
    finally:
        timer.cancel()
        if not task.done():  # timed out, or the request itself was cancelled
            task.cancel()
    if not task.done():
        raise _timed_out(name, timeout)
    return task.result()


def _timed_out(name: str, timeout: float) -> StoreTimeout:
    return StoreTimeout(f"the {name} store did not answer within {timeout:g}s")
