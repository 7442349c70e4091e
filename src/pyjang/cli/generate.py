"""``pyjang generate``: write deployment files from the current settings."""

from __future__ import annotations

from pathlib import Path

import click

from pyjang.deploy import TARGETS, Plan, build_files, parse_servers, write_files
from pyjang.errors import PyjangError
from pyjang.settings import Settings, load_settings

__all__ = ["generate_command"]


class _OneLineCommand(click.Command):
    """A command whose bad arguments are reported in one line, not a usage."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as error:
            message = f"{error.format_message()} (see --help)"
            raise click.ClickException(message) from None


def _settings() -> Settings:
    # The files only name secrets, so a missing SESSION_KEY is no reason to
    # refuse; every other setting is validated as usual.
    return load_settings(debug=True)


@click.command(
    "generate",
    cls=_OneLineCommand,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.argument("target", type=click.Choice([*TARGETS, "all"]), metavar="TARGET")
@click.option(
    "--out",
    default="deploy",
    show_default=True,
    metavar="DIR",
    help="Folder to write into; each target gets a subfolder.",
)
@click.option(
    "--instances",
    "-n",
    type=click.IntRange(1, 100),
    default=2,
    show_default=True,
    help="Instances per server, Compose replicas or Kubernetes replicas.",
)
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    help="First instance's port; the next ones follow it (default: PORT or 8080).",
)
@click.option(
    "--servers",
    metavar="HOST:PORT,…",
    help="Instances on other servers for the balancer, instead of loopback ones.",
)
@click.option(
    "--app", metavar="MODULE:ATTR", help="Your own app, passed to `pyjang run`."
)
@click.option(
    "--tls/--no-tls",
    default=True,
    show_default=True,
    help="Terminate TLS at the balancer and redirect plain HTTP to HTTPS.",
)
@click.option(
    "--image",
    default="pyjang-app:latest",
    show_default=True,
    help="Container image for Compose, Kubernetes and the Dockerfile's build tag.",
)
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
def generate_command(
    target: str,
    out: str,
    instances: int,
    port: int | None,
    servers: str | None,
    app: str | None,
    tls: bool,
    image: str,
    force: bool,
) -> None:
    """Write deployment files for TARGET from the current settings.

    \b
    TARGET is one of:
      haproxy     haproxy/haproxy.cfg: TLS, /ready checks, safe retries
      nginx       nginx/pyjang.conf: a site file for /etc/nginx/conf.d
      systemd     systemd/pyjang@.service, pyjang.target, pyjang.env.example
      compose     compose/compose.yaml with PostgreSQL, Redis and HAProxy,
                  plus the Dockerfile it builds
      kubernetes  kubernetes/pyjang.yaml: Deployment, Service, budget, Ingress
      dockerfile  docker/Dockerfile and its .dockerignore
      all         every one of the above

    Secrets (SESSION_KEY, CSRF_SECRET, passwords, ...) are never written;
    the files refer to them by name and the examples hold placeholders.
    Nothing is written when any file already exists, unless --force.
    """
    try:
        plan = _plan(instances, port, servers, app, tls, image)
        files = build_files(target, plan, out=Path(out))
        written = write_files(files, Path(out), force=force)
    except (ValueError, PyjangError) as error:
        raise click.ClickException(str(error)) from None
    except OSError as error:
        where = error.filename or out
        raise click.ClickException(f"cannot write {where}: {error.strerror}") from None
    for path in written:
        click.echo(f"wrote {path}")


def _plan(
    instances: int,
    port: int | None,
    servers: str | None,
    app: str | None,
    tls: bool,
    image: str,
) -> Plan:
    backends = tuple(parse_servers(servers)) if servers is not None else ()
    return Plan(
        settings=_settings(),
        instances=instances,
        port=port,
        app=app,
        servers=backends,
        tls=tls,
        image=image,
    )
