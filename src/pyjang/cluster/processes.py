"""Start detached processes and find, signal and wait for them by pid later.

A cluster outlives the command that started it, so every part runs in a
session of its own and is known afterwards only by its pid. Pids are reused
by the kernel; each one is recorded with the process's start time, and a
process whose start time differs is treated as gone rather than signalled.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "Handle",
    "children",
    "is_listening",
    "spawn",
    "start_ticks",
    "stop",
    "wait_gone",
]

_PROC = Path("/proc")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may hold spaces; skip past it.
    return text.rsplit(")", 1)[1].split()


def start_ticks(pid: int) -> int | None:
    """Return when ``pid`` started (clock ticks since boot), or None if gone."""
    fields = _stat_fields(pid)
    if fields is None or fields[0] in ("Z", "X"):
        return None
    return int(fields[19])


@dataclass(frozen=True)
class Handle:
    """A process known by its ``pid`` and its ``started`` time."""

    pid: int
    started: int | None

    @classmethod
    def of(cls, pid: int) -> Handle:
        """Return a handle for the running process ``pid``."""
        return cls(pid, start_ticks(pid))

    def alive(self) -> bool:
        """Return True while the very process this handle names still runs."""
        if self.pid <= 0:
            return False  # never a process group: 0 and -1 mean many processes
        if not _PROC.exists():
            return _signal_zero(self.pid)
        ticks = start_ticks(self.pid)
        return ticks is not None and (self.started is None or ticks == self.started)

    def signal(self, sig: int) -> bool:
        """Send ``sig`` if the process still runs; return whether it was sent."""
        if not self.alive():
            return False
        try:
            os.kill(self.pid, sig)
        except ProcessLookupError:
            return False
        return True


def _signal_zero(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def spawn(
    command: Sequence[str],
    *,
    env: Mapping[str, str],
    log: Path,
    cwd: Path | None = None,
) -> Handle:
    """Start ``command`` in its own session, output appended to ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as output:
        process = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    # The Popen object is dropped on purpose: the process is detached and is
    # followed by pid from now on, also by other pyjang commands.
    return Handle.of(process.pid)


def wait_gone(handles: Sequence[Handle], timeout: float) -> bool:
    """Wait until none of ``handles`` runs; return False on timeout."""
    deadline = time.monotonic() + timeout
    while any(handle.alive() for handle in handles):
        if time.monotonic() >= deadline:
            return False
        _reap()
        time.sleep(0.05)
    return True


def _reap() -> None:
    # Children of this very process become zombies until waited for.
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass


def stop(
    handles: Sequence[Handle], *, timeout: float, sig: int = signal.SIGTERM
) -> None:
    """Send ``sig`` to each process, then SIGKILL whatever outlives ``timeout``."""
    for handle in handles:
        handle.signal(sig)
    if wait_gone(handles, timeout):
        return
    for handle in handles:
        handle.signal(signal.SIGKILL)
    wait_gone(handles, 5.0)


def children(pid: int) -> list[int]:
    """Return the pids of the running processes whose parent is ``pid``."""
    found = []
    for entry in _PROC.glob("[0-9]*"):
        fields = _stat_fields(int(entry.name))
        if fields is not None and fields[0] not in ("Z", "X") and int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def is_listening(port: int, host: str = "127.0.0.1") -> bool:
    """Return True when something accepts TCP connections on ``host:port``."""
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0
