"""Trusted proxies: the client address, scheme and host behind balancers."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pyjang.middleware.proxies import ProxyHeadersMiddleware, parse_forwarded

TRUSTED = [ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("127.0.0.1/32")]


async def _noop(scope: Any, receive: Any, send: Any) -> None:
    return None


def rewrite(peer: str, headers: dict[str, str]) -> dict[str, Any]:
    scope: dict[str, Any] = {
        "type": "http",
        "client": (peer, 1234),
        "scheme": "http",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }
    middleware = ProxyHeadersMiddleware(_noop, trusted=TRUSTED)
    import asyncio

    asyncio.run(middleware(scope, None, None))
    return scope


def test_an_untrusted_peer_is_the_client_whatever_it_claims() -> None:
    scope = rewrite(
        "203.0.113.5", {"X-Forwarded-For": "1.2.3.4", "X-Forwarded-Proto": "https"}
    )
    assert scope["client"][0] == "203.0.113.5" and scope["scheme"] == "http"


def test_the_chain_is_walked_from_the_right_past_trusted_hops() -> None:
    headers = {
        "X-Forwarded-For": "6.6.6.6, 198.51.100.7, 10.1.1.1",
        "X-Forwarded-Proto": "https",
    }
    scope = rewrite("127.0.0.1", headers)
    assert scope["client"][0] == "198.51.100.7"
    assert scope["scheme"] == "https"
    assert scope["peer"] == ("127.0.0.1", 1234)


def test_forwarded_header_is_understood() -> None:
    headers = {
        "Forwarded": 'for=6.6.6.6, for="[2001:db8::1]:4711";proto=https;host=shop.test'
    }
    scope = rewrite("10.0.0.2", headers)
    assert scope["client"][0] == "2001:db8::1"
    assert scope["scheme"] == "https"
    assert dict(scope["headers"])[b"host"] == b"shop.test"


def test_forwarded_host_is_taken_only_from_trusted_peers() -> None:
    scope = rewrite(
        "203.0.113.5", {"Host": "real.test", "X-Forwarded-Host": "evil.test"}
    )
    assert dict(scope["headers"])[b"host"] == b"real.test"


@pytest.mark.parametrize(
    "garbage", ["", "unknown", "not-an-ip", "999.1.1.1", "a" * 5000, ",,,,"]
)
def test_garbage_chains_never_crash(garbage: str) -> None:
    scope = rewrite(
        "127.0.0.1", {"X-Forwarded-For": garbage, "X-Forwarded-Proto": "gopher"}
    )
    assert scope["scheme"] == "http"
    assert scope["client"][0]


@given(st.text(max_size=400))
def test_forwarded_parsing_never_raises(value: str) -> None:
    elements = parse_forwarded(value)
    assert isinstance(elements, list)
    rewrite(
        "127.0.0.1", {"Forwarded": value.encode("utf-8", "ignore").decode("latin-1")}
    )


def test_a_client_forwarded_header_beside_x_forwarded_for_is_ignored() -> None:
    headers = {"Forwarded": "for=9.9.9.9", "X-Forwarded-For": "198.51.100.7"}
    assert rewrite("127.0.0.1", headers)["client"][0] == "198.51.100.7"
