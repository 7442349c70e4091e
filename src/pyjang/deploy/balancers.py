"""Render HAProxy and nginx configurations for a set of pyjang backends.

Both renderers serve two uses. For a server they write the production
file: TLS terminated at the balancer, plain HTTP redirected to HTTPS except
the health checks, forwarded headers set. For a local cluster they write,
with ``tls=False`` and a ``state_dir``, a plain-HTTP config that runs in the
foreground as an ordinary user, keeping its pid file, logs and temporary
files inside that directory::

    text = render_haproxy(loopback_backends(8080, 3), listen_port=8000,
                          listen_host="127.0.0.1", stats_port=8404,
                          tls=False, state_dir=state)
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import Literal

from pyjang.deploy.model import (
    Backend,
    DnsDiscovery,
    TLSFiles,
    check_host,
    check_path,
    check_port,
    format_address,
)
from pyjang.deploy.templating import render

__all__ = ["DEFAULT_MAX_BODY_SIZE", "DEFAULT_TLS", "render_haproxy", "render_nginx"]

DEFAULT_MAX_BODY_SIZE = 1024 * 1024
DEFAULT_TLS = TLSFiles()
ANY_HOST = "*"
_SERVER_NAME = re.compile(r"^(_|(\*\.)?[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)$")
_USER = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")


def _listen(host: str, port: int, what: str) -> str:
    check_port(port, what)
    if host == ANY_HOST:
        return str(port)
    return format_address(check_host(host), port)


def _state(state_dir: str | os.PathLike[str] | None) -> str | None:
    if state_dir is None:
        return None
    return check_path(os.path.abspath(os.fspath(state_dir)), "state directory")


def _check_common(backends: Sequence[Backend], max_body_size: int) -> None:
    if not backends:
        raise ValueError("a balancer needs at least one backend")
    if max_body_size < 1:
        raise ValueError("the largest request body must be at least 1 byte")


def render_haproxy(
    backends: Sequence[Backend],
    *,
    listen_port: int = 80,
    listen_host: str = ANY_HOST,
    stats_port: int | None = 8404,
    tls: bool = True,
    tls_port: int = 443,
    tls_files: TLSFiles = DEFAULT_TLS,
    state_dir: str | os.PathLike[str] | None = None,
    admin_socket: str | None = None,
    balance: Literal["leastconn", "roundrobin"] = "leastconn",
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    dns: DnsDiscovery | None = None,
    log: str | None = None,
    run_as: str | None = None,
) -> str:
    """Return an ``haproxy.cfg`` that balances over ``backends``.

    Instances are checked with ``GET /ready``; a request is retried on
    another instance only when no connection could be made. The stats page
    listens on 127.0.0.1 at ``stats_port`` (``None`` leaves it out).
    ``state_dir`` holds the pid file; ``admin_socket`` adds the runtime
    API socket. ``dns`` resolves each backend's host to several instances.
    ``log`` is ``stdout``, ``stderr`` or a syslog address (default
    ``stderr`` with a ``state_dir``, else ``/dev/log``); ``run_as`` drops
    privileges to that user and group. Raises ``ValueError`` for a bad
    argument.
    """
    _check_common(backends, max_body_size)
    state = _state(state_dir)
    if run_as is not None and not _USER.match(run_as):
        raise ValueError(f"{run_as!r} is not a user name")
    stats = None
    if stats_port is not None:
        stats = format_address("127.0.0.1", check_port(stats_port, "stats port"))
    return render(
        "haproxy.cfg.j2",
        backends=list(backends),
        listen=_haproxy_bind(listen_host, listen_port, "listen port"),
        tls=tls,
        tls_listen=_haproxy_bind(listen_host, tls_port, "TLS port"),
        tls_port=tls_port,
        tls_files=tls_files,
        stats=stats,
        state_dir=state,
        admin_socket=_optional_path(admin_socket, "admin socket"),
        balance=balance,
        max_body_size=max_body_size,
        dns=dns,
        log=_haproxy_log(log, state),
        run_as=run_as,
    )


def _optional_path(path: str | None, what: str) -> str | None:
    return None if path is None else check_path(path, what)


def _haproxy_bind(host: str, port: int, what: str) -> str:
    address = _listen(host, port, what)
    return f":{address}" if host == ANY_HOST else address


def _haproxy_log(log: str | None, state: str | None) -> str:
    if log is None:
        return "stderr" if state else "/dev/log"
    if log in ("stdout", "stderr"):
        return log
    return check_path(log, "log socket")


def render_nginx(
    backends: Sequence[Backend],
    *,
    listen_port: int = 80,
    listen_host: str = ANY_HOST,
    stats_port: int | None = None,
    tls: bool = True,
    tls_port: int = 443,
    tls_files: TLSFiles = DEFAULT_TLS,
    server_names: Sequence[str] = ("_",),
    state_dir: str | os.PathLike[str] | None = None,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
) -> str:
    """Return an nginx configuration that balances over ``backends``.

    Without ``state_dir`` the result is a site file for nginx's ``http``
    block (``/etc/nginx/conf.d/pyjang.conf``). With ``state_dir`` it is a
    complete configuration for ``nginx -p DIR -c FILE`` that stays in the
    foreground and writes only inside that directory. ``stats_port`` adds
    a ``stub_status`` page on 127.0.0.1. Raises ``ValueError`` for a bad
    argument.
    """
    _check_common(backends, max_body_size)
    names = [name for name in server_names if _SERVER_NAME.match(name)]
    if not names or len(names) != len(server_names):
        raise ValueError("server names must be host names, *.domain or _")
    state = _state(state_dir)
    https_suffix = "" if tls_port == 443 else f":{tls_port}"
    stats = None
    if stats_port is not None:
        stats = format_address("127.0.0.1", check_port(stats_port, "stats port"))
    return render(
        "nginx.conf.j2" if state else "nginx-site.conf.j2",
        backends=list(backends),
        listen=_listen(listen_host, listen_port, "listen port"),
        tls=tls,
        tls_listen=_listen(listen_host, tls_port, "TLS port"),
        https_suffix=https_suffix,
        tls_files=tls_files,
        server_names=" ".join(names),
        stats=stats,
        state_dir=state,
        max_body_size=max_body_size,
    )
