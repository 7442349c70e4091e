"""The systemd units pass ``systemd-analyze verify`` and say what they must."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from pyjang.deploy import (
    Plan,
    build_files,
    render_env_file,
    render_systemd_target,
    render_systemd_unit,
)

Unit = dict[str, list[tuple[str, str]]]


def parse_unit(text: str) -> Unit:
    """Read a unit file into sections of (key, value) pairs, in order.

    Unit files repeat keys (``Environment=``), which configparser refuses,
    so this reads the format's simple line syntax directly.
    """
    sections: Unit = {}
    current: list[tuple[str, str]] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        key, equals, value = line.partition("=")
        assert equals and current is not None, f"line {number} is not key=value"
        current.append((key.strip(), value.strip()))
    return sections


def values(unit: Unit, section: str, key: str) -> list[str]:
    """Return every value of ``key`` in ``section``."""
    return [value for name, value in unit.get(section, []) if name == key]


def _plan(make_plan: Callable[..., Plan], executable: Path) -> Plan:
    settings = {"shutdown_drain": "7s", "shutdown_timeout": "40s"}
    return make_plan(
        settings, instances=3, port=9000, app="shop.web:app", executable=str(executable)
    )


@pytest.fixture
def executable(tmp_path: Path) -> Path:
    """Return a stand-in for the installed ``pyjang`` script."""
    path = tmp_path / "bin" / "pyjang"
    path.parent.mkdir()
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return path


def test_units_pass_systemd_analyze_verify(
    make_plan: Callable[..., Plan],
    require: Callable[[str], str],
    executable: Path,
    tmp_path: Path,
) -> None:
    analyze = require("systemd-analyze")
    plan = _plan(make_plan, executable)
    folder = tmp_path / "units"
    folder.mkdir()
    (folder / "pyjang@.service").write_text(render_systemd_unit(plan))
    (folder / "pyjang.target").write_text(render_systemd_target(plan))
    units = [str(folder / "pyjang@9000.service"), str(folder / "pyjang.target")]
    result = subprocess.run(
        [analyze, "verify", "--man=no", *units],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "SYSTEMD_LOG_COLOR": "0"},
    )
    assert result.returncode == 0, result.stderr
    # Unknown keys are only warnings, so a clean unit prints nothing at all.
    assert result.stdout + result.stderr == ""


def test_unit_is_hardened(
    make_plan: Callable[..., Plan],
    require: Callable[[str], str],
    executable: Path,
    tmp_path: Path,
) -> None:
    analyze = require("systemd-analyze")
    unit = tmp_path / "pyjang@.service"
    unit.write_text(render_systemd_unit(_plan(make_plan, executable)))
    instance = tmp_path / "pyjang@9000.service"
    # An exposure level of at most 2.0 out of 10 ("OK" in systemd's words).
    result = subprocess.run(
        [analyze, "security", "--offline=yes", "--threshold=20", str(instance)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-2000:]


def test_template_unit_runs_one_instance_per_port(
    make_plan: Callable[..., Plan], executable: Path
) -> None:
    unit = parse_unit(render_systemd_unit(_plan(make_plan, executable)))
    environment = values(unit, "Service", "Environment")
    assert "PORT=%i" in environment
    assert "INSTANCE_ID=%H-%i" in environment
    assert '"HOST=127.0.0.1"' in environment
    assert '"TRUSTED_PROXIES=127.0.0.1/32,::1/128"' in environment
    assert values(unit, "Service", "EnvironmentFile") == ["/etc/pyjang/pyjang.env"]
    assert values(unit, "Service", "ExecStart") == [
        f"{executable} run --app shop.web:app"
    ]
    assert values(unit, "Service", "User") == ["pyjang"]
    assert values(unit, "Service", "KillSignal") == ["SIGTERM"]
    assert values(unit, "Service", "Restart") == ["on-failure"]
    assert values(unit, "Install", "WantedBy") == ["pyjang.target"]


def test_stop_timeout_covers_drain_and_grace(
    make_plan: Callable[..., Plan], executable: Path
) -> None:
    unit = parse_unit(render_systemd_unit(_plan(make_plan, executable)))
    [timeout] = values(unit, "Service", "TimeoutStopSec")
    assert timeout.endswith("s")
    assert int(timeout[:-1]) > 7 + 40


def test_hardening_options_are_set(
    make_plan: Callable[..., Plan], executable: Path
) -> None:
    unit = parse_unit(render_systemd_unit(_plan(make_plan, executable)))
    for key, value in [
        ("NoNewPrivileges", "yes"),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("CapabilityBoundingSet", ""),
    ]:
        assert values(unit, "Service", key) == [value], key


def test_target_wants_every_instance(
    make_plan: Callable[..., Plan], executable: Path
) -> None:
    target = parse_unit(render_systemd_target(_plan(make_plan, executable)))
    [wants] = values(target, "Unit", "Wants")
    assert wants.split() == [f"pyjang@{port}.service" for port in (9000, 9001, 9002)]
    assert values(target, "Install", "WantedBy") == ["multi-user.target"]


def test_env_file_holds_placeholders_only(make_plan: Callable[..., Plan]) -> None:
    plan = make_plan(
        {"database_url": "postgresql://app@db.example.internal:5432/appdb"}
    )
    text = render_env_file(plan)
    lines = dict(line.split("=", 1) for line in text.splitlines() if line[:1].isupper())
    assert lines["SESSION_KEY"] == "CHANGE_ME"
    assert lines["DATABASE_URL"] == (
        "postgresql://app:CHANGE_ME@db.example.internal:5432/appdb"
    )
    for name in ("CSRF_SECRET", "METRICS_TOKEN", "SMTP_PASS"):
        assert f"# {name}=CHANGE_ME" in text


def test_percent_in_a_setting_is_escaped(
    make_plan: Callable[..., Plan], executable: Path
) -> None:
    plan = make_plan({"allowed_hosts": "a%b.example"}, executable=str(executable))
    unit = parse_unit(render_systemd_unit(plan))
    assert '"ALLOWED_HOSTS=a%%b.example"' in values(unit, "Service", "Environment")


def test_generated_files_are_the_three_units(make_plan: Callable[..., Plan]) -> None:
    files = build_files("systemd", make_plan(), out=Path("out"))
    assert [item.path for item in files] == [
        "systemd/pyjang@.service",
        "systemd/pyjang.target",
        "systemd/pyjang.env.example",
    ]
