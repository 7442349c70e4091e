"""HAProxy for a local cluster, steered at run time through its admin socket.

The config is the one ``pyjang generate haproxy`` writes, for plain HTTP on
loopback, with two changes for the cluster: slots out of rotation start
``disabled`` (in maintenance), and a GET or HEAD whose instance died while
answering it is sent to another instance (``retry-on empty-response``) —
other methods are still never sent twice. Servers then change state with
``set server pyjang/NAME state ready|drain|maint`` and nothing is reloaded.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Iterable, Sequence

from pyjang.cluster.processes import Handle, spawn, stop
from pyjang.cluster.state import BalancerRecord, ClusterPaths
from pyjang.cluster.tools import (
    find_tool,
    replace_once,
    run_tool,
    wait_listening,
)
from pyjang.deploy import Backend, render_haproxy
from pyjang.errors import CommandError

__all__ = ["HAProxy"]

BACKEND = "pyjang"
START_TIMEOUT = 15.0
STATE_TIMEOUT = 30.0
_Test = Callable[[dict[str, str]], bool]
_RETRIES = (
    "    retry-on conn-failure empty-response\n"
    "    # Only a GET or HEAD is retried once it reached an instance.\n"
    "    http-request disable-l7-retry unless METH_GET\n"
)


class HAProxy:
    """Start, steer and stop the cluster's HAProxy."""

    def __init__(
        self, paths: ClusterPaths, record: BalancerRecord, slots: Sequence[Backend]
    ) -> None:
        self.paths = paths
        self.record = record
        self.slots = list(slots)
        self.config = paths.balancer_dir / "haproxy.cfg"
        self.log = paths.log("haproxy")

    def render(self) -> str:
        """Return the config text for the servers now in rotation."""
        text = render_haproxy(
            self.slots,
            listen_port=self.record.port,
            listen_host="127.0.0.1",
            stats_port=self.record.stats_port,
            tls=False,
            state_dir=self.paths.balancer_dir,
            admin_socket=str(self.paths.admin_socket),
        )
        text = replace_once(text, "    retry-on conn-failure\n", _RETRIES)
        for backend in self.slots:
            if backend.name not in self.record.enabled:
                line = f"    server {backend.name} {backend.address}\n"
                text = replace_once(text, line, f"{line[:-1]} disabled\n")
        return text

    def write(self) -> None:
        """Write the config and have HAProxy check it."""
        self.paths.balancer_dir.mkdir(parents=True, exist_ok=True)
        self.config.write_text(self.render(), encoding="utf-8")
        binary = find_tool("haproxy")
        run_tool([binary, "-c", "-q", "-f", str(self.config)], "haproxy -c")

    def start(self) -> None:
        """Start HAProxy in the foreground of its own session and wait for it."""
        self.write()
        command = [find_tool("haproxy"), "-db", "-f", str(self.config)]
        handle = spawn(command, env=os.environ, log=self.log)
        self.record.pid, self.record.started = handle.pid, handle.started
        wait_listening(self.record.port, handle.alive, self.log, START_TIMEOUT)
        self._wait(self.record.enabled, _in_rotation, "bring into rotation")

    def command(self, text: str) -> str:
        """Send one runtime API command and return HAProxy's answer."""
        try:
            with socket.socket(socket.AF_UNIX) as admin:
                admin.settimeout(5)
                admin.connect(str(self.paths.admin_socket))
                admin.sendall(text.encode() + b"\n")
                return _read_all(admin)
        except OSError as error:
            raise CommandError(
                f"cannot use HAProxy's admin socket {self.paths.admin_socket}: "
                f"{error.strerror or error}"
            ) from None

    def stats(self) -> dict[str, dict[str, str]]:
        """Return ``show stat`` for each server of the backend, by name."""
        lines = self.command("show stat").splitlines()
        if not lines or not lines[0].startswith("# "):
            raise CommandError(f"HAProxy answered show stat with {lines[:1]!r}")
        header = lines[0][2:].split(",")
        rows = [dict(zip(header, line.split(","), strict=False)) for line in lines[1:]]
        return {
            row["svname"]: row
            for row in rows
            if row.get("pxname") == BACKEND
            and row.get("svname") not in ("FRONTEND", "BACKEND")
        }

    def server_states(self) -> dict[str, str]:
        """Return each server's HAProxy status (``UP``, ``MAINT``, ``DRAIN`` …)."""
        return {name: row.get("status", "?") for name, row in self.stats().items()}

    def enable(self, names: Sequence[str]) -> None:
        """Put ``names`` in rotation; return once HAProxy reports them UP."""
        for name in names:
            self._set(name, "ready")
        self._remember(set(self.record.enabled) | set(names))
        self._wait(names, _in_rotation, "bring into rotation")

    def disable(self, names: Sequence[str]) -> None:
        """Drain ``names``, wait until none has a request in flight, then park them."""
        for name in names:
            self._set(name, "drain")
        self._wait(names, _idle, "drain")
        for name in names:
            self._set(name, "maint")
        self._remember(set(self.record.enabled) - set(names))

    def stop(self) -> None:
        """Stop HAProxy at once (SIGTERM) and wait until it has exited."""
        stop([Handle(self.record.pid, self.record.started)], timeout=10.0)
        self.paths.admin_socket.unlink(missing_ok=True)

    def _set(self, name: str, state: str) -> None:
        answer = self.command(f"set server {BACKEND}/{name} state {state}").strip()
        if answer:
            raise CommandError(f"HAProxy refused to set {name} {state}: {answer}")

    def _remember(self, enabled: Iterable[str]) -> None:
        wanted = set(enabled)
        self.record.enabled = [b.name for b in self.slots if b.name in wanted]
        self.write()

    def _wait(self, names: Iterable[str], done: _Test, what: str) -> None:
        deadline = time.monotonic() + STATE_TIMEOUT
        pending = list(names)
        while pending:
            rows = self.stats()
            pending = [name for name in pending if not done(rows.get(name, {}))]
            if not pending:
                return
            if time.monotonic() >= deadline:
                row = rows.get(pending[0], {})
                raise CommandError(
                    f"HAProxy did not {what} {pending[0]} within {STATE_TIMEOUT:g}s "
                    f"(status {row.get('status', '?')}, check "
                    f"{row.get('check_status') or '-'}); see {self.log}"
                )
            time.sleep(0.1)


def _in_rotation(row: dict[str, str]) -> bool:
    status, check = row.get("status", ""), row.get("check_status", "")
    return status.startswith("UP") and check.startswith("L7OK")


def _idle(row: dict[str, str]) -> bool:
    return row.get("scur", "1") == "0" and row.get("qcur", "1") in ("0", "")


def _read_all(admin: socket.socket) -> str:
    chunks = []
    while chunk := admin.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks).decode("utf-8", "replace")
