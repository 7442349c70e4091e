"""The package as shipped: its public surface, its types and its lint."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import pyjang

ROOT = Path(__file__).resolve().parent.parent


def test_the_public_surface_is_what_all_lists() -> None:
    assert len(set(pyjang.__all__)) == len(pyjang.__all__)
    for name in pyjang.__all__:
        assert getattr(pyjang, name) is not None, name
    assert (Path(pyjang.__file__).parent / "py.typed").exists()


def tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
def test_ruff_finds_nothing() -> None:
    result = tool("ruff", "check", "src", "tests")
    assert result.returncode == 0, result.stdout[-4000:]


@pytest.mark.slow
def test_mypy_strict_passes_on_the_package() -> None:
    result = tool("mypy", "src/pyjang")
    assert result.returncode == 0, result.stdout[-4000:]
