"""``pyjang check``: verify that instances really work as one site."""

from __future__ import annotations

import json

import click
from rich.markup import escape
from rich.table import Table

from pyjang.cli.cluster import OneLineCommand, wide_console
from pyjang.cluster.checks import Result, check_instances, check_sessions
from pyjang.cluster.reach import check_balancer, check_login, failover
from pyjang.cluster.state import ClusterPaths, ClusterState
from pyjang.cluster.web import check_url
from pyjang.errors import CommandError

__all__ = ["check_command", "run_checks"]


def _targets(
    urls: tuple[str, ...], lb: str | None, drill: bool
) -> tuple[list[str], str | None]:
    try:
        checked = [check_url(url) for url in urls]
        balancer = check_url(lb) if lb else None
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    if checked and not drill:
        return checked, balancer
    paths = ClusterPaths.here()
    if not paths.state_file.exists():
        if drill:
            raise CommandError(
                "--failover works on a cluster `pyjang cluster up` started in this "
                "folder, and none runs here"
            )
        raise click.ClickException("give the URL of each instance (see --help)")
    state = ClusterState.load(paths)
    return checked or [i.url for i in state.instances], balancer or state.balancer.url


def run_checks(
    urls: list[str],
    lb: str | None,
    *,
    token: str | None,
    login: tuple[str, str] | None,
    drill: bool,
) -> list[Result]:
    """Run every check the options ask for, in order; return the results."""
    observed, results = check_instances(urls, token)
    if login is not None:
        results += check_login(observed, *login)
    else:
        results += check_sessions(observed, token)
    if lb is not None:
        results += check_balancer(lb, observed)
    if drill and lb is not None:
        results.append(failover(ClusterPaths.here(), lb, urls))
    return results


def _table(results: list[Result]) -> Table:
    table = Table(show_lines=False)
    for column in ("", "check", "target", "result"):
        table.add_column(column, overflow="fold")
    for result in results:
        mark = "[green]✓[/]" if result.ok else "[red]✗[/]"
        table.add_row(mark, result.check, escape(result.target), escape(result.detail))
    return table


@click.command(
    "check",
    cls=OneLineCommand,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.argument("urls", nargs=-1, metavar="[URL]...")
@click.option("--lb", metavar="URL", help="The balancer in front of the instances.")
@click.option(
    "--failover",
    "drill",
    is_flag=True,
    help="Kill one instance of the local cluster, check the balancer still answers, "
    "start it again.",
)
@click.option("--email", help="Log in with this account instead of a probe session.")
@click.option("--password", help="The account's password (with --email).")
@click.option(
    "--token",
    envvar="METRICS_TOKEN",
    show_envvar=True,
    help="METRICS_TOKEN, for instances this machine is no trusted peer of.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def check_command(
    urls: tuple[str, ...],
    lb: str | None,
    drill: bool,
    email: str | None,
    password: str | None,
    token: str | None,
    as_json: bool,
) -> None:
    """Check that instances at URL... work as one site.

    Each instance must answer /health and /ready and show the same key_id; a
    session created on one must be valid on every other; with --lb, requests
    through the balancer must reach every instance. With no URL, the cluster
    `pyjang cluster up` started in this folder is checked. Exits 1 when a
    check fails; each failure says what to change and where the deployment
    guide explains it.
    """
    if (email is None) != (password is None):
        raise click.ClickException("give --email and --password together")
    targets, balancer = _targets(urls, lb, drill)
    login = (email, password) if email is not None and password is not None else None
    results = run_checks(targets, balancer, token=token, login=login, drill=drill)
    failed = [result for result in results if not result.ok]
    if as_json:
        payload = {"ok": not failed, "checks": [r.as_dict() for r in results]}
        click.echo(json.dumps(payload, indent=2))
    else:
        wide_console().print(_table(results))
        if failed:
            click.echo(f"{len(failed)} of {len(results)} checks failed")
        else:
            click.echo(f"all {len(results)} checks passed")
    if failed:
        raise SystemExit(1)
