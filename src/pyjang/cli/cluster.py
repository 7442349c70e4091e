"""``pyjang cluster``: a local cluster of instances behind a real balancer."""

from __future__ import annotations

import contextlib
import json
import signal
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

import click
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from pyjang.cluster.lifecycle import MAX_INSTANCES, UpOptions, down, up
from pyjang.cluster.rolling import blue_green, rolling_restart
from pyjang.cluster.state import BalancerKind, ClusterPaths, ClusterState
from pyjang.cluster.status import cluster_status

__all__ = ["OneLineCommand", "cluster_group", "steps", "wide_console"]

_HELP = {"help_option_names": ["-h", "--help"]}


class OneLineCommand(click.Command):
    """A command whose bad arguments are reported in one line, not a usage."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as error:
            message = f"{error.format_message()} (see --help)"
            raise click.ClickException(message) from None


def _console() -> Console:
    return Console(stderr=True, highlight=False)


@contextlib.contextmanager
def steps() -> Iterator[Any]:
    """Show each step of long work with a spinner; yield the ``say`` function."""
    columns = (
        SpinnerColumn(finished_text="[green]✓[/]"),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=_console()) as progress:
        current: list[Any] = []

        def say(text: str) -> None:
            if current:
                progress.update(current[-1], completed=1)
            current.append(progress.add_task(text, total=1))

        yield say
        if current:
            progress.update(current[-1], completed=1)


@click.group("cluster", context_settings=_HELP)
def cluster_group() -> None:
    """Run N instances behind HAProxy or nginx on this machine.

    State, logs and generated configs live in .pyjang/cluster/ in the
    current folder. DATABASE_URL and REDIS_URL are used when set; otherwise
    throwaway PostgreSQL and Redis servers are started there.
    """


@cluster_group.command("up", cls=OneLineCommand, context_settings=_HELP)
@click.option(
    "-n",
    "--instances",
    "size",
    type=click.IntRange(1, MAX_INSTANCES),
    default=3,
    show_default=True,
    help="Number of app instances.",
)
@click.option(
    "--lb",
    type=click.Choice(["haproxy", "nginx"]),
    default="haproxy",
    show_default=True,
    help="The load balancer to run.",
)
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=8000,
    show_default=True,
    help="Balancer port; instances take the next ports, the stats page the last.",
)
@click.option("--app", metavar="MODULE:ATTR", help="Serve your own app.")
@click.option(
    "--foreground", is_flag=True, help="Stay attached; Ctrl-C stops the cluster."
)
@click.option(
    "--keep-data",
    is_flag=True,
    help="With --foreground: keep the throwaway data when stopping.",
)
def up_command(
    size: int, lb: str, port: int, app: str | None, foreground: bool, keep_data: bool
) -> None:
    """Start the cluster and return once every part is ready.

    Starts N instances, the balancer and, unless DATABASE_URL and REDIS_URL
    are set, a throwaway PostgreSQL and Redis; all keep running in the
    background until `pyjang cluster down`.
    """
    paths = ClusterPaths.here()
    kind: BalancerKind = "nginx" if lb == "nginx" else "haproxy"
    options = UpOptions(size=size, balancer=kind, port=port, app=app)
    with steps() as say:
        state = up(paths, options, say)
    _summary(state)
    if foreground:
        _wait_for_signal()
        with steps() as say:
            down(paths, keep_data=keep_data, say=say)
        click.echo("cluster stopped")


def _summary(state: ClusterState) -> None:
    names = ", ".join(f"{i.name} {i.url}" for i in state.instances)
    click.echo(f"cluster up: {state.balancer.kind} on {state.balancer.url}")
    click.echo(f"instances: {names}")
    click.echo("next: `pyjang cluster status`, `pyjang check`, `pyjang cluster down`")


def _wait_for_signal() -> None:
    stopped = threading.Event()

    def handler(sig: int, frame: FrameType | None) -> None:
        stopped.set()

    previous = {
        sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    click.echo("running in the foreground; press Ctrl-C to stop")
    try:
        while not stopped.wait(0.5):
            pass
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _mark(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "[green]✓[/]" if value else "[red]✗[/]"
    return str(value)


def _status_table(status: dict[str, Any]) -> Table:
    table = Table(title=f"cluster in {status['state_dir']}")
    columns = ("part", "pid", "port", "url", "live", "ready", "instance", "key_id")
    for column in (*columns, "requests"):
        table.add_column(column, no_wrap=column in ("url", "part"))
    for item in status["instances"]:
        values = (item[key] for key in ("pid", "port", "url", "live", "ready"))
        key_id = item["key_id"][:8] if item["key_id"] else None
        extra = (item["instance"], key_id, item["requests"])
        table.add_row(item["name"], *map(_mark, values), *map(_mark, extra))
    lb = status["balancer"]
    values = (lb[key] for key in ("pid", "port", "url", "live", "ready"))
    table.add_row(lb["kind"], *map(_mark, values), "-", "-", "-")
    for service in status["services"]:
        values = (service[key] for key in ("pid", "port", "url", "live"))
        table.add_row(service["kind"], *map(_mark, values), "-", "-", "-", "-")
    return table


def _balancer_line(status: dict[str, Any]) -> str:
    lb = status["balancer"]
    servers = ", ".join(f"{name} {state}" for name, state in lb["servers"].items())
    rotation = ", ".join(lb["in_rotation"]) or "none"
    line = f"{lb['kind']} stats: {lb['stats_url']}; in rotation: {rotation}"
    return f"{line}; servers: {servers}" if servers else line


def wide_console() -> Console:
    """Return a console for tables: the terminal's width, or 120 when piped."""
    console = Console(highlight=False)
    # Piped output has no width of its own; give the table room for its URLs.
    return console if console.is_terminal else Console(highlight=False, width=120)


