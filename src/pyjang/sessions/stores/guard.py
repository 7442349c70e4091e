"""Bound every store call in time and turn driver errors into StoreError."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from pyjang.errors import StoreError, StoreTimeout
from pyjang.metrics import observe_store

__all__ = ["guarded"]

_DRIVERS = ("sqlalchemy", "asyncpg", "redis", "sqlite3", "aiosqlite", "limits")


@asynccontextmanager
async def guarded(
    name: str, timeout: float, operation: str = "call"
) -> AsyncIterator[None]:
    """Raise StoreTimeout after ``timeout`` seconds and StoreError on failure.

    The call's duration is recorded under ``pyjang_store_duration_seconds``.
    """
    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeout):
            yield
    except TimeoutError:
        message = f"the {name} store did not answer within {timeout:g}s"
        raise StoreTimeout(message) from None
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
