"""Add the security headers every HTML response should carry."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CONTENT_SECURITY_POLICY", "SecurityHeadersMiddleware"]

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'self'; "
    "object-src 'none'; frame-ancestors 'none'"
)
HSTS = "max-age=63072000; includeSubDomains"
_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "strict-origin-when-cross-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "cross-origin-opener-policy": "same-origin",
}


_RAW = [(name.encode(), value.encode()) for name, value in _HEADERS.items()]
_RAW_HSTS = (b"strict-transport-security", HSTS.encode())


class SecurityHeadersMiddleware:
    """Set CSP, nosniff, frame, referrer and permissions headers; HSTS on HTTPS."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                # A header the response already set wins, as with setdefault.
                headers = message.setdefault("headers", [])
                present = {name.lower() for name, _ in headers}
                wanted = [*_RAW, _RAW_HSTS] if self.hsts and https else _RAW
                extra = [pair for pair in wanted if pair[0] not in present]
                message["headers"] = [*headers, *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
