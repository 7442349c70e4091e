"""``pyjang addmodel NAME field:type …``: a model with everything it is served with.

One model writes ``models/<word>.py`` (columns and form rules),
``views/<words>.py`` (list, create, edit, delete), its templates, a test, a
link in the navigation, an admin registration and a migration. Every check
runs before the first write; a migration that fails review undoes them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pyjang.errors import PyjangError
from pyjang.generators.crud import (
    admin_code,
    model_templates,
    model_test,
    views_module,
)
from pyjang.generators.fields import FieldSpec, parse_field
from pyjang.generators.files import GeneratorError, Plan
from pyjang.generators.layout import Layout, add_nav_item
from pyjang.generators.migration import make_migration
from pyjang.generators.model import ModelSpec, model_module, sort_names
from pyjang.generators.names import MAX_IDENTIFIER_LENGTH, check_model_name, label
from pyjang.generators.project import project_file
from pyjang.generators.pycode import (
    add_import,
    check_width,
    extend_list,
    import_block,
    string,
    wrap,
)

__all__ = ["add_model", "check_new_model", "plan_model"]

SUPPORT = ("forms.py", "models/owned.py", "views/common.py")


def _check_fields(fields: list[FieldSpec], models: dict[str, tuple[str, str]]) -> None:
    if not fields:
        raise GeneratorError("give the model at least one field, such as name:string")
    taken: set[str] = set()
    for field in fields:
        names = {field.name, field.column}
        if names & taken:
            raise GeneratorError(f"field {field.name!r} is given twice; name it once")
        taken |= names
        if field.target and field.target not in models:
            known = ", ".join(sorted(models)) or "none yet"
            raise GeneratorError(
                f"field {field.name!r}: there is no model {field.target} to refer to"
                f" (models: {known}); add it first"
            )


def check_new_model(layout: Layout, name: str) -> None:
    """Refuse a model name that is invalid or names a model of the project."""
    check_model_name(name)
    models = layout.models()
    if name in models:
        module = models[name][0]
        raise GeneratorError(
            f"model {name} exists already ({layout.package}/models/{module}.py)"
        )


def _check_free(layout: Layout, model: ModelSpec) -> None:
    models = layout.models()
    paths = [
        layout.source / "models" / f"{model.word}.py",
        layout.source / "views" / f"{model.words}.py",
        layout.source / "templates" / model.folder,
        Path("tests") / f"test_{model.words}.py",
    ]
    for path in paths:
        if (layout.root / path).exists():
            raise GeneratorError(f"{path} exists already; choose another model name")
    if model.table in {table for _, table in models.values()}:
        raise GeneratorError(f"table {model.table} is taken; choose another name")
    pages = (layout.root / layout.source / "views" / "pages.py").read_text("utf-8")
    if f'Route("{model.url}"' in pages:
        raise GeneratorError(f"the page {model.url} exists; choose another name")
    indexed = [f.column for f in model.fields if f.index or f.unique or f.target]
    for column in [*indexed, "owner_id"]:
        index = f"ix_{model.table}_{column}"
        if len(index) > MAX_IDENTIFIER_LENGTH:
            raise GeneratorError(
                f"{index} is longer than {MAX_IDENTIFIER_LENGTH} characters (the"
                " limit of PostgreSQL names); choose shorter names"
            )


def _models_init(layout: Layout, model: ModelSpec) -> str:
    models = {name: module for name, (module, _) in layout.models().items()}
    models[model.name] = model.word
    package = layout.package
    imports = {f"{package}.models.{module}": {name} for name, module in models.items()}
    exports = [string(name) for name in sort_names(list(models))]
    text = project_file(package, "models/__init__.py").rstrip("\n")
    block = import_block(imports, package)
    exported = wrap("__all__ = ", exports, brackets="[]")
    return f"{text}\n\n{block}\n\n{exported}\n"


def _admin(plan: Plan, layout: Layout, model: ModelSpec) -> None:
    path = layout.source / "admin.py"
    source = plan.current(path) or ""
    if "class OwnedAdmin(" not in source:
        raise GeneratorError(f"{path} has no OwnedAdmin class to build the admin on")
    module = f"{layout.package}.models.{model.word}"
    source = add_import(source, module, [model.name], layout.package)
    plan.add(path, source.rstrip("\n") + "\n\n\n" + admin_code(model) + "\n")


def _views_init(plan: Plan, layout: Layout, model: ModelSpec) -> None:
    path = layout.source / "views" / "__init__.py"
    source = plan.current(path) or ""
    package = layout.package
    source = add_import(source, f"{package}.views", [model.words], package)
    plan.add(path, extend_list(source, "routes", f"*{model.words}.routes"))


def plan_model(
    layout: Layout, name: str, specs: Sequence[str], icon: str | None = None
) -> Plan:
    """Return the plan of every file model ``name`` adds or changes.

    Raises GeneratorError for an invalid or taken name, an unknown type, a
    missing foreign-key target, a duplicate or invalid field.
    """
    check_new_model(layout, name)
    fields = [parse_field(spec) for spec in specs]
    _check_fields(fields, layout.models())
    if icon is not None and (not icon.strip() or len(icon) > 8 or '"' in icon):
        raise GeneratorError("--icon: use a short symbol such as 📦, without quotes")
    model = ModelSpec(name, tuple(fields), layout.package, icon)
    _check_free(layout, model)
    plan = Plan(layout.root)
    source = layout.source
    for support in SUPPORT:
        if plan.current(source / support) is None:
            plan.add(source / support, project_file(layout.package, support))
    tables = {name: table for name, (_, table) in layout.models().items()}
    plan.add(source / "models" / f"{model.word}.py", model_module(model, tables))
    plan.add(source / "models" / "__init__.py", _models_init(layout, model))
    plan.add(source / "views" / f"{model.words}.py", views_module(model))
    _views_init(plan, layout, model)
    _admin(plan, layout, model)
    title = label(layout.package)
    for template, text in model_templates(model, title).items():
        plan.add(source / "templates" / model.folder / template, text)
    layout_path = source / "templates" / "layout.html"
    nav = add_nav_item(
        plan.current(layout_path) or "", model.title_plural, model.url, public=True
    )
    plan.add(layout_path, nav)
    plan.add(Path("tests") / f"test_{model.words}.py", model_test(model))
    for path, text in plan.writes.items():
        if path.suffix == ".py":
            check_width(str(path.relative_to(layout.root)), text)
    return plan


def add_model(
    layout: Layout, name: str, specs: Sequence[str], icon: str | None = None
) -> tuple[list[Path], Path]:
    """Write model ``name`` and its migration; return the files and the revision.

    Raises GeneratorError, having left the project as it was, when the input
    is refused or the autogenerated migration does not pass review.
    """
    plan = plan_model(layout, name, specs, icon)
    written = plan.apply()
    table = ModelSpec(name, (), layout.package).table
    try:
        revision = make_migration(layout.project, f"add {table}", table)
    except BaseException as error:
        # Interrupted or failed, the model must not stay without its migration.
        plan.revert()
        if isinstance(error, PyjangError) or not isinstance(error, Exception):
            raise
        message = f"the migration could not be made: {type(error).__name__}: {error}"
        raise GeneratorError(message) from error
    return written, revision
