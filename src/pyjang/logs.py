"""Logging: one JSON object a line in production, readable text in development.

Every record carries the request id and the instance id, so lines from many
instances behind one balancer can be told apart and followed per request.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import IO, Any

__all__ = [
    "BatchingHandler",
    "ContextFilter",
    "JSONFormatter",
    "configure_logging",
    "request_id",
]

FLUSH_SECONDS = 0.2

request_id: ContextVar[str] = ContextVar("request_id", default="-")
_instance = {"id": "-"}
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
# What json.dumps(entry, default=str) builds on every call, built once.
_ENCODER = json.JSONEncoder(default=str)


class ContextFilter(logging.Filter):
    """Add ``request_id`` and ``instance`` to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        record.instance = _instance["id"]
        return True


def _timestamp(record: logging.LogRecord) -> str:
    # ISO 8601 in UTC to the millisecond; the part up to the second is the
    # same for every line within it, so it is formatted once per second.
    second = int(record.created)
    if _second[0] != second:
        moment = datetime.fromtimestamp(second, UTC)
        _second[:] = [second, moment.strftime("%Y-%m-%dT%H:%M:%S")]
    return f"{_second[1]}.{int(record.msecs):03d}+00:00"


_second: list[Any] = [None, ""]


class JSONFormatter(logging.Formatter):
    """Format a record as one JSON object with its extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": _timestamp(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return _ENCODER.encode(entry)


class BatchingHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Write records to a block-buffered stream and flush it in batches.

    A line per request, each written with its own system call, costs more
    than the request it describes. Records are flushed at once from WARNING
    up, otherwise at most ``interval`` seconds later by a background thread,
    and at exit; a process killed outright loses that much of INFO.
    """

    def __init__(self, stream: IO[str], *, interval: float = FLUSH_SECONDS) -> None:
        super().__init__(stream)
        self.interval = interval
        self._pending = False
        self._flusher: threading.Thread | None = None
        self._flusher_pid = 0

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.stream.write(self.format(record) + self.terminator)
        except Exception:
            self.handleError(record)
            return
        if record.levelno >= logging.WARNING:
            self.flush()
        elif not self._pending:
            self._pending = True
            self._start_flusher()

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            self._pending = False
            super().flush()

    def _start_flusher(self) -> None:
        # One thread per process, started by the first record it must flush
        # (a forked child does not inherit the parent's thread).
        if self._flusher is not None and self._flusher_pid == os.getpid():
            return
        self._flusher_pid = os.getpid()
        self._flusher = threading.Thread(
            target=self._flush_forever, name="pyjang-log-flush", daemon=True
        )
        self._flusher.start()

    def _flush_forever(self) -> None:
        while True:
            time.sleep(self.interval)
            if self._pending:
                self.flush()


def _stderr() -> IO[str]:
    # A block-buffered writer on the same file descriptor; where stderr is
    # not a real file (a test's capture), stderr itself.
    try:
        descriptor = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        return sys.stderr
    return open(  # kept open for the life of the process
        descriptor,
        "w",
        buffering=1 << 16,
        encoding="utf-8",
        errors="backslashreplace",
        closefd=False,
    )


_TEXT = "%(asctime)s %(levelname)-7s %(instance)s %(request_id)s %(name)s: %(message)s"


def configure_logging(*, level: str, style: str, instance: str) -> None:
    """Send pyjang's and the server's logs to stderr in ``style`` (json or text)."""
    _instance["id"] = instance
    handler = BatchingHandler(_stderr())
    handler.addFilter(ContextFilter())
    handler.setFormatter(
        JSONFormatter() if style == "json" else logging.Formatter(_TEXT)
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_pyjang", False):
            root.removeHandler(old)
    handler._pyjang = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    for noisy in ("alembic", "watchfiles"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
