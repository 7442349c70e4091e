"""bounded(): store calls answer in time, in place or detached."""

from __future__ import annotations

import asyncio

import pytest

from pyjang.errors import StoreError, StoreTimeout
from pyjang.sessions.stores.guard import bounded

pytestmark = pytest.mark.anyio


async def _answer(value: int) -> int:
    await asyncio.sleep(0)
    return value


async def _slow_to_let_go(cleaned: asyncio.Event) -> None:
    # Like a driver closing a connection to a frozen server when cancelled.
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        await asyncio.sleep(1.0)
        cleaned.set()
        raise


@pytest.mark.parametrize("detach", [True, False])
async def test_the_answer_comes_back(detach: bool) -> None:
    assert await bounded("redis", 1.0, "get", _answer(7), detach=detach) == 7


@pytest.mark.parametrize("detach", [True, False])
async def test_a_slow_store_times_out_in_time(detach: bool) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()

    with pytest.raises(StoreTimeout, match=r"did not answer within 0\.2s"):
        await bounded("redis", 0.2, "get", asyncio.sleep(10), detach=detach)

    assert loop.time() - started < 0.6


async def test_a_detached_call_does_not_wait_for_the_cleanup() -> None:
    cleaned = asyncio.Event()
    loop = asyncio.get_running_loop()
    started = loop.time()

    with pytest.raises(StoreTimeout):
        await bounded("database", 0.2, "get", _slow_to_let_go(cleaned))

    assert loop.time() - started < 0.6 and not cleaned.is_set()
    await asyncio.wait_for(cleaned.wait(), 5)


async def test_a_cancelled_request_cancels_its_detached_call() -> None:
    cleaned = asyncio.Event()
    request = asyncio.ensure_future(
        bounded("database", 30, "get", _slow_to_let_go(cleaned))
    )
    await asyncio.sleep(0.05)

    request.cancel()

    with pytest.raises(asyncio.CancelledError):
        await request
    await asyncio.wait_for(cleaned.wait(), 5)


@pytest.mark.parametrize("detach", [True, False])
async def test_an_unreachable_store_is_a_store_error(detach: bool) -> None:
    async def refused() -> None:
        raise ConnectionRefusedError(111, "refused")

    with pytest.raises(StoreError, match="unreachable: ConnectionRefusedError"):
        await bounded("redis", 1.0, "get", refused(), detach=detach)


async def test_a_bug_in_the_caller_is_not_hidden() -> None:
    async def broken() -> None:
        raise KeyError("not a store problem")

    with pytest.raises(KeyError):
        await bounded("redis", 1.0, "get", broken(), detach=False)


async def test_a_drivers_own_timeout_is_not_taken_for_ours() -> None:
    async def connect_timed_out() -> None:
        raise TimeoutError("connect timed out")

    with pytest.raises(StoreError, match="unreachable: TimeoutError"):
        await bounded("redis", 5.0, "get", connect_timed_out(), detach=False)
