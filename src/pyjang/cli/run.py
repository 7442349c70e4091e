"""``pyjang run``: serve the starter app or the user's own."""

from __future__ import annotations

import logging
import os
import socket
import sys
from pathlib import Path

import click

from pyjang.cli.devkey import DEV_KEY_PATH, dev_session_key
from pyjang.logs import configure_logging
from pyjang.project import find_project
from pyjang.server import APP_VARIABLE, load_user_app, serve
from pyjang.settings import load_settings

__all__ = ["run_command"]

logger = logging.getLogger("pyjang.cli")


@click.command("run")
@click.option(
    "--dev", is_flag=True, help="Development mode: DEBUG=true, a local key, text logs."
)
@click.option("--host", help="Listen address (default: HOST or 127.0.0.1).")
@click.option(
    "--port", type=click.IntRange(0, 65535), help="Listen port (default: PORT or 8080)."
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Worker processes sharing the port.",
)
@click.option(
    "--reload", is_flag=True, help="Restart when source files change (with --dev)."
)
@click.option(
    "--app",
    "app_spec",
    metavar="MODULE:ATTR",
    help="Serve your own app (an app built with create_app, or a factory).",
)
def run_command(
    dev: bool,
    host: str | None,
    port: int | None,
    workers: int,
    reload: bool,
    app_spec: str | None,
) -> None:
    """Serve the app until SIGTERM or Ctrl-C, draining first."""
    if dev:
        os.environ["DEBUG"] = "true"
        # One development process has no balancer to drain for.
        os.environ.setdefault("SHUTDOWN_DRAIN", "0")
    if host is not None:
        os.environ["HOST"] = host
    if port is not None:
        os.environ["PORT"] = str(port)
    project = find_project()
    app_spec = app_spec or (project.app if project else None)
    if project is not None:
        _importable(project.root)
    if app_spec:
        os.environ[APP_VARIABLE] = app_spec
    settings = load_settings()
    if settings.debug and settings.session_key is None:
        key, created = dev_session_key()
        os.environ["SESSION_KEY"] = key
        verb = (
            "generated a development SESSION_KEY in"
            if created
            else "using the development SESSION_KEY in"
        )
        click.echo(
            f"pyjang: {verb} {DEV_KEY_PATH} (owner-only; not for production)", err=True
        )
        settings = load_settings()
    if reload and not settings.debug:
        raise click.UsageError("--reload is for development; add --dev")
    if reload and workers > 1:
        raise click.UsageError("--reload runs one process; drop --workers")
    if app_spec:
        load_user_app(app_spec)  # fail here, as one line, rather than in a worker
    configure_logging(
        level=settings.log_level,
        style=settings.log_style,
        instance=settings.instance_name,
    )
    _check_port(settings.host, settings.port)
    _announce(settings, workers)
    serve(settings, workers=workers, reload=reload)


def _check_port(host: str, port: int) -> None:
    # Fail as one line here rather than as the server's multi-line bind error.
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise click.ClickException(f"cannot resolve HOST {host!r}: {error}") from None
    family, kind, _, _, address = infos[0]
    with socket.socket(family, kind) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            raise click.ClickException(
                f"cannot listen on {host}:{port}: {error.strerror}; "
                "stop what uses it or choose another --port"
            ) from None


def _importable(root: Path) -> None:
    # Workers are new interpreters: they find the project through PYTHONPATH.
    paths = [str(root), *filter(None, [os.environ.get("PYTHONPATH")])]
    os.environ["PYTHONPATH"] = os.pathsep.join(paths)
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))


def _announce(settings: object, workers: int) -> None:
    from pyjang.settings import Settings

    assert isinstance(settings, Settings)
    budget = workers * (settings.database_pool_size + settings.database_max_overflow)
    logger.info(
        "serving on http://%s:%d instance=%s workers=%d store=%s "
        "database connections up to %d (workers x (pool size + overflow)); "
        "keep it under PostgreSQL max_connections across all instances",
        settings.host,
        settings.port,
        settings.instance_name,
        workers,
        settings.store_backend,
        budget,
    )
    if not settings.debug and settings.public_url is None:
        logger.warning(
            "PUBLIC_URL is not set: password-reset mails cannot be sent and "
            "Origin checks know only the Host header; set it to the site's URL"
        )
    if settings.store_backend == "memory" and workers > 1:
        logger.warning(
            "SESSION_STORE=memory with %d workers: each worker has its own sessions "
            "and rate limits; use db or redis",
            workers,
        )
