"""What a generated model is served with: views, templates, admin and tests.

The views follow pyjang's posts: a list with an inline create form, edit in
place, delete after a confirmation, pagination, CSRF on every form, a login
for writes and the owner (or staff) for changes.
"""

from __future__ import annotations

from pyjang.generators.fields import FieldSpec
from pyjang.generators.model import ModelSpec
from pyjang.generators.names import snake
from pyjang.generators.pycode import assign, import_block, string, wrap
from pyjang.generators.rendering import render

__all__ = ["TEMPLATES", "admin_code", "model_templates", "model_test", "views_module"]

TEMPLATES = (
    "list.html",
    "_create_form.html",
    "_fields.html",
    "_row.html",
    "_edit.html",
    "detail.html",
    "edit.html",
    "new.html",
    "confirm_delete.html",
)
INPUTS = {
    "int": 'type="number" step="1"',
    "float": 'type="number" step="any"',
    "decimal": 'type="number" step="0.01"',
    "date": 'type="date"',
    "datetime": 'type="datetime-local"',
    "uuid": 'type="text" maxlength="36"',
}


def _checks(model: ModelSpec) -> list[str]:
    lines = []
    for field in model.fields:
        value = f"form.values.get({string(field.column)})"
        if field.target:
            test = wrap(
                "if await missing", ["db", field.target, value], ":", indent="    "
            )
            message = f"Choose one of the {field.label.lower()} options."
        elif field.unique:
            column = f"{model.name}.{field.column}"
            test = wrap(
                "if await taken", ["db", column, value, "row"], ":", indent="    "
            )
            message = f"Another {model.label} has this {field.label.lower()} already."
        else:
            continue
        target = f"form.errors[{string(field.column)}]"
        lines += [test, assign(target, string(message), indent=" " * 8)]
    return lines


def _choices(model: ModelSpec) -> str:
    items = [
        f"{string(f.column)}: await options(db, {f.target})"
        for f in model.fields
        if f.target
    ]
    return wrap("return ", items, indent="    ", brackets="{}") if items else ""


def _views_imports(model: ModelSpec, checks: bool) -> dict[str, set[str]]:
    common = {"invalid_status", "newest_page", "read_form", "render", "row_id"}
    if any(f.target for f in model.fields):
        common |= {"missing", "options"}
    if any(f.unique for f in model.fields):
        common.add("taken")
    forms = {"FormReader", "form_values"} if checks else {"form_values"}
    imports: dict[str, set[str]] = {
        "__future__": {"annotations"},
        "typing": {"Any"},
        "pyjang": {"flash", "is_htmx", "login_required", "runtime"},
        "sqlalchemy": {"select"},
        "sqlalchemy.exc": {"IntegrityError"},
        "sqlalchemy.ext.asyncio": {"AsyncSession"},
        "starlette.exceptions": {"HTTPException"},
        "starlette.requests": {"Request"},
        "starlette.responses": {"RedirectResponse", "Response"},
        "starlette.routing": {"Route"},
        f"{model.package}.forms": forms,
        f"{model.package}.models.{model.word}": {
            "FIELDS",
            model.name,
            f"{model.word}_defaults",
            f"read_{model.word}",
        },
        f"{model.package}.views.common": common,
    }
    for target in model.targets:
        imports[f"{model.package}.models.{snake(target)}"] = {target}
    return imports


def _routes(model: ModelSpec) -> list[str]:
    one = f"{model.url}/{{id:int}}"
    table = [
        (model.url, f"list_{model.words}", '["GET"]'),
        (model.url, f"create_{model.word}", '["POST"]'),
        (f"{model.url}/new", f"new_{model.word}", '["GET"]'),
        (one, f"show_{model.word}", '["GET"]'),
        (one, f"update_{model.word}", '["PUT", "POST"]'),
        (one, f"delete_{model.word}", '["DELETE"]'),
        (f"{one}/edit", f"edit_{model.word}", '["GET"]'),
        (f"{one}/delete", f"delete_{model.word}", '["POST"]'),
    ]
    return [
        wrap("Route", [string(path), view, f"methods={methods}"], ",", indent="    ")
        for path, view, methods in table
    ]


def views_module(model: ModelSpec) -> str:
    """Return the source of ``views/<words>.py``."""
    checks = _checks(model)
    return render(
        "model/views.py.j2",
        m=model,
        wrap=lambda head, items, tail="": wrap(head, items, tail),
        imports=import_block(_views_imports(model, bool(checks)), model.package),
        checks=checks,
        choices=_choices(model),
        routes=_routes(model),
    )


def _display(field: FieldSpec, word: str) -> str:
    value = f"{word}.{field.name}"
    if field.kind == "bool":
        return f'{{{{ "yes" if {value} else "no" }}}}'
    if field.target:
        return f'{{{{ {value} or "—" }}}}' if field.optional else f"{{{{ {value} }}}}"
    shown = f'{value}.strftime("%Y-%m-%d %H:%M")' if field.kind == "datetime" else value
    if not field.optional:
        return f"{{{{ {shown} }}}}"
    return f"{{% if {value} is not none %}}{{{{ {shown} }}}}{{% else %}}—{{% endif %}}"


def _input(field: FieldSpec) -> str:
    if field.kind in ("string", "email"):
        kind = "email" if field.kind == "email" else "text"
        return f'type="{kind}" maxlength="{field.length}"'
    return INPUTS.get(field.kind, "")


def model_templates(model: ModelSpec, title: str) -> dict[str, str]:
    """Return the model's templates by file name (``list.html``, …)."""
    fields = [
        {
            "column": f.column,
            "label": f.label,
            "kind": f.kind,
            "optional": f.optional,
            "length": f.length,
            "css": f.column.replace("_", "-"),
            "article": "an" if f.label[0].lower() in "aeiou" else "a",
            "display": _display(f, model.word),
            "input": _input(f),
        }
        for f in model.fields
    ]
    context = {"m": model, "package": model.package, "title": title, "fields": fields}
    return {name: render(f"model/html/{name}.j2", **context) for name in TEMPLATES}


def admin_code(model: ModelSpec) -> str:
    """Return the admin class and registration appended to ``admin.py``."""
    shown = [*(f.column for f in model.fields[:4]), "owner_id", "created_at"]
    searched = [f.column for f in model.fields if f.kind in ("string", "email", "text")]
    lines = [
        f"class {model.name}Admin(OwnedAdmin):",
        f'    """{model.title_plural} in the admin, newest first."""',
        "",
        wrap(
            "list_display = ", [string(c) for c in shown], indent="    ", literal=True
        ),
    ]
    if searched:
        items = [string(c) for c in searched]
        items[-1] += "," if len(items) == 1 else ""
        lines.append(wrap("search_fields = ", items, indent="    ", literal=True))
    lines += [
        f"    name = {string(model.label)}",
        f"    name_plural = {string(model.label_plural)}",
    ]
    if model.icon:
        lines.append(f"    icon = {string(model.icon)}")
    return "\n".join(
        [*lines, "", "", f"site.register({model.name}, {model.name}Admin)"]
    )


def model_test(model: ModelSpec) -> str:
    """Return the source of the model's tests in ``tests/``."""
    data = [
        f"{string(f.column)}: {string(f.sample[: f.length or None])}"
        for f in model.fields
        if f.kind != "fk"
    ]
    return render(
        "model/test.py.j2",
        m=model,
        package=model.package,
        round_trip=not model.targets,
        data=[*data, '"csrf_token": form_token(client, URL)'],
    )
