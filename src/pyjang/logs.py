"""Logging: one JSON object a line in production, readable text in development.

Every record carries the request id and the instance id, so lines from many
instances behind one balancer can be told apart and followed per request.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import select
import sys
import threading
import time
import weakref
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
MAX_BATCH = 1000  # lines held before writing regardless of the interval

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


class BatchingHandler(logging.Handler):
    """Write formatted records to a file descriptor in batches.

    A line per request, each written with its own system call, costs more
    than the request it describes. Records are written at once from WARNING
    up, otherwise at most ``interval`` seconds later by a background thread,
    and at exit; a process killed outright loses that much of INFO. Each
    write holds whole lines and at most ``PIPE_BUF`` bytes, so workers
    sharing one pipe never interleave inside a line.
    """

    def __init__(self, stream: IO[str], *, interval: float = FLUSH_SECONDS) -> None:
        super().__init__()
        self.stream = stream
        self.interval = interval
        self._descriptor = _descriptor(stream)
        self._lines: list[str] = []
        self._pending = False
        self._closed = False
        self._flusher: threading.Thread | None = None
        _handlers.add(self)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._lines.append(self.format(record) + "\n")
        except Exception:
            self.handleError(record)
            return
        if record.levelno >= logging.WARNING or len(self._lines) >= MAX_BATCH:
            self.flush()
        elif not self._pending:
            self._pending = True
            self._wake_flusher()

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            lines, self._lines, self._pending = self._lines, [], False
            if not lines:
                return
            # When stderr is gone (a closed pipe) there is nowhere left to say so.
            with contextlib.suppress(OSError, ValueError):
                self._write(lines)

    def close(self) -> None:
        self.flush()
        self._closed = True
        super().close()

    def _write(self, lines: list[str]) -> None:
        if self._descriptor is None:
            self.stream.write("".join(lines))
            self.stream.flush()
            return
        chunk: list[bytes] = []
        size = 0
        for line in lines:
            data = line.encode("utf-8", "backslashreplace")
            if chunk and size + len(data) > select.PIPE_BUF:
                _write_all(self._descriptor, b"".join(chunk))
                chunk, size = [], 0
            chunk.append(data)
            size += len(data)
        _write_all(self._descriptor, b"".join(chunk))

    def _wake_flusher(self) -> None:
        # One thread per process, started by the first record that waits (a
        # forked child has none of its parent's threads).
        if self._flusher is None or not self._flusher.is_alive():
            self._flusher = threading.Thread(
                target=self._flush_forever, name="pyjang-log-flush", daemon=True
            )
            self._flusher.start()

    def _flush_forever(self) -> None:
        while not self._closed:
            time.sleep(self.interval)
            if self._pending:
                self.flush()

    def _after_fork(self) -> None:
        self._lines, self._pending, self._flusher = [], False, None


def _descriptor(stream: IO[str]) -> int | None:
    # Where stream is not a real file (a test's capture), it is written to
    # as a stream instead.
    try:
        return stream.fileno()
    except (AttributeError, OSError, ValueError):
        return None


def _write_all(descriptor: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]


_handlers: weakref.WeakSet[BatchingHandler] = weakref.WeakSet()


def _flush_before_fork() -> None:
    for handler in list(_handlers):
        handler.flush()


def _reset_after_fork() -> None:
    for handler in list(_handlers):
        handler._after_fork()


os.register_at_fork(before=_flush_before_fork, after_in_child=_reset_after_fork)


_TEXT = "%(asctime)s %(levelname)-7s %(instance)s %(request_id)s %(name)s: %(message)s"


def configure_logging(*, level: str, style: str, instance: str) -> None:
    """Send pyjang's and the server's logs to stderr in ``style`` (json or text)."""
    _instance["id"] = instance
    handler = BatchingHandler(sys.stderr)
    handler.addFilter(ContextFilter())
    handler.setFormatter(
        JSONFormatter() if style == "json" else logging.Formatter(_TEXT)
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_pyjang", False):
            root.removeHandler(old)
            old.close()
    handler._pyjang = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    for noisy in ("alembic", "watchfiles"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
