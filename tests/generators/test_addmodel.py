"""``pyjang addmodel``: refusals that write nothing, dry runs, prompts, review."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pyjang.generators.migration import review
from tests.generators.conftest import Outcome, clean_env, pyjang, tree_hash

REFUSED = [
    (["Supplier", "name:string"], "exists already"),
    (["Order", "total:int"], "SQL reserved word"),
    (["Select", "name:string"], "SQL reserved word"),
    (["User", "name:string"], "choose another model name"),
    (["Post", "name:string"], "pyjang's own models"),
    (["AuditEntry", "name:string"], "pyjang's own models"),
    (["Class", "name:string"], "Python keyword"),
    (["None", "name:string"], "Python keyword"),
    (["Decimal", "name:string"], "generated code already uses"),
    (["Metric", "name:string"], "pyjang already serves /metrics"),
    (["gadget", "name:string"], "not a valid model name"),
    (["Gad-get", "name:string"], "not a valid model name"),
    (["Gadget"], "at least one field"),
    (["Gadget", "name:strin"], "unknown type 'strin'"),
    (["Gadget", "name"], "unknown type ''"),
    (["Gadget", "maker:fk:Maker"], "no model Maker"),
    (["Gadget", "maker:fk"], "write fk:Model"),
    (["Gadget", "maker_id:fk:Supplier"], "name it maker"),
    (["Gadget", "name:string", "name:text"], "given twice"),
    (["Gadget", "maker:fk:Supplier", "maker_id:int"], "given twice"),
    (["Gadget", "Name:string"], "not a valid field name"),
    (["Gadget", "1st:int"], "not a valid field name"),
    (["Gadget", "a__b:int"], "not a valid field name"),
    (["Gadget", "order:int"], "SQL reserved word"),
    (["Gadget", "class:int"], "Python keyword"),
    (["Gadget", "id:int"], "every generated model has"),
    (["Gadget", "owner:string"], "every generated model has"),
    (["Gadget", "size:int:max=3"], "not an option of int"),
    (["Gadget", "name:string:max=0"], "max must be"),
    (["Gadget", "name:string:frob"], "not an option of string"),
    (["Gadget", "name:string:unique:unique"], "given twice"),
    (["Gadget", "ok:bool:optional"], "never empty"),
    (["Gadget", "notes:text:unique"], "cannot be unique"),
    (["Gadget", "stock:int:default=abc"], "not a valid int"),
    (["Gadget", "price:decimal:default=1.234"], "not a valid decimal"),
    (["Gadget", "day:date:default=31/01/2025"], "not a valid date"),
    (["Gadget", 'name:string:default=a"b'], "not a valid string"),
    (["Gadget", "maker:fk:Supplier:default=1"], "not an option of fk"),
    (["Gadget", "name:string", "--icon", 'x"y'], "--icon"),
    (
        ["Gadgetwithaverylongname", "a_much_longer_field_name_than_usual:int:index"],
        "63 characters",
    ),
]


@pytest.mark.parametrize(("args", "message"), REFUSED)
def test_refused_input_writes_nothing(
    shop: Path, cli: Callable[..., Outcome], args: list[str], message: str
) -> None:
    before = tree_hash(shop)
    result = cli(shop, "addmodel", *args, input="\n")
    assert result.code == 1, result.out
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1, result.err
    assert result.err.startswith("error: ")
    assert tree_hash(shop) == before


@pytest.mark.parametrize(
    "command", [["addmodel", "Tag", "name:string"], ["addpage", "x"]]
)
def test_outside_a_project_it_says_where_to_run(
    tmp_path: Path, cli: Callable[..., Outcome], command: list[str]
) -> None:
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "pyproject.toml").write_text('[project]\nname = "x"\n')
    for folder in (tmp_path, tmp_path / "other"):
        result = cli(folder, *command)
        assert result.code == 1
        assert "inside a project made by `pyjang new`" in result.err
        assert len(result.err.strip().splitlines()) == 1


def test_dry_run_prints_every_file_and_writes_nothing(
    shop: Path, cli: Callable[..., Outcome]
) -> None:
    before = tree_hash(shop)
    args = ["Gadget", "name:string", "maker:fk:Supplier", "--icon", "⚙", "--dry-run"]
    result = cli(shop, "addmodel", *args)
    assert result.code == 0, result.err
    for created in (
        "shop/models/gadget.py",
        "shop/views/gadgets.py",
        "tests/test_gadgets.py",
    ):
        assert f"create {created}" in result.out
    assert "create shop/templates/gadgets/_row.html" in result.out
    for changed in (
        "shop/admin.py",
        "shop/views/__init__.py",
        "shop/templates/layout.html",
    ):
        assert f"change {changed}" in result.out
    assert "+site.register(Gadget, GadgetAdmin)" in result.out
    assert '+    icon = "⚙"' in result.out
    assert "nothing written" in result.out
    assert tree_hash(shop) == before


def test_without_fields_it_asks_for_them_until_an_empty_line(shop: Path) -> None:
    env = clean_env(DATABASE_URL=f"sqlite:///{shop.parent}/prompted.db")
    answers = "label:string:unique\nbogus\nweight:float:optional\n\n"
    result = pyjang(shop, "addmodel", "Tag", env=env, input=answers)
    assert "unknown type ''" in result.stderr, "a bad line is refused, then asked again"
    model = (shop / "shop" / "models" / "tag.py").read_text()
    assert "label: Mapped[str] = mapped_column(" in model
    assert "weight: Mapped[float | None] = mapped_column(Float, default=None)" in model
    [revision] = (shop / "shop" / "migrations").glob("*_add_shop_tags.py")
    assert review(revision.read_text(), "shop_tags") == []


def test_a_migration_doing_more_than_the_new_table_is_deleted_and_undone(
    shop: Path,
) -> None:
    # A column added by hand, with no migration: autogenerate would add it too.
    supplier = shop / "shop" / "models" / "supplier.py"
    text = supplier.read_text().replace(
        "    email: Mapped[str]",
        "    phone: Mapped[str | None] = mapped_column(String(40), default=None)\n"
        "    email: Mapped[str]",
    )
    supplier.write_text(text)
    before = tree_hash(shop)
    env = clean_env(DATABASE_URL=f"sqlite:///{shop.parent}/drift.db")
    result = pyjang(shop, "addmodel", "Gadget", "name:string", env=env, ok=False)
    assert result.returncode == 1
    assert "does more than create shop_gadgets" in result.stderr
    assert "add_column shop_suppliers" in result.stderr
    assert tree_hash(shop) == before


SQLITE_REVISION = '''
def upgrade() -> None:
    """Apply this revision."""
    op.create_table("t", sa.Column("id", sa.Integer(), nullable=False))
    with op.batch_alter_table("t", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_t_a"), ["a"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("t", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_t_a"))
    op.drop_table("t")
'''
POSTGRES_REVISION = """
def upgrade() -> None:
    op.create_table("t", sa.Column("id", sa.Integer(), nullable=False))
    op.create_index(op.f("ix_t_a"), "t", ["a"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_t_a"), table_name="t")
    op.drop_table("t")
"""


def test_review_accepts_the_new_table_and_its_indexes_only() -> None:
    assert review(SQLITE_REVISION, "t") == []
    assert review(POSTGRES_REVISION, "t") == []
    assert review(POSTGRES_REVISION, "other") != []
    altered = POSTGRES_REVISION.replace(
        '    op.create_index(op.f("ix_t_a"), "t", ["a"], unique=False)',
        '    op.alter_column("u", "a", nullable=True)',
    )
    assert review(altered, "t") == ["alter_column u in upgrade()"]
    dropped = SQLITE_REVISION.replace('op.drop_table("t")', 'op.drop_table("u")')
    assert review(dropped, "t") == [
        "no drop_table t in downgrade()",
        "drop_table u in downgrade()",
    ]
    assert review("def upgrade() -> None:\n    pass\n", "t")
