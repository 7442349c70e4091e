"""Logging: one JSON object a line in production, readable text in development.

Every record carries the request id and the instance id, so lines from many
instances behind one balancer can be told apart and followed per request.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

__all__ = ["ContextFilter", "JSONFormatter", "configure_logging", "request_id"]

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


_TEXT = "%(asctime)s %(levelname)-7s %(instance)s %(request_id)s %(name)s: %(message)s"


def configure_logging(*, level: str, style: str, instance: str) -> None:
    """Send pyjang's and the server's logs to stderr in ``style`` (json or text)."""
    _instance["id"] = instance
    handler = logging.StreamHandler(sys.stderr)
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
