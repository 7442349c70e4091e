"""Serve an app with Uvicorn, draining before a graceful stop.

On SIGTERM or SIGINT the instance first turns ``/ready`` to 503 and keeps
serving for ``SHUTDOWN_DRAIN`` so the balancer takes it out of rotation; then
it stops accepting, gives in-flight requests ``SHUTDOWN_TIMEOUT`` to finish,
closes its pools and exits 0. A second SIGINT stops at once.
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import socket
import sys
import time
from types import FrameType
from typing import Any

import uvicorn
from starlette.applications import Starlette
from uvicorn.supervisors import ChangeReload

from pyjang.app import create_app
from pyjang.errors import ConfigError
from pyjang.logs import configure_logging
from pyjang.runtime import begin_draining
from pyjang.settings import Settings, load_settings
from pyjang.workers import run_workers

__all__ = ["KEEP_ALIVE_SECONDS", "Server", "app_factory", "serve"]

logger = logging.getLogger(__name__)

APP_VARIABLE = "PYJANG_APP"
# Longer than the idle timeouts balancers use towards their backends
# (nginx 60 s, AWS ALB 60 s), so the balancer, not us, closes idle connections.
KEEP_ALIVE_SECONDS = 90
PARENT_CHECK_TICKS = 10  # uvicorn ticks every 0.1 s: look once a second


def load_user_app(spec: str) -> Any:
    """Import ``MODULE:ATTR``; call ATTR when it is a factory, not an app.

    Modules are found in the working directory first, as with ``python -m``.
    """
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ConfigError(f"--app {spec!r}: use MODULE:ATTR, e.g. myproject.app:app")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise ConfigError(
            f"--app {spec!r}: cannot import {module_name}: {error}"
        ) from None
    try:
        target = getattr(module, attribute)
    except AttributeError:
        raise ConfigError(
            f"--app {spec!r}: {module_name} has no {attribute!r}"
        ) from None
    return target if isinstance(target, Starlette) else target()


def app_factory() -> Any:
    """Build the app in a server process (each worker calls this once)."""
    settings = load_settings()
    configure_logging(
        level=settings.log_level,
        style=settings.log_style,
        instance=settings.instance_name,
    )
    spec = os.environ.get(APP_VARIABLE)
    return load_user_app(spec) if spec else create_app(settings)


class Server(uvicorn.Server):
    """A Uvicorn server that drains for ``drain`` seconds before stopping."""

    def __init__(
        self, config: uvicorn.Config, *, drain: float, parent: int | None = None
    ) -> None:
        super().__init__(config)
        self.drain = drain
        self.drain_started: float | None = None
        # A worker's supervisor: when it dies (killed outright, say), the
        # worker stops too rather than keep the port from its successor.
        self.parent = parent

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.drain_started is None and self.drain > 0:
            self.drain_started = time.monotonic()
            begin_draining()
            logger.info("draining for %.1fs before stopping", self.drain)
            return
        if self.should_exit and sig == signal.SIGINT:
            self.force_exit = True
        self.should_exit = True

    async def on_tick(self, counter: int) -> bool:
        parent = self.parent
        if parent and counter % PARENT_CHECK_TICKS == 0 and os.getppid() != parent:
            logger.warning("supervisor %s is gone; stopping", parent)
            self.parent = None
            self.handle_exit(signal.SIGTERM, None)
        started = self.drain_started
        if started is not None and time.monotonic() - started >= self.drain:
            self.should_exit = True
        return await super().on_tick(counter)


def serve(settings: Settings, *, workers: int = 1, reload: bool = False) -> None:
    """Run the server in the foreground until it is told to stop."""
    config = uvicorn.Config(
        "pyjang.server:app_factory",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers,
        reload=reload,
        proxy_headers=False,
        server_header=False,
        access_log=False,
        log_config=None,
        log_level=settings.log_level,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        timeout_graceful_shutdown=int(settings.shutdown_timeout) or None,
    )
    if reload:
        server = Server(config, drain=0)
        ChangeReload(config, target=server.run, sockets=[config.bind_socket()]).run()
    elif workers > 1:
        stop_within = settings.shutdown_drain + settings.shutdown_timeout
        run_workers(config, workers, serve_worker, stop_within=stop_within)
    else:
        Server(config, drain=settings.shutdown_drain).run()


def serve_worker(config: uvicorn.Config, listener: socket.socket) -> None:
    """Run one worker process on the parent's listening socket."""
    # Each worker reads the drain time itself: settings are not pickled.
    drain = load_settings().shutdown_drain
    Server(config, drain=drain, parent=os.getppid()).run(sockets=[listener])
