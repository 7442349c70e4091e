"""Argon2id with the parameters pyjang uses, so a login costs the same in both."""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher

__all__ = ["Argon2Hasher"]


class Argon2Hasher(Argon2PasswordHasher):
    """Argon2id, 64 MiB, 3 passes, 4 lanes (argon2-cffi's defaults)."""

    time_cost = 3
    memory_cost = 65536
    parallelism = 4
