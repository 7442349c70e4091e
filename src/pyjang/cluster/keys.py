"""The ``SESSION_KEY`` and ``CSRF_SECRET`` every instance of a cluster shares.

They come from the environment when ``SESSION_KEY`` is set there; otherwise
they are generated once into ``secrets.env`` in the state folder (mode
0600) and read back by later commands. Only their fingerprints go into the
state file, so a later command can tell that the environment changed.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass

from pyjang.cluster.state import ClusterPaths, ClusterState
from pyjang.errors import CommandError
from pyjang.sessions import key_fingerprint
from pyjang.settings import MIN_KEY_LENGTH

__all__ = ["ClusterKeys", "load_keys", "make_keys"]


@dataclass(frozen=True)
class ClusterKeys:
    """The cluster's secrets and whether they came from the environment."""

    session_key: str
    csrf_secret: str | None
    from_env: bool

    @property
    def key_id(self) -> str:
        """Return the fingerprint ``/ready`` shows as ``key_id``."""
        return key_fingerprint(self.session_key.encode())

    @property
    def csrf_id(self) -> str:
        """Return a fingerprint of the CSRF secret ("" when derived)."""
        if self.csrf_secret is None:
            return ""
        return key_fingerprint(self.csrf_secret.encode())


def _from_environment() -> ClusterKeys | None:
    key = os.environ.get("SESSION_KEY")
    if not key:
        return None
    if len(key) < MIN_KEY_LENGTH:
        raise CommandError(
            f"SESSION_KEY in the environment has fewer than {MIN_KEY_LENGTH} "
            "characters; unset it to let the cluster generate one"
        )
    return ClusterKeys(key, os.environ.get("CSRF_SECRET") or None, True)


def _read_file(paths: ClusterPaths) -> ClusterKeys | None:
    try:
        text = paths.secrets_file.read_text("utf-8")
    except FileNotFoundError:
        return None
    values = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    key = values.get("SESSION_KEY", "")
    if len(key) < MIN_KEY_LENGTH:
        raise CommandError(f"{paths.secrets_file} holds no usable SESSION_KEY")
    return ClusterKeys(key, values.get("CSRF_SECRET") or None, False)


def make_keys(paths: ClusterPaths) -> ClusterKeys:
    """Return the environment's keys, the kept file's, or newly generated ones."""
    found = _from_environment() or _read_file(paths)
    if found is not None:
        return found
    keys = ClusterKeys(secrets.token_urlsafe(48), secrets.token_urlsafe(48), False)
    paths.root.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(
        paths.secrets_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600
    )
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(f"SESSION_KEY={keys.session_key}\n")
        handle.write(f"CSRF_SECRET={keys.csrf_secret}\n")
    return keys


def load_keys(paths: ClusterPaths, state: ClusterState) -> ClusterKeys:
    """Return the keys a running cluster uses, for starting more instances.

    Raises CommandError when they cannot be found or no longer match the
    fingerprints ``up`` recorded: a new instance would not share sessions.
    """
    from_env = state.secrets_from_env
    keys = _from_environment() if from_env else _read_file(paths)
    if keys is None:
        where = "the environment" if from_env else str(paths.secrets_file)
        raise CommandError(
            f"the cluster's SESSION_KEY came from {where}, which no longer has it; "
            "set the same SESSION_KEY again"
        )
    if keys.key_id != state.key_id:
        raise CommandError(
            f"SESSION_KEY (key_id {keys.key_id}) differs from the one the cluster "
            f"runs with (key_id {state.key_id}); set the same SESSION_KEY again"
        )
    if keys.csrf_id != state.csrf_id:
        raise CommandError(
            "CSRF_SECRET differs from the one the cluster runs with; set the same "
            "CSRF_SECRET again (or unset it, if the cluster started without it)"
        )
    return keys
