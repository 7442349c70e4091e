"""The Dockerfile is multi-stage, unprivileged and checks its own health."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from pyjang.deploy import Plan, build_files


def instructions(text: str) -> list[tuple[str, str]]:
    """Return (INSTRUCTION, arguments) pairs, joining continued lines."""
    joined = text.replace("\\\n", " ")
    pairs = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            pairs.append((word.upper(), " ".join(rest.split())))
    return pairs


def _dockerfile(plan: Plan) -> list[tuple[str, str]]:
    files = {item.path: item for item in build_files("dockerfile", plan, out=Path("o"))}
    return instructions(files["docker/Dockerfile"].content)


def _all(steps: list[tuple[str, str]], word: str) -> list[str]:
    return [rest for name, rest in steps if name == word]


def test_builder_stage_feeds_the_runtime(make_plan: Callable[..., Plan]) -> None:
    steps = _dockerfile(make_plan())
    stages = _all(steps, "FROM")
    assert len(stages) == 2
    assert stages[0].endswith(" AS builder")
    assert any("pip install" in run and "/wheels" in run for run in _all(steps, "RUN"))
    assert "--from=builder /opt/pyjang/venv /opt/pyjang/venv" in _all(steps, "COPY")


def test_runtime_is_unprivileged_and_stoppable(make_plan: Callable[..., Plan]) -> None:
    steps = _dockerfile(make_plan({"port": 9090}, app="shop.web:app"))
    [user] = _all(steps, "USER")
    assert user.split(":")[0] not in ("0", "root")
    assert _all(steps, "STOPSIGNAL") == ["SIGTERM"]
    assert _all(steps, "EXPOSE") == ["9090"]
    assert any("HOST=0.0.0.0" in env for env in _all(steps, "ENV"))
    [command] = _all(steps, "CMD")
    assert json.loads(command) == ["pyjang", "run", "--app", "shop.web:app"]


def test_healthcheck_probes_liveness(make_plan: Callable[..., Plan]) -> None:
    [healthcheck] = _all(_dockerfile(make_plan()), "HEALTHCHECK")
    options, _, command = healthcheck.partition(" CMD ")
    assert "--interval=" in options
    probe = json.loads(command)
    assert probe[0] == "python"
    assert "/health" in probe[-1]


def test_dockerignore_keeps_secrets_out(make_plan: Callable[..., Plan]) -> None:
    files = {
        item.path: item
        for item in build_files("dockerfile", make_plan(), out=Path("o"))
    }
    ignored = files["docker/Dockerfile.dockerignore"].content.splitlines()
    assert ".env" in ignored
    assert ".git" in ignored
