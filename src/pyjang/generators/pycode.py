"""Python source the way ruff formats it, and edits to modules a project owns.

Generated modules must pass ``ruff format --check`` and ``ruff check`` as
written: calls and lists are wrapped as the formatter wraps them, import
blocks are sorted as isort sorts them. Edits to existing modules (a new
import, a new item in a list) rewrite one statement and keep the rest.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Sequence

from pyjang.generators.files import GeneratorError

__all__ = [
    "LINE_LENGTH",
    "add_import",
    "assign",
    "check_width",
    "extend_list",
    "import_block",
    "insert_before",
    "string",
    "wrap",
]

LINE_LENGTH = 88
INDENT = "    "


def string(text: str) -> str:
    """Return ``text`` as a double-quoted literal (callers refuse quotes)."""
    return '"' + text + '"'


def wrap(
    head: str,
    items: Sequence[str],
    tail: str = "",
    *,
    indent: str = "",
    brackets: str = "()",
    literal: bool | None = None,
) -> str:
    """Return ``head(items)tail`` on one line, or broken as ruff breaks it.

    A call or signature that does not fit keeps its arguments on one line
    of their own when they fit there; a literal (a list, a dict; a tuple
    with ``literal=True``) has one item per line with a trailing comma.
    """
    opening, closing = brackets[0], brackets[1]
    flat = f"{indent}{head}{opening}{', '.join(items)}{closing}{tail}"
    if len(flat) <= LINE_LENGTH or not items:
        return flat
    inner = indent + INDENT
    hugged = inner + ", ".join(items)
    if literal is None:
        literal = brackets != "()"
    if len(hugged) <= LINE_LENGTH and not literal:
        return f"{indent}{head}{opening}\n{hugged}\n{indent}{closing}{tail}"
    lines = "".join(f"{inner}{item},\n" for item in items)
    return f"{indent}{head}{opening}\n{lines}{indent}{closing}{tail}"


def assign(target: str, value: str, *, indent: str = "") -> str:
    """Return ``target = value``, the value parenthesised when it is too long."""
    flat = f"{indent}{target} = {value}"
    if len(flat) <= LINE_LENGTH:
        return flat
    return f"{indent}{target} = (\n{indent}{INDENT}{value}\n{indent})"


def _import_section(module: str, package: str) -> int:
    top = module.split(".")[0]
    if top == "__future__":
        return 0
    if top in sys.stdlib_module_names:
        return 1
    return 3 if top == package else 2


def _member_key(name: str) -> tuple[int, str, str]:
    # isort's order by type: CONSTANTS, then Classes, then everything else.
    bare = name.split(" as ")[0]
    kind = 0 if bare.isupper() and len(bare) > 1 else 1 if bare[:1].isupper() else 2
    return kind, bare.lower(), bare


def _from_import(module: str, names: Iterable[str]) -> str:
    members = sorted(set(names), key=_member_key)
    flat = f"from {module} import {', '.join(members)}"
    if len(flat) <= LINE_LENGTH:
        return flat
    lines = "".join(f"{INDENT}{name},\n" for name in members)
    return f"from {module} import (\n{lines})"


def import_block(imports: dict[str, set[str]], package: str) -> str:
    """Return sorted import sections; a module mapped to no names is ``import M``."""
    sections: dict[int, list[tuple[int, str, str]]] = {}
    for module, names in imports.items():
        # Plain `import M` lines come before `from M import …` ones.
        if names:
            entry = (1, module.lower(), _from_import(module, names))
        else:
            entry = (0, module.lower(), f"import {module}")
        sections.setdefault(_import_section(module, package), []).append(entry)
    return "\n\n".join(
        "\n".join(line for *_, line in sorted(sections[number]))
        for number in sorted(sections)
    )


def _statement(tree: ast.Module, name: str) -> ast.stmt | None:
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AnnAssign):
            targets = [node.target]
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return node
    return None


def _replace(source: str, node: ast.stmt, text: str) -> str:
    lines = source.splitlines(keepends=True)
    end = node.end_lineno or node.lineno
    return "".join([*lines[: node.lineno - 1], text + "\n", *lines[end:]])


def extend_list(source: str, name: str, item: str, *, sort: bool = False) -> str:
    """Return ``source`` with ``item`` added to the list assigned to ``name``."""
    tree = ast.parse(source)
    node = _statement(tree, name)
    value = getattr(node, "value", None)
    if node is None or not isinstance(value, ast.List):
        raise GeneratorError(f"cannot find the list {name} = [...] to add {item} to")
    items = [ast.get_source_segment(source, e) or "" for e in value.elts]
    if item in items:
        return source
    items = sorted([*items, item]) if sort else [*items, item]
    lines = source.splitlines()
    first = lines[node.lineno - 1]
    head = first[: first.index("[", value.col_offset)]
    return _replace(source, node, wrap(head, items, brackets="[]"))


def _imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    found = []
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        elif found:
            break
    return found


def add_import(source: str, module: str, names: Iterable[str], package: str) -> str:
    """Return ``source`` importing ``names`` from ``module`` (merged if present)."""
    tree = ast.parse(source)
    wanted = set(names)
    imports = _imports(tree)
    for node in imports:
        if isinstance(node, ast.ImportFrom) and node.module == module:
            have = {
                a.name + (f" as {a.asname}" if a.asname else "") for a in node.names
            }
            if wanted <= have:
                return source
            return _replace(source, node, _from_import(module, have | wanted))
    return _insert_import(
        source, tree, imports, module, _from_import(module, wanted), package
    )


def _insert_import(
    source: str,
    tree: ast.Module,
    imports: list[ast.Import | ast.ImportFrom],
    module: str,
    line: str,
    package: str,
) -> str:
    lines = source.splitlines(keepends=True)
    section = _import_section(module, package)
    same = [n for n in imports if _import_section(_module_of(n), package) == section]
    later = [n for n in imports if _import_section(_module_of(n), package) > section]
    for node in same:
        if (isinstance(node, ast.ImportFrom), _module_of(node).lower()) > (
            True,
            module.lower(),
        ):
            lines.insert(node.lineno - 1, line + "\n")
            return "".join(lines)
    if same:
        lines.insert(same[-1].end_lineno or same[-1].lineno, line + "\n")
    elif later:
        lines.insert(later[0].lineno - 1, line + "\n\n")
    elif imports:
        lines.insert(imports[-1].end_lineno or imports[-1].lineno, "\n" + line + "\n")
    else:
        after = _docstring_end(tree)
        lines.insert(after, ("\n" if after else "") + line + "\n")
    return "".join(lines)


def _module_of(node: ast.Import | ast.ImportFrom) -> str:
    if isinstance(node, ast.ImportFrom):
        return node.module or ""
    return node.names[0].name


def _docstring_end(tree: ast.Module) -> int:
    first = tree.body[0] if tree.body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        return first.end_lineno or first.lineno
    return 0


def insert_before(source: str, name: str, text: str) -> str:
    """Return ``source`` with ``text`` (a def or class) before ``name = ...``."""
    node = _statement(ast.parse(source), name)
    if node is None:
        raise GeneratorError(f"cannot find {name} = ... to add the new code above")
    lines = source.splitlines(keepends=True)
    return "".join(
        [
            *lines[: node.lineno - 1],
            text.rstrip("\n") + "\n\n\n",
            *lines[node.lineno - 1 :],
        ]
    )


def check_width(path: str, text: str) -> None:
    """Refuse generated code with a line too long for the project's linters."""
    for number, line in enumerate(text.splitlines(), 1):
        if len(line) > LINE_LENGTH:
            raise GeneratorError(
                f"{path}:{number} would be longer than {LINE_LENGTH} characters;"
                " choose shorter names"
            )
