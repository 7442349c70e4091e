"""Render systemd units for several pyjang instances on one server.

The template unit ``pyjang@.service`` runs one instance per port
(``pyjang@8080.service``), ``pyjang.target`` starts them all, and the
example environment file names every secret with a placeholder. Instances
listen on loopback behind a balancer on the same server, so that balancer
is the proxy they trust by default.
"""

from __future__ import annotations

import shlex

from pyjang.deploy.plan import PLACEHOLDER, Plan
from pyjang.deploy.templating import render

__all__ = [
    "LOCAL_PROXIES",
    "SERVICE_USER",
    "render_env_file",
    "render_systemd_target",
    "render_systemd_unit",
]

SERVICE_USER = "pyjang"
LOCAL_PROXIES = "127.0.0.1/32,::1/128"


def render_systemd_unit(plan: Plan) -> str:
    """Return the template unit ``pyjang@.service`` for ``plan``.

    ``TimeoutStopSec`` covers the drain, the in-flight grace and a margin,
    so systemd never kills an instance that is still finishing requests.
    """
    command = shlex.join([plan.executable, *plan.run_arguments])
    return render(
        "pyjang@.service.j2",
        user=SERVICE_USER,
        ports=plan.ports,
        environment=_unit_environment(plan),
        command=command,
        stop_seconds=plan.stop_seconds,
    )


def _unit_environment(plan: Plan) -> dict[str, str]:
    values = plan.environment(trusted_proxies=LOCAL_PROXIES)
    host = plan.settings.host
    return {"HOST": host, **values}


def render_systemd_target(plan: Plan) -> str:
    """Return ``pyjang.target``, which wants one instance per port."""
    wants = " ".join(f"pyjang@{port}.service" for port in plan.ports)
    return render("pyjang.target.j2", ports=plan.ports, wants=wants)


def render_env_file(plan: Plan) -> str:
    """Return the example ``/etc/pyjang/pyjang.env`` with placeholder secrets.

    The database and Redis URLs keep their user, host and database from the
    settings; any password becomes the placeholder.
    """
    return render(
        "pyjang.env.j2",
        placeholder=PLACEHOLDER,
        database_url=plan.database_url_example(),
        redis_url=plan.redis_url_example(),
    )
