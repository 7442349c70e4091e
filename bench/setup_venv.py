"""Make bench/.venv: Django, gunicorn, matplotlib and pyjang from the checkout.

The project's own virtualenv is never touched. The venv is rebuilt when
``requirements.txt`` or ``pyproject.toml`` changes (a stamp file records their
digest); pyjang is installed editable, so framework edits need no reinstall.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import venv
from pathlib import Path

__all__ = ["VENV", "ensure_venv", "venv_python"]

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
VENV = BENCH / ".venv"
STAMP = VENV / "bench-stamp"


def venv_python() -> Path:
    """Return the interpreter of bench/.venv."""
    return VENV / "bin" / "python"


def _digest() -> str:
    parts = [
        (BENCH / "requirements.txt").read_bytes(),
        (ROOT / "pyproject.toml").read_bytes(),
    ]
    return hashlib.sha256(b"\0".join(parts)).hexdigest()


def ensure_venv() -> Path:
    """Create or refresh bench/.venv and return its interpreter."""
    digest = _digest()
    if venv_python().exists() and STAMP.exists() and STAMP.read_text() == digest:
        return venv_python()
    print(f"bench: preparing {VENV.relative_to(ROOT)} (pip install)", flush=True)
    venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    pip = [
        str(venv_python()),
        "-m",
        "pip",
        "install",
        "-q",
        "--disable-pip-version-check",
    ]
    subprocess.run(  # noqa: S603
        [*pip, "-r", str(BENCH / "requirements.txt"), "-e", str(ROOT)], check=True
    )
    STAMP.write_text(digest)
    return venv_python()


def inside_venv() -> bool:
    """Return True when this interpreter is bench/.venv's."""
    return Path(sys.prefix).resolve() == VENV.resolve()
