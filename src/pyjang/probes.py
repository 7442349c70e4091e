"""``GET /ready/session``: show that instances share sessions, with no account.

Without a session cookie the endpoint creates a session holding a random
probe value and answers ``{"instance", "store", "probe"}`` with the cookie
(``store`` is ``SESSION_STORE``: ``redis``, ``db`` or ``memory``). Sent that
cookie, any instance answers the probe value it finds in the session, or
``{"probe": null, "cookie": "invalid" | "unknown"}`` when the signature does
not verify (another ``SESSION_KEY``) or the store does not know the session
(another Redis or database). ``pyjang check`` creates a probe on one instance
and reads it on every other.

The endpoint loads and commits the session with the app's own session
manager, as the session middleware does, because ``/ready…`` paths skip that
middleware. It is open like ``/metrics``: to direct loopback peers and
``TRUSTED_PROXIES`` peers whose request carries no forwarded header (a request
relayed by the balancer comes from the world), or to ``Authorization: Bearer
$METRICS_TOKEN``. Everyone else gets 404.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Sequence

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pyjang.errors import StoreError
from pyjang.runtime import runtime

__all__ = ["PROBE_KEY", "operations_peer", "session_probe_route"]

PROBE_KEY = "_pyjang_probe"
_NO_STORE = {"Cache-Control": "no-store"}
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def operations_peer(
    request: Request, trusted: Sequence[Network], token: str | None
) -> bool:
    """Return True when ``request`` may reach an operations endpoint.

    That is a request with the bearer ``token``, or one straight from a
    loopback or trusted peer that no proxy relayed.
    """
    if token:
        sent = request.headers.get("authorization", "")
        if hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            return True
    if "x-forwarded-for" in request.headers or "forwarded" in request.headers:
        return False
    peer = request.scope.get("peer") or request.scope.get("client") or ("", 0)
    try:
        address = ipaddress.ip_address(peer[0])
    except ValueError:
        return False
    return address.is_loopback or any(address in net for net in trusted)


async def _probe(request: Request) -> Response:
    state = runtime(request)
    manager = state.sessions
    cookie = request.cookies.get(manager.cookie_name)
    body: dict[str, object] = {
        "instance": state.settings.instance_name,
        "store": state.settings.store_backend,
    }
    try:
        session = await manager.load(cookie)
        if cookie:
            value = session.get(PROBE_KEY)
            body["probe"] = value if isinstance(value, str) else None
            if body["probe"] is None:
                signed = manager.signer.verify(cookie) is not None
                body["cookie"] = "unknown" if signed else "invalid"
            return JSONResponse(body, headers=_NO_STORE)
        body["probe"] = session[PROBE_KEY] = secrets.token_urlsafe(16)
        set_cookie = await manager.commit(session, https=request.url.scheme == "https")
    except StoreError:
        body["error"] = "the session store is unavailable"
        return JSONResponse(body, status_code=503, headers=_NO_STORE)
    response = JSONResponse(body, headers=_NO_STORE)
    if set_cookie is not None:
        response.headers.append("set-cookie", set_cookie)
    return response


def session_probe_route(trusted: Sequence[Network], token: str | None) -> Route:
    """Return the ``/ready/session`` route, open as ``/metrics`` is."""

    async def session_probe(request: Request) -> Response:
        if not operations_peer(request, trusted, token):
            raise HTTPException(status_code=404)
        return await _probe(request)

    return Route("/ready/session", session_probe, methods=["GET"])
