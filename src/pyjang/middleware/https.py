"""Send plain-HTTP visitors to HTTPS in production."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import URL
from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["HTTPSRedirectMiddleware"]


class HTTPSRedirectMiddleware:
    """Redirect ``http`` requests to the same URL on ``https`` (308).

    The scheme is the one :class:`ProxyHeadersMiddleware` settled on, so a
    request that reached a trusted TLS-terminating balancer never loops.
    """

    def __init__(self, app: ASGIApp, *, exempt: Sequence[str] = ()) -> None:
        self.app = app
        self.exempt = tuple(exempt)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope.get("scheme") == "http"
            and not scope["path"].startswith(self.exempt)
        ):
            url = URL(scope=scope).replace(scheme="https")
            if url.port == 80:
                url = url.replace(port=None)
            await RedirectResponse(str(url), status_code=308)(scope, receive, send)
            return
        await self.app(scope, receive, send)
