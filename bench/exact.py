"""Count Redis commands and SQL statements per request exactly.

Under wrk the counts per request are a little high: requests still in flight
when wrk stops reach the stores but not wrk's total. Here a fixed number of
requests go one after another over one connection, every answer is checked,
and the store counters are read before and after.
"""

from __future__ import annotations

import http.client
from pathlib import Path

from bench.counters import Counters, Snapshot

__all__ = ["COUNTED_REQUESTS", "count_per_request"]

COUNTED_REQUESTS = 200
PATHS = {"dashboard": "/dashboard", "hello": "/hello"}
MARKERS = {"dashboard": b'<strong id="user-email">user', "hello": b"hello, world"}


def _cookies(request_file: Path | None) -> list[str]:
    if request_file is None:
        return [""]
    lines = request_file.read_text().splitlines()
    return [line.split("\t", 1)[0] for line in lines if line] or [""]


def count_per_request(
    port: int, workload: str, request_file: Path | None, counters: Counters
) -> dict[str, float]:
    """Return Redis commands and SQL statements per ``workload`` request.

    Raises RuntimeError when an answer is not the expected page.
    """
    cookies = _cookies(request_file)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    before = counters.snapshot()
    try:
        for number in range(COUNTED_REQUESTS):
            cookie = cookies[number % len(cookies)]
            headers = {"Cookie": cookie} if cookie else {}
            connection.request("GET", PATHS[workload], headers=headers)
            answer = connection.getresponse()
            body = answer.read()
            if answer.status != 200 or MARKERS[workload] not in body:
                raise RuntimeError(
                    f"counting {workload} on port {port}: got {answer.status}"
                )
    finally:
        connection.close()
    delta: Snapshot = counters.snapshot() - before
    return {
        "redis_per_request": delta.redis_commands / COUNTED_REQUESTS,
        "sql_statements_per_request": delta.statements / COUNTED_REQUESTS,
        "sql_transactions_per_request": delta.transactions / COUNTED_REQUESTS,
    }
