"""The Compose file parses, scales the app and refers to secrets only.

When a Compose implementation is installed (``docker-compose`` from
Debian's package of that name), ``docker-compose config`` also validates the
file against the Compose schema; no Docker engine is needed for that.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from pyjang.deploy import Plan, build_files, write_files
from tests.conftest import require_binary


def _write(plan: Plan, root: Path) -> Path:
    out = root / "deploy"
    write_files(build_files("compose", plan, out=out, root=root), out)
    return out / "compose"


def _load(folder: Path) -> dict[str, Any]:
    document = yaml.safe_load((folder / "compose.yaml").read_text())
    assert isinstance(document, dict)
    return document


def test_services_scale_and_check_health(
    make_plan: Callable[..., Plan], tmp_path: Path
) -> None:
    compose = _load(_write(make_plan(instances=4), tmp_path))
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "app", "balancer"}
    app = services["app"]
    assert app["deploy"]["replicas"] == 4
    assert any("/ready" in part for part in app["healthcheck"]["test"])
    assert app["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }
    assert services["balancer"]["depends_on"] == {
        "app": {"condition": "service_healthy"}
    }
    for name in ("postgres", "redis"):
        assert services[name]["healthcheck"]["test"]


def test_secrets_are_references(make_plan: Callable[..., Plan], tmp_path: Path) -> None:
    app = _load(_write(make_plan(), tmp_path))["services"]["app"]
    assert app["env_file"] == [".env"]
    environment = app["environment"]
    assert environment["SESSION_KEY"] == "${SESSION_KEY:?set SESSION_KEY in .env}"
    assert "${POSTGRES_PASSWORD:?" in environment["DATABASE_URL"]
    for name in ("CSRF_SECRET", "METRICS_TOKEN", "SMTP_PASS", "SESSION_KEY_FALLBACKS"):
        assert name not in environment


def test_stop_grace_covers_drain(
    make_plan: Callable[..., Plan], tmp_path: Path
) -> None:
    plan = make_plan({"shutdown_drain": "10s", "shutdown_timeout": "50s"})
    app = _load(_write(plan, tmp_path))["services"]["app"]
    assert int(app["stop_grace_period"].removesuffix("s")) > 60
    assert app["stop_signal"] == "SIGTERM"


def test_balancer_mounts_its_config(
    make_plan: Callable[..., Plan], tmp_path: Path
) -> None:
    folder = _write(make_plan(), tmp_path)
    balancer = _load(folder)["services"]["balancer"]
    assert "./haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro" in balancer["volumes"]
    assert "server-template app-" in (folder / "haproxy.cfg").read_text()
    assert (folder / ".env.example").read_text().count("CHANGE_ME") >= 2


def test_build_points_at_the_generated_dockerfile(
    make_plan: Callable[..., Plan], tmp_path: Path
) -> None:
    folder = _write(make_plan(), tmp_path)
    build = _load(folder)["services"]["app"]["build"]
    assert (folder / build["context"]).resolve() == tmp_path.resolve()
    assert (tmp_path / build["dockerfile"]).is_file()


def _compose_config(
    folder: Path, **environment: str
) -> subprocess.CompletedProcess[str]:
    binary = require_binary("docker-compose")
    shutil.copy(folder / ".env.example", folder / ".env")
    names = ("SESSION_KEY", "POSTGRES_PASSWORD")
    base = {key: value for key, value in os.environ.items() if key not in names}
    return subprocess.run(
        [binary, "--project-directory", str(folder), "-f", "compose.yaml", "config"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        env={**base, **environment},
    )


def test_docker_compose_validates_the_file(
    make_plan: Callable[..., Plan], tmp_path: Path
) -> None:
    folder = _write(make_plan(instances=3), tmp_path)
    result = _compose_config(folder, SESSION_KEY="x" * 40, POSTGRES_PASSWORD="pw")
    assert result.returncode == 0, result.stderr
    resolved = yaml.safe_load(result.stdout)
    assert resolved["services"]["app"]["deploy"]["replicas"] == 3


def test_docker_compose_demands_the_session_key(
    make_plan: Callable[..., Plan], tmp_path: Path
) -> None:
    folder = _write(make_plan(), tmp_path)
    (folder / ".env.example").write_text("POSTGRES_PASSWORD=pw\n")
    result = _compose_config(folder, POSTGRES_PASSWORD="pw")
    assert result.returncode != 0
    assert "set SESSION_KEY" in result.stderr
