"""/metrics: Prometheus text, open to loopback and the token, summed over workers."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest
from starlette.testclient import TestClient

from tests.conftest import TEST_KEY


def test_metrics_refuse_an_unknown_peer(client: TestClient) -> None:
    assert client.get("/metrics").status_code == 403


def test_metrics_open_with_the_token(make_client: Any) -> None:
    client = make_client(metrics_token="scrape-token-0123456789")
    client.get("/")
    response = client.get(
        "/metrics", headers={"Authorization": "Bearer scrape-token-0123456789"}
    )
    assert response.status_code == 200
    assert "pyjang_requests_total" in response.text
    wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403


@pytest.mark.slow
def test_metrics_from_loopback_add_up_every_worker(servers: Any, tmp_path: Any) -> None:
    env = {
        "SESSION_KEY": TEST_KEY,
        "HTTPS_REDIRECT": "false",
        "DATABASE_URL": f"sqlite:///{tmp_path}/m.db",
    }
    server = servers("--workers", "2", env=env).start()
    with httpx2.Client(base_url=server.url) as http:
        for _ in range(40):
            assert http.get("/health").status_code == 200
        relayed = http.get("/metrics", headers={"X-Forwarded-For": "203.0.113.1"})
        assert relayed.status_code == 403, "a balancer-relayed request is not loopback"
        text = http.get("/metrics").text
    line = next(
        line
        for line in text.splitlines()
        if line.startswith("pyjang_requests_total") and 'route="/health"' in line
    )
    assert float(line.rsplit(" ", 1)[1]) >= 40
    assert "pyjang_request_duration_seconds_bucket" in text
    assert "pyjang_requests_in_flight" in text
    assert server.stop() == 0
