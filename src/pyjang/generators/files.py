"""A generator's writes as one plan: shown for a dry run, applied or undone whole.

A generator decides every file it writes before it writes any; a step that
fails after the plan is applied (a migration that does not pass review)
reverts the plan, so a refused command leaves the project as it was.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from pyjang.errors import GeneratorError

__all__ = ["GeneratorError", "Plan"]


@dataclass
class Plan:
    """Files to create or change under ``root``, in the order they were added."""

    root: Path
    writes: dict[Path, str] = field(default_factory=dict)
    _before: dict[Path, str | None] = field(default_factory=dict)
    _made_dirs: list[Path] = field(default_factory=list)

    def add(self, relative: str | Path, text: str) -> None:
        """Plan ``relative`` to hold ``text``; a later add for it wins."""
        self.writes[self.root / relative] = text

    def current(self, relative: str | Path) -> str | None:
        """Return what ``relative`` will hold: planned text, else what is on disk."""
        path = self.root / relative
        if path in self.writes:
            return self.writes[path]
        return path.read_text(encoding="utf-8") if path.is_file() else None

    def describe(self) -> str:
        """Return each planned file: new ones in full, changed ones as a diff."""
        parts = []
        for path, text in self.writes.items():
            name = path.relative_to(self.root).as_posix()
            old = path.read_text(encoding="utf-8") if path.is_file() else None
            if old is None:
                parts.append(f"create {name}\n{text}")
            elif old != text:
                diff = difflib.unified_diff(
                    old.splitlines(keepends=True),
                    text.splitlines(keepends=True),
                    f"{name} (now)",
                    f"{name} (after)",
                )
                parts.append(f"change {name}\n{''.join(diff)}")
        return "\n".join(parts)

    def apply(self) -> list[Path]:
        """Write every planned file; return the paths, relative to the root."""
        for path, text in self.writes.items():
            self._before[path] = (
                path.read_text(encoding="utf-8") if path.is_file() else None
            )
            self._make_parents(path.parent)
            path.write_text(text, encoding="utf-8")
        return [path.relative_to(self.root) for path in self.writes]

    def _make_parents(self, folder: Path) -> None:
        missing = []
        while not folder.exists():
            missing.append(folder)
            folder = folder.parent
        for path in reversed(missing):
            path.mkdir()
            self._made_dirs.append(path)

    def revert(self) -> None:
        """Put back what :meth:`apply` changed and remove what it created."""
        for path, old in self._before.items():
            if old is None:
                path.unlink(missing_ok=True)
            else:
                path.write_text(old, encoding="utf-8")
        for folder in reversed(self._made_dirs):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        self._before.clear()
        self._made_dirs.clear()
