"""Run several server processes on one listening socket, and stop them cleanly.

The parent binds the port once and starts each worker with the socket; on
SIGTERM or SIGINT it passes SIGTERM on, so every worker drains and finishes
its requests, then waits for them and exits 0. A worker that dies on its own
is replaced.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import shutil
import signal
import socket
import tempfile
import time
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from types import FrameType

import uvicorn

__all__ = ["run_workers"]

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.5
STOP_MARGIN_SECONDS = 5.0

WorkerTarget = Callable[[uvicorn.Config, socket.socket], None]


def run_workers(
    config: uvicorn.Config, count: int, target: WorkerTarget, *, stop_within: float
) -> None:
    """Serve ``config`` from ``count`` processes until told to stop."""
    context = multiprocessing.get_context("spawn")
    metrics_dir = _metrics_dir()
    listener = config.bind_socket()
    stopping = {"signal": 0}

    def start() -> BaseProcess:
        process = context.Process(target=target, args=(config, listener), daemon=False)
        process.start()
        return process

    def on_signal(sig: int, _frame: FrameType | None) -> None:
        stopping["signal"] = sig

    previous = {
        sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)
    }
    processes = [start() for _ in range(count)]
    logger.info("started %d workers: %s", count, [p.pid for p in processes])
    try:
        while not stopping["signal"]:
            time.sleep(POLL_SECONDS)
            for index, process in enumerate(processes):
                if not process.is_alive() and not stopping["signal"]:
                    logger.warning(
                        "worker %s exited with %s; replacing it",
                        process.pid,
                        process.exitcode,
                    )
                    processes[index] = start()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _stop(processes, stop_within)
        listener.close()
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _metrics_dir() -> str | None:
    # Workers add their metrics up through files in one shared folder.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return None
    folder = tempfile.mkdtemp(prefix="pyjang-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    return folder


def _stop(processes: list[BaseProcess], within: float) -> None:
    for process in processes:
        if process.is_alive() and process.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + within + STOP_MARGIN_SECONDS
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            logger.error("worker %s did not stop in time; killing it", process.pid)
            process.kill()
            process.join()
