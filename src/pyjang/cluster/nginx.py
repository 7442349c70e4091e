"""nginx for a local cluster, steered by rewriting its upstream and reloading.

The config is the complete one ``render_nginx(..., state_dir=...)`` writes
for plain HTTP on loopback, with the slots out of rotation marked ``down``.
A change rewrites the file, has nginx check it (``nginx -t``) and reloads it
(``nginx -s reload``): new workers take the new upstream while the old ones
finish the requests they hold and exit. Once every old worker has
gone, no request of the old configuration is in flight any more.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence

from pyjang.cluster.processes import Handle, children, spawn, stop
from pyjang.cluster.state import BalancerRecord, ClusterPaths
from pyjang.cluster.tools import (
    find_tool,
    replace_once,
    run_tool,
    wait_listening,
)
from pyjang.deploy import Backend, render_nginx
from pyjang.errors import CommandError

__all__ = ["Nginx"]

START_TIMEOUT = 15.0
RELOAD_TIMEOUT = 60.0


class Nginx:
    """Start, steer and stop the cluster's nginx."""

    def __init__(
        self, paths: ClusterPaths, record: BalancerRecord, slots: Sequence[Backend]
    ) -> None:
        self.paths = paths
        self.record = record
        self.slots = list(slots)
        self.config = paths.balancer_dir / "nginx.conf"
        self.log = paths.log("nginx")

    def render(self) -> str:
        """Return the config text for the servers now in rotation."""
        text = render_nginx(
            self.slots,
            listen_port=self.record.port,
            listen_host="127.0.0.1",
            stats_port=self.record.stats_port,
            tls=False,
            state_dir=self.paths.balancer_dir,
        )
        for backend in self.slots:
            if backend.name not in self.record.enabled:
                line = f"    server {backend.address} max_fails=2 fail_timeout=5s;\n"
                text = replace_once(text, line, f"    server {backend.address} down;\n")
        return text

    def _command(self) -> list[str]:
        folder = self.paths.balancer_dir
        return [
            find_tool("nginx"),
            "-p",
            str(folder),
            "-e",
            str(folder / "error.log"),
            "-c",
            str(self.config),
        ]

    def write(self) -> None:
        """Write the config and have nginx check it."""
        self.paths.balancer_dir.mkdir(parents=True, exist_ok=True)
        self.config.write_text(self.render(), encoding="utf-8")
        run_tool([*self._command(), "-t", "-q"], "nginx -t")

    @property
    def handle(self) -> Handle:
        """Return the handle of the nginx master process."""
        return Handle(self.record.pid, self.record.started)

    def start(self) -> None:
        """Start nginx (``daemon off``) in its own session and wait for it."""
        self.write()
        handle = spawn(self._command(), env=os.environ, log=self.log)
        self.record.pid, self.record.started = handle.pid, handle.started
        wait_listening(self.record.port, handle.alive, self.log, START_TIMEOUT)
        self._wait_workers(set())

    def enable(self, names: Sequence[str]) -> None:
        """Put ``names`` back in the upstream; return once nginx uses it."""
        self._switch(set(self.record.enabled) | set(names))

    def disable(self, names: Sequence[str]) -> None:
        """Mark ``names`` down; return once no old worker holds a request."""
        self._switch(set(self.record.enabled) - set(names))

    def server_states(self) -> dict[str, str]:
        """Return ``up`` or ``down`` for each server, as the upstream says."""
        enabled = set(self.record.enabled)
        return {b.name: "up" if b.name in enabled else "down" for b in self.slots}

    def stop(self) -> None:
        """Stop nginx (fast shutdown) and wait until master and workers exit."""
        workers = [Handle.of(pid) for pid in children(self.record.pid)]
        stop([self.handle], timeout=10.0)
        stop(workers, timeout=5.0)

    def _switch(self, enabled: set[str]) -> None:
        self.record.enabled = [b.name for b in self.slots if b.name in enabled]
        self.write()
        old = set(children(self.record.pid))
        if not self.handle.alive():
            raise CommandError(f"nginx is not running; see {self.log}")
        run_tool([*self._command(), "-s", "reload"], "nginx -s reload")
        self._wait_workers(old)

    def _wait_workers(self, old: set[int]) -> None:
        deadline = time.monotonic() + RELOAD_TIMEOUT
        while True:
            current = set(children(self.record.pid))
            if current and not current & old:
                return
            if not self.handle.alive():
                raise CommandError(f"nginx exited; see {self.log}")
            if time.monotonic() >= deadline:
                raise CommandError(
                    f"nginx's old workers did not finish within {RELOAD_TIMEOUT:g}s; "
                    f"see {self.log}"
                )
            time.sleep(0.05)
