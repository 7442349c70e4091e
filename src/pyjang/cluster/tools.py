"""The balancer binaries: find them, check their configs, wait for them."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from pyjang.cluster.processes import is_listening
from pyjang.errors import CommandError

__all__ = ["find_tool", "replace_once", "run_tool", "wait_listening"]

_INSTALL = {
    "haproxy": "install haproxy (apt-get install haproxy, brew install haproxy)",
    "nginx": "install nginx (apt-get install nginx, brew install nginx)",
}


def find_tool(name: str) -> str:
    """Return the path of the ``haproxy`` or ``nginx`` binary, or raise."""
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin")
    if path is None:
        other = "nginx" if name == "haproxy" else "haproxy"
        raise CommandError(
            f"{name} is not installed; {_INSTALL[name]}, or use --lb {other}"
        )
    return path


def replace_once(text: str, old: str, new: str) -> str:
    """Return ``text`` with the single occurrence of ``old`` replaced.

    Raises CommandError when ``old`` is missing or repeated: the rendered
    config no longer looks as this module expects.
    """
    if text.count(old) != 1:
        raise CommandError(
            f"the generated balancer config has {text.count(old)} lines "
            f"{old.strip()!r} where one was expected"
        )
    return text.replace(old, new)


def run_tool(command: Sequence[str], what: str) -> None:
    """Run a short balancer command (a config test, a reload); raise on failure."""
    result = subprocess.run(
        list(command), capture_output=True, text=True, timeout=30, check=False
    )
    if result.returncode != 0:
        output = (result.stderr or result.stdout).strip().splitlines()
        detail = output[-1] if output else f"exit status {result.returncode}"
        raise CommandError(f"{what} failed: {detail}")


def wait_listening(
    port: int, alive: Callable[[], bool], log: Path, timeout: float
) -> None:
    """Wait until ``port`` accepts connections while ``alive()`` holds."""
    deadline = time.monotonic() + timeout
    while not is_listening(port):
        if not alive():
            raise CommandError(f"the balancer exited at start; see {log}")
        if time.monotonic() >= deadline:
            raise CommandError(f"the balancer did not listen on {port}; see {log}")
        time.sleep(0.05)