@cluster_group.command("status", cls=OneLineCommand, context_settings=_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def status_command(as_json: bool) -> None:
    """Show every part: pid, port, url, live, ready, instance, key_id, requests."""
    status = cluster_status(ClusterPaths.here())
    if as_json:
        click.echo(json.dumps(status, indent=2))
        return
    console = wide_console()
    console.print(_status_table(status))
    console.print(_balancer_line(status), soft_wrap=True)


@cluster_group.command("restart", cls=OneLineCommand, context_settings=_HELP)
def restart_command() -> None:
    """Restart the instances one at a time, with no failed request."""
    with steps() as say:
        state = rolling_restart(ClusterPaths.here(), say)
    click.echo(f"restarted {len(state.instances)} instance(s)")


@cluster_group.command("deploy", cls=OneLineCommand, context_settings=_HELP)
@click.option(
    "--blue-green/--rolling",
    "switch",
    default=False,
    show_default=True,
    help="Switch to a second set of instances, or restart one at a time.",
)
def deploy_command(switch: bool) -> None:
    """Replace every instance (to pick up new code) with no failed request.

    --blue-green starts a second set of instances on the ports after the
    first set's, waits until they are ready, switches the balancer to them,
    then drains and stops the old set. --rolling is `pyjang cluster restart`.
    """
    paths = ClusterPaths.here()
    with steps() as say:
        state = blue_green(paths, say) if switch else rolling_restart(paths, say)
    click.echo(f"now serving from the {state.color} instances")


@cluster_group.command("down", cls=OneLineCommand, context_settings=_HELP)
@click.option(
    "--keep-data",
    is_flag=True,
    help="Keep the throwaway data, the secrets and the logs for the next `up`.",
)
def down_command(keep_data: bool) -> None:
    """Stop everything the cluster started and remove its state."""
    with steps() as say:
        down(ClusterPaths.here(), keep_data=keep_data, say=say)
    click.echo("cluster stopped")
