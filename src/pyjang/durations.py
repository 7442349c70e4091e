"""Parse the human-friendly durations and sizes used in settings."""

from __future__ import annotations

import re

__all__ = ["format_duration", "parse_duration", "parse_size"]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_SIZE = re.compile(r"^\s*(\d+)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?\s*$", re.I)
_BYTES = {"b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def parse_duration(text: str | float) -> float:
    """Return seconds for ``30m``, ``12h``, ``7d``, ``1.5s`` or a bare number.

    Raises ``ValueError`` for anything else, including negative values.
    """
    if isinstance(text, int | float):
        if text < 0:
            raise ValueError("a duration cannot be negative")
        return float(text)
    match = _DURATION.match(text)
    if match is None:
        raise ValueError("use a number with ms, s, m, h or d, e.g. 30m")
    number, unit = match.groups()
    return float(number) * _SECONDS[unit or "s"]


def parse_size(text: str | int) -> int:
    """Return bytes for ``512k``, ``1MB``, ``2m`` or a bare number of bytes."""
    if isinstance(text, int):
        if text < 0:
            raise ValueError("a size cannot be negative")
        return text
    match = _SIZE.match(text)
    if match is None:
        raise ValueError("use a number of bytes, optionally with k, m or g")
    number, unit = match.groups()
    return int(number) * _BYTES[(unit or "b")[0].lower()]


def format_duration(seconds: float) -> str:
    """Return the shortest exact spelling of ``seconds`` (``90`` → ``90s``)."""
    for unit in ("d", "h", "m"):
        size = _SECONDS[unit]
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"
