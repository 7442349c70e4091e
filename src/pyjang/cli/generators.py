"""``pyjang new``, ``pyjang addmodel`` and ``pyjang addpage``: the generators."""

from __future__ import annotations

import os
from pathlib import Path

import click

from pyjang.generators.addmodel import add_model, check_new_model, plan_model
from pyjang.generators.fields import KINDS, parse_field
from pyjang.generators.files import GeneratorError, Plan
from pyjang.generators.layout import locate
from pyjang.generators.model import ModelSpec
from pyjang.generators.page import plan_page
from pyjang.generators.project import new_project

__all__ = ["addmodel_command", "addpage_command", "new_command"]

MAX_FIELDS = 100
FIELD_HELP = (
    "Each FIELD is name:type[:option…]. Types: "
    + ", ".join(k for k in KINDS if k != "fk")
    + ", fk:Model (a reference to another model). Options: optional, unique,"
    " index, default=VALUE (today, now and new are computed per row) and, for"
    " strings, max=N."
)


def _where(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


@click.command("new")
@click.argument("name")
@click.option(
    "--directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="The folder to create (default: ./NAME); it must not exist.",
)
def new_command(name: str, directory: Path | None) -> None:
    """Start project NAME: an app, models, pages, migrations and tests of its own."""
    root = new_project(name, directory)
    click.echo(f"created {_where(root)}")
    click.echo(f"start it: cd {_where(root)} && pyjang run --dev")


def _ask_fields() -> list[str]:
    click.echo("Fields, one per line, as name:type[:option…]; an empty line ends.")
    fields: list[str] = []
    for _ in range(MAX_FIELDS):
        text = click.prompt("field", default="", show_default=False).strip()
        if not text:
            return fields
        try:
            parse_field(text)
        except GeneratorError as error:
            click.echo(f"error: {error}", err=True)
            continue
        fields.append(text)
    return fields


def _show(plan: Plan, what: str) -> None:
    click.echo(plan.describe())
    click.echo(f"dry run: nothing written ({what})")


@click.command("addmodel", epilog=FIELD_HELP)
@click.argument("name")
@click.argument("fields", nargs=-1, metavar="[FIELD]...")
@click.option(
    "--dry-run", is_flag=True, help="Print what would be written; write nothing."
)
@click.option("--icon", help="The model's symbol in the admin, such as 📦.")
def addmodel_command(
    name: str, fields: tuple[str, ...], dry_run: bool, icon: str | None
) -> None:
    """Add model NAME: its table and migration, forms, pages, admin and tests.

    Without FIELDs it asks for them, one per line. Run it inside a project
    made by `pyjang new`; it writes nothing unless every check passes.
    """
    layout = locate()
    check_new_model(layout, name)
    specs = list(fields) or _ask_fields()
    if dry_run:
        _show(plan_model(layout, name, specs, icon), "a real run also migrates")
        return
    written, revision = add_model(layout, name, specs, icon)
    for path in [*written, revision.relative_to(layout.root)]:
        click.echo(f"wrote {path.as_posix()}")
    url = ModelSpec(name, (), layout.package).url
    click.echo(f"next: pyjang run --dev, then open http://127.0.0.1:8080{url}")


@click.command("addpage")
@click.argument("name")
@click.option(
    "--login-required", is_flag=True, help="Only logged-in users see the page."
)
@click.option(
    "--dry-run", is_flag=True, help="Print what would be written; write nothing."
)
def addpage_command(name: str, login_required: bool, dry_run: bool) -> None:
    """Add page NAME at /NAME: a template, a route and a navigation link."""
    layout = locate()
    plan = plan_page(layout, name, login_required=login_required)
    if dry_run:
        _show(plan, "the page")
        return
    for path in plan.apply():
        click.echo(f"wrote {path.as_posix()}")
