"""Hash passwords with Argon2id and judge new ones before they are accepted."""

from __future__ import annotations

import asyncio
import os
import weakref

import anyio.to_thread
from anyio import CapacityLimiter
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

__all__ = [
    "HASHING_SLOTS",
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "check_password",
    "hash_password",
    "needs_rehash",
    "password_problem",
]

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
MIN_STRENGTH = 2  # zxcvbn score out of 4: "somewhat guessable" is refused

# Argon2id with the RFC 9106 second recommendation (64 MiB, 3 passes), which
# costs tens of milliseconds here: the price of a login, paid on purpose.
_hasher = PasswordHasher()
# Verified against when the account does not exist, so a miss costs as much as
# a wrong password and timing does not reveal which addresses are registered.
_DUMMY_HASH = _hasher.hash("pyjang-dummy-password-for-timing")
# Each hash holds 64 MiB while it runs. More hashes at once than cores buys no
# throughput, only memory: a burst of logins would otherwise run one per
# worker thread (40), 2.5 GiB per process. The rest wait their turn on the
# event loop, holding no thread that other work could use.
HASHING_SLOTS = max(
    1,
    len(os.sched_getaffinity(0))
    if hasattr(os, "sched_getaffinity")
    else os.cpu_count() or 1,
)
_limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, CapacityLimiter]
_limiters = weakref.WeakKeyDictionary()


def _limiter() -> CapacityLimiter:
    # One per event loop: a limiter belongs to the loop it was made on.
    loop = asyncio.get_running_loop()
    limiter = _limiters.get(loop)
    if limiter is None:
        limiter = _limiters[loop] = CapacityLimiter(HASHING_SLOTS)
    return limiter


def password_problem(password: str, *, email: str = "") -> str | None:
    """Return why ``password`` is refused, or None when it is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Use at most {MAX_PASSWORD_LENGTH} characters."
    hints = [email, email.partition("@")[0]] if email else []
    result = zxcvbn(password, user_inputs=hints)
    if result["score"] < MIN_STRENGTH:
        warning = result["feedback"].get("warning") or "This password is easy to guess."
        return f"{warning.rstrip('.')}. Add more words or characters."
    return None


async def hash_password(password: str) -> str:
    """Return the Argon2id hash of ``password``, computed off the event loop."""
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValueError("password longer than MAX_PASSWORD_LENGTH")
    return await anyio.to_thread.run_sync(_hasher.hash, password, limiter=_limiter())


async def check_password(password: str, hashed: str | None) -> bool:
    """Return True when ``password`` matches ``hashed``; a None hash never does.

    Oversized passwords are refused without hashing.
    """
    if len(password) > MAX_PASSWORD_LENGTH:
        return False
    return await anyio.to_thread.run_sync(_verify, password, hashed, limiter=_limiter())


def _verify(password: str, hashed: str | None) -> bool:
    try:
        return _hasher.verify(hashed or _DUMMY_HASH, password) and hashed is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(hashed: str) -> bool:
    """Return True when ``hashed`` was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(hashed)
