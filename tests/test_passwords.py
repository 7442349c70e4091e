"""Argon2id hashing: right answers, and never more hashes at once than cores."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

from pyjang import passwords

pytestmark = pytest.mark.anyio


class CountingHasher:
    """The real hasher, counting how many of its calls run at the same time."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.running = 0
        self.most = 0
        self.lock = threading.Lock()

    def _enter(self) -> None:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(0.02)  # long enough for the others to pile up

    def _leave(self) -> None:
        with self.lock:
            self.running -= 1

    def hash(self, password: str) -> str:
        self._enter()
        try:
            return str(self.real.hash(password))
        finally:
            self._leave()

    def verify(self, hashed: str, password: str) -> bool:
        self._enter()
        try:
            return bool(self.real.verify(hashed, password))
        finally:
            self._leave()


async def test_a_hash_verifies_and_a_wrong_password_does_not() -> None:
    hashed = await passwords.hash_password("correct horse battery staple")
    assert await passwords.check_password("correct horse battery staple", hashed)
    assert not await passwords.check_password("wrong horse battery staple", hashed)
    assert not await passwords.check_password("anything at all", None)


async def test_a_burst_of_logins_hashes_no_more_at_once_than_cores(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    counting = CountingHasher(passwords._hasher)
    monkeypatch.setattr(passwords, "_hasher", counting)
    hashed = await passwords.hash_password("correct horse battery staple")

    attempts = [
        passwords.check_password("correct horse battery staple", hashed)
        for _ in range(4 * passwords.HASHING_SLOTS + 4)
    ]
    results = await asyncio.gather(*attempts)

    assert all(results)
    assert counting.most <= passwords.HASHING_SLOTS
