"""The development SESSION_KEY kept in a local, owner-only file."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

__all__ = ["DEV_KEY_PATH", "dev_session_key"]

DEV_KEY_PATH = Path(".pyjang") / "dev-secret"


def dev_session_key(path: Path = DEV_KEY_PATH) -> tuple[str, bool]:
    """Return the development key and whether it was just generated.

    The file is created with mode 0600 inside a 0700 folder.
    """
    if path.exists():
        key = path.read_text(encoding="ascii").strip()
        if len(key) >= 32:
            return key, False
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return key, True
