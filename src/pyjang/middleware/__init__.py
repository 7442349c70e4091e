"""Plain ASGI middleware of the request pipeline, outermost first.

:class:`RequestLogMiddleware` → :class:`ProxyHeadersMiddleware` →
:class:`SecurityHeadersMiddleware` → :class:`AllowedHostsMiddleware` →
:class:`HTTPSRedirectMiddleware` → :class:`BodyLimitMiddleware` → sessions →
auth → CSRF → routes. Each steps aside at once for scopes it does not handle.
"""

from pyjang.middleware.bodylimit import BodyLimitMiddleware
from pyjang.middleware.headers import SecurityHeadersMiddleware
from pyjang.middleware.hosts import AllowedHostsMiddleware
from pyjang.middleware.https import HTTPSRedirectMiddleware
from pyjang.middleware.proxies import ProxyHeadersMiddleware, client_ip
from pyjang.middleware.requestlog import RequestLogMiddleware

__all__ = [
    "AllowedHostsMiddleware",
    "BodyLimitMiddleware",
    "HTTPSRedirectMiddleware",
    "ProxyHeadersMiddleware",
    "RequestLogMiddleware",
    "SecurityHeadersMiddleware",
    "client_ip",
]
