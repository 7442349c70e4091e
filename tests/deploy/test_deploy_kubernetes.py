"""The Kubernetes manifest parses and every container is probed and bounded.

When ``kubernetes-validate`` (from PyPI; it ships the API schemas) is on the
PATH, the manifest is also validated strictly against those schemas.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from pyjang.deploy import Plan, build_files
from tests.conftest import require


def _documents(plan: Plan) -> list[dict[str, Any]]:
    [manifest] = build_files("kubernetes", plan, out=Path("out"))
    return [item for item in yaml.safe_load_all(manifest.content) if item]


def _by_kind(plan: Plan) -> dict[str, dict[str, Any]]:
    return {item["kind"]: item for item in _documents(plan)}


def _containers(deployment: dict[str, Any]) -> list[dict[str, Any]]:
    spec = deployment["spec"]["template"]["spec"]
    return [*spec.get("initContainers", []), *spec["containers"]]


def test_manifest_holds_each_object(make_plan: Callable[..., Plan]) -> None:
    kinds = [item["kind"] for item in _documents(make_plan())]
    assert sorted(kinds) == sorted(
        ["ConfigMap", "Deployment", "Service", "PodDisruptionBudget", "Ingress"]
    )
    assert "Secret" not in kinds


def test_every_container_is_probed_and_bounded(make_plan: Callable[..., Plan]) -> None:
    deployment = _by_kind(make_plan(instances=5))["Deployment"]
    assert deployment["spec"]["replicas"] == 5
    for container in _containers(deployment):
        assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
        assert container["livenessProbe"]["httpGet"]["path"] == "/health"
        assert container["startupProbe"]["httpGet"]["path"] == "/health"
        for bound in ("requests", "limits"):
            assert set(container["resources"][bound]) == {"cpu", "memory"}


def test_stop_is_graceful(make_plan: Callable[..., Plan]) -> None:
    plan = make_plan({"shutdown_drain": "8s", "shutdown_timeout": "45s"})
    pod = _by_kind(plan)["Deployment"]["spec"]["template"]["spec"]
    [container] = pod["containers"]
    sleep = container["lifecycle"]["preStop"]["exec"]["command"]
    assert sleep[0] == "sleep"
    assert pod["terminationGracePeriodSeconds"] >= int(sleep[1]) + 8 + 45


def test_pods_run_as_non_root(make_plan: Callable[..., Plan]) -> None:
    pod = _by_kind(make_plan())["Deployment"]["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    for container in pod["containers"]:
        assert container["securityContext"]["allowPrivilegeEscalation"] is False


def test_secrets_are_references(make_plan: Callable[..., Plan]) -> None:
    objects = _by_kind(make_plan())
    [container] = objects["Deployment"]["spec"]["template"]["spec"]["containers"]
    references = {
        item["name"]: item["valueFrom"]["secretKeyRef"]
        for item in container["env"]
        if "secretKeyRef" in item.get("valueFrom", {})
    }
    assert references["SESSION_KEY"] == {"name": "pyjang-secrets", "key": "SESSION_KEY"}
    assert references["DATABASE_URL"]["name"] == "pyjang-secrets"
    assert {"secretRef": {"name": "pyjang-secrets"}} in container["envFrom"]
    config = objects["ConfigMap"]["data"]
    for name in ("SESSION_KEY", "CSRF_SECRET", "DATABASE_URL", "REDIS_URL"):
        assert name not in config
    assert all(isinstance(value, str) for value in config.values())


def test_budget_and_service_select_the_pods(make_plan: Callable[..., Plan]) -> None:
    objects = _by_kind(make_plan())
    labels = objects["Deployment"]["spec"]["template"]["metadata"]["labels"]
    assert objects["Service"]["spec"]["selector"] == labels
    assert objects["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"] == labels
    assert objects["PodDisruptionBudget"]["spec"]["maxUnavailable"] == 1


def test_ingress_uses_the_public_host(make_plan: Callable[..., Plan]) -> None:
    plan = make_plan({"public_url": "https://shop.example.com"})
    ingress = _by_kind(plan)["Ingress"]["spec"]
    assert ingress["rules"][0]["host"] == "shop.example.com"
    assert ingress["tls"] == [
        {"secretName": "pyjang-tls", "hosts": ["shop.example.com"]}
    ]


@pytest.mark.parametrize("public_url", [None, "https://shop.example.com"])
def test_schemas_accept_the_manifest(
    public_url: str | None, make_plan: Callable[..., Plan], tmp_path: Path
) -> None:
    beside_python = Path(sys.executable).parent / "kubernetes-validate"
    validator = shutil.which("kubernetes-validate") or (
        str(beside_python) if beside_python.exists() else None
    )
    if validator is None:
        require("kubernetes-validate", "pip install the test extras")
    [manifest] = build_files(
        "kubernetes", make_plan({"public_url": public_url}), out=tmp_path
    )
    path = tmp_path / "pyjang.yaml"
    path.write_text(manifest.content)
    result = subprocess.run(
        [validator, "--strict", str(path)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ERROR" not in result.stdout
