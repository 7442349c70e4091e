"""``GET /ready/session``: the cross-instance session probe, in process.

It must answer only direct loopback or trusted peers (never a request a
balancer relayed) or the metrics token, create and read back a probe value
through the real session store, and tell a foreign key from a foreign store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from pyjang import create_app
from pyjang.sessions import Signer
from pyjang.sessions.signing import new_token
from pyjang.settings import Settings
from tests.conftest import TEST_KEY, wait_ready

LOOPBACK = ("127.0.0.1", 40000)


@pytest.fixture
def probe_client(
    make_settings: Callable[..., Settings],
) -> Iterator[Callable[..., TestClient]]:
    """Return a factory of started clients that connect from ``client``."""
    clients: list[TestClient] = []

    def make(client: tuple[str, int] = LOOPBACK, **overrides: Any) -> TestClient:
        app = create_app(make_settings(**overrides))
        started = TestClient(
            app, base_url="https://testserver", follow_redirects=False, client=client
        )
        started.__enter__()
        clients.append(started)
        wait_ready(started)
        return started

    yield make
    for started in clients:
        started.__exit__(None, None, None)


def _session_cookie(response: Any) -> str:
    header = next(
        value
        for value in response.headers.get_list("set-cookie")
        if value.startswith("session_id=")
    )
    assert "Secure" in header and "HttpOnly" in header
    return str(header.split(";", 1)[0].split("=", 1)[1])


def test_a_probe_is_created_and_read_back(
    probe_client: Callable[..., TestClient],
) -> None:
    client = probe_client(instance_id="probe-one")
    created = client.get("/ready/session")
    assert created.status_code == 200
    body = created.json()
    assert body["instance"] == "probe-one" and body["store"] == "db"
    assert isinstance(body["probe"], str) and len(body["probe"]) >= 16
    cookie = _session_cookie(created)

    client.cookies.clear()
    again = client.get("/ready/session", headers={"Cookie": f"session_id={cookie}"})
    assert again.json() == {
        "instance": "probe-one",
        "store": "db",
        "probe": body["probe"],
    }
    assert "set-cookie" not in again.headers


def test_a_foreign_key_and_an_unknown_session_are_told_apart(
    probe_client: Callable[..., TestClient],
) -> None:
    client = probe_client()
    garbage = client.get("/ready/session", headers={"Cookie": "session_id=nonsense"})
    assert garbage.json()["probe"] is None and garbage.json()["cookie"] == "invalid"

    unknown = Signer([TEST_KEY.encode()]).sign(new_token())
    answer = client.get("/ready/session", headers={"Cookie": f"session_id={unknown}"})
    assert answer.json()["probe"] is None and answer.json()["cookie"] == "unknown"


@pytest.mark.parametrize(
    "header",
    [
        {"X-Forwarded-For": "203.0.113.9"},
        {"Forwarded": "for=203.0.113.9;proto=https"},
    ],
)
def test_a_relayed_request_gets_404(
    probe_client: Callable[..., TestClient], header: dict[str, str]
) -> None:
    client = probe_client(trusted_proxies="127.0.0.1/32")
    assert client.get("/ready/session", headers=header).status_code == 404
    assert client.get("/ready/session").status_code == 200


def test_other_peers_need_the_token(probe_client: Callable[..., TestClient]) -> None:
    outsider = probe_client(("203.0.113.5", 5000), metrics_token="probe-token-12345")
    assert outsider.get("/ready/session").status_code == 404
    wrong = {"Authorization": "Bearer not-the-token"}
    assert outsider.get("/ready/session", headers=wrong).status_code == 404
    right = {"Authorization": "Bearer probe-token-12345"}
    assert outsider.get("/ready/session", headers=right).status_code == 200


def test_a_trusted_proxy_asking_itself_is_let_in(
    probe_client: Callable[..., TestClient],
) -> None:
    proxy = probe_client(("10.1.2.3", 5000), trusted_proxies="10.0.0.0/8")
    assert proxy.get("/ready/session").status_code == 200
    relayed = {"X-Forwarded-For": "198.51.100.7"}
    assert proxy.get("/ready/session", headers=relayed).status_code == 404


def test_ready_itself_still_has_no_session(
    probe_client: Callable[..., TestClient],
) -> None:
    client = probe_client()
    ready = client.get("/ready")
    assert ready.status_code == 200
    assert "set-cookie" not in ready.headers
