"""Fixtures of the generator tests: the pyjang command and generated projects.

A generated project is built once per session (``pyjang new shop``, three
models, two pages) and copied for each test that runs or changes it; every
command runs as a real ``python -m pyjang`` process in the project folder.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pyjang.cli import main
from tests.conftest import SETTING_NAMES
from tests.scaleout.conftest import Browser

COMMAND_TIMEOUT = 180
SUPPLIER = ("Supplier", "name:string:unique", "email:email")
PRODUCT = (
    "Product",
    "name:string",
    "price:decimal",
    "stock:int",
    "supplier:fk:Supplier",
    "released:date",
    "active:bool",
)
# One field of every other type and option, so the generated round trip
# (written for models without references) goes through each reader.
EVENT = (
    "Event",
    "title:string:max=80",
    "notes:text:optional",
    "starts:datetime",
    "day:date:default=today",
    "ratio:float:optional",
    "code:uuid:unique:default=new",
    "contact:email:optional",
    "weight:decimal:default=1.50",
    "count:int:default=0:index",
    "public:bool:default=true",
)


def clean_env(**extra: str) -> dict[str, str]:
    """Return this process's environment without pyjang settings, plus ``extra``."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in SETTING_NAMES and name != "PYJANG_APP"
    }
    return {**env, **extra}


def pyjang(
    cwd: Path,
    *args: str,
    env: dict[str, str] | None = None,
    input: str | None = None,
    ok: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m pyjang ARGS`` in ``cwd``; assert success unless ``ok`` is off."""
    result = subprocess.run(
        [sys.executable, "-m", "pyjang", *args],
        cwd=cwd,
        env=env or clean_env(),
        input=input,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
    )
    if ok:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


@dataclass(frozen=True)
class Outcome:
    """What an in-process run of the command printed, and its exit status."""

    code: int
    out: str
    err: str


@pytest.fixture
def cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., Outcome]:
    """Return a runner of ``pyjang ARGS`` in this process, in a given folder.

    For commands that refuse before they import a project's code, so that
    nothing of one project stays in this process.
    """

    def run(cwd: Path, *args: str, input: str = "") -> Outcome:
        monkeypatch.chdir(cwd)
        monkeypatch.setattr(sys, "argv", ["pyjang", *args])
        monkeypatch.setattr(sys, "stdin", io.StringIO(input))
        capsys.readouterr()
        try:
            main()
        except SystemExit as done:
            code = int(done.code or 0)
        else:
            code = 0
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    return run


def run_tool(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run ``python ARGS`` (a linter, pytest) in ``cwd``; return its output."""
    result = subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=env or clean_env(),
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return output


def tree_hash(root: Path) -> str:
    """Return a digest of every folder name, file name and file under ``root``."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="session")
def shop_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a project made by the generators alone, built once per session."""
    base = tmp_path_factory.mktemp("generated")
    # The database autogenerate compares with stays outside the project.
    env = clean_env(DATABASE_URL=f"sqlite:///{base}/build.db")
    pyjang(base, "new", "shop", env=env)
    root = base / "shop"
    for model in (SUPPLIER, PRODUCT, EVENT):
        pyjang(root, "addmodel", *model, env=env)
    pyjang(root, "addpage", "about", env=env)
    pyjang(root, "addpage", "members", "--login-required", env=env)
    return root


@pytest.fixture
def shop(shop_build: Path, tmp_path: Path) -> Path:
    """Return a private copy of the generated project."""
    target = tmp_path / "shop"
    shutil.copytree(shop_build, target)
    return target


@pytest.fixture
def new_shop(tmp_path: Path, cli: Callable[..., Outcome]) -> Path:
    """Return a project just made by ``pyjang new shop``, with nothing added."""
    assert cli(tmp_path, "new", "shop").code == 0
    return tmp_path / "shop"


@pytest.fixture
def make_browser() -> Iterator[Callable[[], Browser]]:
    """Return a factory of cookie-keeping clients, all closed after the test."""
    made: list[Browser] = []

    def make() -> Browser:
        made.append(Browser())
        return made[-1]

    yield make
    for browser in made:
        browser.close()
