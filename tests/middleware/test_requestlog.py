"""The request log line: ids, and paths that cannot forge or split a line."""

from __future__ import annotations

import logging

import pytest
from starlette.testclient import TestClient

from pyjang.middleware.requestlog import MAX_LOGGED_PATH


def _logged_paths(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.path  # type: ignore[attr-defined]
        for record in caplog.records
        if record.name == "pyjang.request"
    ]


def test_a_line_break_in_the_path_cannot_forge_a_log_line(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    forged = "/a\r\n2026-12-04 19:00:00,000 WARNING pyjang.auth: admin logged in"
    with caplog.at_level(logging.INFO, logger="pyjang.request"):
        client.get(forged.replace("\r", "%0d").replace("\n", "%0a"))
    (path,) = _logged_paths(caplog)
    assert "\n" not in path and "\r" not in path
    assert path.startswith("/a\\r\\n2026")
    message = caplog.records[-1].getMessage()
    assert "\n" not in message


def test_a_huge_path_is_logged_cut_short(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="pyjang.request"):
        client.get("/" + "x" * 20_000)
    (path,) = _logged_paths(caplog)
    assert len(path) < MAX_LOGGED_PATH + 40
    assert path.endswith(f"...[{20_001 - MAX_LOGGED_PATH} more]")
