"""Log lines: one JSON object each, written in batches but never lost or late."""

from __future__ import annotations

import json
import logging
import os
import select
import selectors
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

from pyjang import logs
from pyjang.logs import FLUSH_SECONDS

# A process that configures pyjang's logging, logs, and waits for a line on
# stdin before doing the next step, so the test sees what reached stderr when.
SCRIPT = """
import logging, sys
from pyjang.logs import configure_logging
configure_logging(level="info", style="json", instance="logtest")
log = logging.getLogger("pyjang.test")
log.info("first %s", "info", extra={"n": 1})
sys.stdin.readline()
log.warning("a warning")
sys.stdin.readline()
for n in range(2000):
    log.info("bulk", extra={"n": n})
log.info("last before exit")
"""


def _lines_within(stream: IO[bytes], seconds: float) -> list[dict[str, object]]:
    selector = selectors.DefaultSelector()
    selector.register(stream, selectors.EVENT_READ)
    data = b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if selector.select(timeout=0.05):
            chunk = os.read(stream.fileno(), 1 << 16)
            if not chunk:
                break
            data += chunk
    selector.close()
    return [json.loads(line) for line in data.decode().splitlines() if line]


@pytest.fixture
def logger_process() -> Iterator[subprocess.Popen[bytes]]:
    with subprocess.Popen(
        [sys.executable, "-c", SCRIPT], stdin=subprocess.PIPE, stderr=subprocess.PIPE
    ) as process:
        try:
            yield process
        finally:
            process.kill()


def _step(process: subprocess.Popen[bytes]) -> None:
    assert process.stdin is not None
    process.stdin.write(b"\n")
    process.stdin.flush()


def test_an_info_line_arrives_within_the_flush_interval(
    logger_process: subprocess.Popen[bytes],
) -> None:
    assert logger_process.stderr is not None
    lines = _lines_within(logger_process.stderr, FLUSH_SECONDS * 10)
    assert [line["msg"] for line in lines] == ["first info"]
    assert lines[0]["n"] == 1 and lines[0]["instance"] == "logtest"


def test_a_warning_is_written_at_once(
    logger_process: subprocess.Popen[bytes],
) -> None:
    assert logger_process.stderr is not None
    first = _lines_within(logger_process.stderr, FLUSH_SECONDS * 10)
    assert [line["msg"] for line in first] == ["first info"]
    _step(logger_process)
    # Well within the batching interval: a warning does not wait for a batch.
    lines = _lines_within(logger_process.stderr, FLUSH_SECONDS / 2)
    assert [line["msg"] for line in lines] == ["a warning"]


def test_every_line_reaches_the_stream_by_exit(
    logger_process: subprocess.Popen[bytes],
) -> None:
    _, err = logger_process.communicate(b"\n\n", timeout=60)
    lines = [json.loads(line) for line in err.decode().splitlines()]
    bulk = [line["n"] for line in lines if line["msg"] == "bulk"]
    assert bulk == list(range(2000))
    assert lines[0]["msg"] == "first info" and lines[-1]["msg"] == "last before exit"


def test_batches_are_written_in_whole_lines_that_fit_a_pipe(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    writes: list[bytes] = []
    real_write = os.write

    def recording_write(descriptor: int, data: bytes) -> int:
        writes.append(bytes(data))
        return real_write(descriptor, data)

    monkeypatch.setattr(logs.os, "write", recording_write)
    with (tmp_path / "log").open("w") as target:
        handler = logs.BatchingHandler(target)
        handler.setFormatter(logging.Formatter("%(message)s"))
        for n in range(300):
            record = {"msg": f"line {n} " + "x" * 60, "levelno": logging.INFO}
            handler.handle(logging.makeLogRecord(record))
        handler.close()
    assert len(writes) > 1
    assert all(len(w) <= select.PIPE_BUF and w.endswith(b"\n") for w in writes)
    lines = (tmp_path / "log").read_text().splitlines()
    assert [line.split()[1] for line in lines] == [str(n) for n in range(300)]
