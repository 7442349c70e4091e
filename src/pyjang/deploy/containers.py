"""Render the container image and the files that run it under an orchestrator.

The Dockerfile builds a slim image that runs as an unprivileged user; the
Compose file runs that image scaled out behind HAProxy, next to PostgreSQL
and Redis; the Kubernetes manifest runs it as a Deployment with probes, a
disruption budget and a graceful stop. Secrets are always references: to
``.env`` in Compose, to the ``pyjang-secrets`` Secret in Kubernetes.
"""

from __future__ import annotations

from pyjang.deploy.balancers import DEFAULT_TLS, render_haproxy
from pyjang.deploy.model import Backend, DnsDiscovery, TLSFiles
from pyjang.deploy.plan import PLACEHOLDER, Plan
from pyjang.deploy.templating import render

__all__ = [
    "CONTAINER_PROXIES",
    "CONTAINER_UID",
    "PRE_STOP_SECONDS",
    "render_compose",
    "render_compose_env",
    "render_compose_haproxy",
    "render_dockerfile",
    "render_dockerignore",
    "render_kubernetes",
]

CONTAINER_UID = 10001
PRE_STOP_SECONDS = 5
# App containers are reachable only on the orchestrator's private network,
# so any private address there is the balancer or the ingress.
CONTAINER_PROXIES = "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7"
_PROBE = (
    "import os, urllib.request as r; "
    "r.urlopen('http://127.0.0.1:%s{path}' % os.environ.get('PORT', '{port}'), "
    "timeout=2)"
)


def _probe(path: str, port: int) -> list[str]:
    return ["python", "-c", _PROBE.format(path=path, port=port)]


def render_dockerfile(plan: Plan, *, dockerfile: str = "Dockerfile") -> str:
    """Return a multi-stage Dockerfile for the project in the build context.

    ``dockerfile`` is the file's path from the project root, used in the
    build command the file's first lines show.
    """
    return render(
        "Dockerfile.j2",
        dockerfile=dockerfile,
        image=plan.image,
        uid=CONTAINER_UID,
        port=plan.base_port,
        stop_seconds=plan.stop_seconds,
        health_command=_probe("/health", plan.base_port),
        command=["pyjang", *plan.run_arguments],
    )


def render_dockerignore() -> str:
    """Return a ``.dockerignore`` that keeps secrets and local state out."""
    return render("dockerignore.j2")


def render_compose(
    plan: Plan, *, context: str = ".", dockerfile: str = "Dockerfile"
) -> str:
    """Return ``compose.yaml``: PostgreSQL, Redis, the app and HAProxy.

    ``context`` is the project root as seen from the Compose file's folder
    and ``dockerfile`` the Dockerfile's path inside that context.
    """
    settings = plan.settings
    per_instance = settings.database_pool_size + settings.database_max_overflow
    return render(
        "compose.yaml.j2",
        instances=plan.instances,
        max_connections=max(100, plan.instances * per_instance + 20),
        context=context,
        dockerfile=dockerfile,
        image=plan.image,
        port=plan.base_port,
        environment=plan.environment(trusted_proxies=CONTAINER_PROXIES),
        ready_command=["CMD", *_probe("/ready", plan.base_port)],
        stop_seconds=plan.stop_seconds,
        tls=plan.tls,
    )


def render_compose_env(plan: Plan) -> str:
    """Return the example ``.env`` for Compose, every secret a placeholder."""
    return render("compose.env.j2", placeholder=PLACEHOLDER)


def render_compose_haproxy(plan: Plan, *, tls_files: TLSFiles = DEFAULT_TLS) -> str:
    """Return the ``haproxy.cfg`` the Compose balancer mounts.

    HAProxy asks Docker's DNS for every replica of the ``app`` service, so
    scaling the service needs no new configuration. ``tls_files`` are paths
    inside the balancer's container, where ``./tls`` is mounted.
    """
    return render_haproxy(
        [Backend("app", "app", plan.base_port)],
        tls=plan.tls,
        tls_files=tls_files,
        dns=DnsDiscovery(slots=max(10, 2 * plan.instances)),
        log="stdout",
        max_body_size=plan.settings.max_body_size,
    )


def render_kubernetes(plan: Plan) -> str:
    """Return the ConfigMap, Deployment, Service, PodDisruptionBudget and Ingress.

    ``terminationGracePeriodSeconds`` covers the preStop sleep, the drain,
    the in-flight grace and a margin.
    """
    names = [name for name in plan.server_names if name != "_"]
    return render(
        "kubernetes.yaml.j2",
        instances=plan.instances,
        image=plan.image,
        uid=CONTAINER_UID,
        port=plan.base_port,
        environment=plan.environment(trusted_proxies=CONTAINER_PROXIES),
        grace_seconds=PRE_STOP_SECONDS + plan.stop_seconds,
        pre_stop_seconds=PRE_STOP_SECONDS,
        host=names[0] if names else None,
    )
