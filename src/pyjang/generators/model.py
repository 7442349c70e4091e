"""The model module a generated model lives in: its columns, defaults and form.

:class:`ModelSpec` holds the names every file of a model derives from one
CapWords name; :func:`model_module` writes ``models/<word>.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyjang.generators.fields import FieldSpec
from pyjang.generators.names import label, plural, snake
from pyjang.generators.pycode import import_block, string, wrap
from pyjang.generators.rendering import render

__all__ = ["ModelSpec", "model_module", "sort_names"]

COLUMN_TYPES = {
    "text": "Text",
    "int": "Integer",
    "float": "Float",
    "decimal": "Numeric(12, 2)",
    "bool": "Boolean",
    "date": "Date",
    "datetime": "DateTime(timezone=True)",
    "uuid": "Uuid",
}


@dataclass(frozen=True)
class ModelSpec:
    """A model to generate: its name, its fields and the project it joins."""

    name: str
    fields: tuple[FieldSpec, ...]
    package: str
    icon: str | None = None

    @property
    def word(self) -> str:
        """Return the snake_case name: module, variables (``product_line``)."""
        return snake(self.name)

    @property
    def words(self) -> str:
        """Return the snake_case plural: view module, folder (``product_lines``)."""
        return plural(self.word)

    @property
    def folder(self) -> str:
        """Return the templates' folder (the plural, as the view module)."""
        return self.words

    @property
    def label(self) -> str:
        """Return how the model reads in a sentence (``product line``)."""
        return self.word.replace("_", " ")

    @property
    def label_plural(self) -> str:
        """Return the plural of :attr:`label`."""
        return self.words.replace("_", " ")

    @property
    def title(self) -> str:
        """Return the label capitalised, for headings."""
        return label(self.word)

    @property
    def title_plural(self) -> str:
        """Return the plural label capitalised, for headings."""
        return label(self.words)

    @property
    def article(self) -> str:
        """Return "A" or "An", for the label's first sound (roughly)."""
        return "An" if self.word[0] in "aeiou" else "A"

    @property
    def css(self) -> str:
        """Return the name in HTML ids and classes (``product-line``)."""
        return self.word.replace("_", "-")

    @property
    def url(self) -> str:
        """Return the path of the list (``/product-lines``)."""
        return "/" + self.words.replace("_", "-")

    @property
    def table(self) -> str:
        """Return the table's name, prefixed with the project's."""
        return f"{self.package}_{self.words}"

    @property
    def targets(self) -> list[str]:
        """Return the models the foreign keys refer to, once each, sorted."""
        return sorted({f.target for f in self.fields if f.target})


def sort_names(names: list[str]) -> list[str]:
    """Return ``names`` in isort's order: CONSTANTS, Classes, then the rest."""

    def key(name: str) -> tuple[int, str]:
        kind = 0 if name.isupper() and len(name) > 1 else 1 if name[0].isupper() else 2
        return kind, name.lower()

    return sorted(names, key=key)


def _column(field: FieldSpec, model: ModelSpec, tables: dict[str, str]) -> str:
    optional = " | None" if field.optional else ""
    head = f"{field.column}: Mapped[{field.python}{optional}] = mapped_column"
    if field.target:
        args = [f'ForeignKey("{tables[field.target]}.id")', "index=True"]
    elif field.constant:
        args = [f"String({field.constant})" if field.kind != "text" else "Text"]
    else:
        args = [COLUMN_TYPES[field.kind]]
    if field.unique:
        args.append("unique=True")
    if field.index:
        args.append("index=True")
    if field.default_code is not None:
        args.append(f"default={field.default_code}")
    elif field.optional:
        args.append("default=None")
    elif field.kind == "bool":
        args.append("default=False")
    return wrap(head, args, indent="    ")


def _relationship(field: FieldSpec) -> str:
    target = f"{field.target} | None" if field.optional else field.target
    args = ['lazy="joined"'] if field.optional else ['lazy="joined"', "innerjoin=True"]
    return wrap(f"{field.name}: Mapped[{target}] = relationship", args, indent="    ")


def _read(field: FieldSpec) -> str:
    args = [string(field.column)]
    if field.constant:
        args.append(f"max_length={field.constant}")
    if field.optional:
        args.append("required=False")
    return wrap(f"form.{field.reader}", args, indent="    ")


def _defaults(fields: tuple[FieldSpec, ...]) -> str:
    items = []
    for field in fields:
        if field.default_code is not None:
            call = "()" if field.computed_default else ""
            items.append(f"{string(field.column)}: {field.default_code}{call}")
    return wrap("return ", items, indent="    ", brackets="{}")


def _str_body(model: ModelSpec) -> str:
    fallback = f'f"{model.title} {{self.id}}"'
    for field in model.fields:
        if field.kind in ("string", "email"):
            if field.optional:
                return f"return self.{field.name} or {fallback}"
            return f"return self.{field.name}"
    return f"return {fallback}"


def _model_imports(model: ModelSpec) -> dict[str, set[str]]:
    kinds = {field.kind for field in model.fields}
    defaults = {field.default_code or "" for field in model.fields}
    types = {COLUMN_TYPES[k].split("(")[0] for k in kinds if k in COLUMN_TYPES}
    if kinds & {"string", "email"}:
        types.add("String")
    if "fk" in kinds:
        types.add("ForeignKey")
    imports: dict[str, set[str]] = {
        "__future__": {"annotations"},
        "collections.abc": {"Mapping"},
        "typing": {"Any"},
        "pyjang": {"Base"},
        "sqlalchemy": {"Integer", *types},
        "sqlalchemy.orm": {"Mapped", "mapped_column"},
        f"{model.package}.forms": {"FormReader"},
        f"{model.package}.models.owned": {"Owned"},
    }
    dates = {"date"} if "date" in kinds else set()
    dates |= {"datetime"} if "datetime" in kinds else set()
    dates |= {"UTC"} if any("tzinfo=UTC" in code for code in defaults) else set()
    if dates:
        imports["datetime"] = dates
    if "decimal" in kinds:
        imports["decimal"] = {"Decimal"}
    if "uuid" in kinds:
        imports["uuid"] = set()
    if "utcnow" in defaults:
        imports["pyjang.models"] = {"utcnow"}
    if "fk" in kinds:
        imports["sqlalchemy.orm"].add("relationship")
    for target in model.targets:
        imports[f"{model.package}.models.{snake(target)}"] = {target}
    return imports


def model_module(model: ModelSpec, tables: dict[str, str]) -> str:
    """Return the source of ``models/<word>.py``; ``tables`` maps models to tables."""
    tables = {**tables, model.name: model.table}
    exports = [model.name, "FIELDS", f"{model.word}_defaults", f"read_{model.word}"]
    columns = [f.column for f in model.fields]
    fields = (
        [string(c) for c in columns] if len(columns) > 1 else [string(columns[0]) + ","]
    )
    return render(
        "model/model.py.j2",
        m=model,
        package=model.package,
        imports=import_block(_model_imports(model), model.package),
        exports=wrap(
            "__all__ = ", [string(n) for n in sort_names(exports)], brackets="[]"
        ),
        constants=[f"{f.constant} = {f.length:_}" for f in model.fields if f.constant],
        fields=wrap("FIELDS = ", fields, literal=True),
        columns=[_column(f, model, tables) for f in model.fields],
        relationships=[_relationship(f) for f in model.fields if f.target],
        str_body=_str_body(model),
        defaults=_defaults(model.fields),
        reads=[_read(f) for f in model.fields],
    )
