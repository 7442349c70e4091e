"""Bound every store call in time and turn driver errors into StoreError."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from pyjang.errors import StoreError, StoreTimeout

__all__ = ["guarded"]


@asynccontextmanager
async def guarded(name: str, timeout: float) -> AsyncIterator[None]:
    """Raise StoreTimeout after ``timeout`` seconds and StoreError on failure."""
    try:
        async with asyncio.timeout(timeout):
            yield
    except TimeoutError:
        raise StoreTimeout(
            f"the {name} store did not answer within {timeout:g}s"
        ) from None
    except StoreError:
        raise
    except (OSError, ConnectionError) as error:
        raise StoreError(
            f"the {name} store is unreachable: {type(error).__name__}"
        ) from error
    except Exception as error:
        if _is_driver_error(error):
            raise StoreError(
                f"the {name} store failed: {type(error).__name__}"
            ) from error
        raise


def _is_driver_error(error: Exception) -> bool:
    module = type(error).__module__
    return module.startswith(("sqlalchemy", "asyncpg", "redis", "sqlite3", "aiosqlite"))
