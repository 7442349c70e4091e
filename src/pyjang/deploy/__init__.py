"""Deployment files for pyjang apps, rendered from the current settings.

Three topologies are covered: several instances on one server (a systemd
template unit behind HAProxy or nginx on loopback ports), several servers
(the balancer lists each ``host:port``), and containers under Compose or
Kubernetes. Secrets are never written: every file refers to them by name.

The balancer renderers take plain arguments so that a local cluster can run
a real HAProxy or nginx from them; everything else takes a :class:`Plan`.
"""

from __future__ import annotations

from pyjang.deploy.balancers import render_haproxy, render_nginx
from pyjang.deploy.containers import (
    render_compose,
    render_compose_env,
    render_compose_haproxy,
    render_dockerfile,
    render_dockerignore,
    render_kubernetes,
)
from pyjang.deploy.model import (
    Backend,
    DnsDiscovery,
    TLSFiles,
    loopback_backends,
    parse_servers,
)
from pyjang.deploy.plan import SECRET_NAMES, Plan
from pyjang.deploy.systemd import (
    render_env_file,
    render_systemd_target,
    render_systemd_unit,
)
from pyjang.deploy.targets import (
    TARGETS,
    GeneratedFile,
    build_files,
    find_secrets,
    write_files,
)

__all__ = [
    "SECRET_NAMES",
    "TARGETS",
    "Backend",
    "DnsDiscovery",
    "GeneratedFile",
    "Plan",
    "TLSFiles",
    "build_files",
    "find_secrets",
    "loopback_backends",
    "parse_servers",
    "render_compose",
    "render_compose_env",
    "render_compose_haproxy",
    "render_dockerfile",
    "render_dockerignore",
    "render_env_file",
    "render_haproxy",
    "render_kubernetes",
    "render_nginx",
    "render_systemd_target",
    "render_systemd_unit",
    "write_files",
]
