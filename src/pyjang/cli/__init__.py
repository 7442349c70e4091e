"""The ``pyjang`` command line."""

from __future__ import annotations

import sys

import click

from pyjang.cli.check import check_command
from pyjang.cli.cluster import cluster_group
from pyjang.cli.database import makemigrations_command, migrate_command, seed_command
from pyjang.cli.generate import generate_command
from pyjang.cli.generators import addmodel_command, addpage_command, new_command
from pyjang.cli.run import run_command
from pyjang.errors import PyjangError

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="pyjang")
def cli() -> None:
    """pyjang: a batteries-included, HTMX-first web framework that scales out."""


cli.add_command(run_command)
cli.add_command(migrate_command)
cli.add_command(makemigrations_command)
cli.add_command(seed_command)
cli.add_command(generate_command)
cli.add_command(cluster_group)
cli.add_command(check_command)
cli.add_command(new_command)
cli.add_command(addmodel_command)
cli.add_command(addpage_command)


def main() -> None:
    """Run the command line; a pyjang error is one line and exit status 1."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except PyjangError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
