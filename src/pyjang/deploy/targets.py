"""Turn a target name into files, check them for secrets and write them.

Each target is a family of files under its own folder of the output
directory::

    haproxy/     haproxy.cfg
    nginx/       pyjang.conf
    systemd/     pyjang@.service, pyjang.target, pyjang.env.example
    compose/     compose.yaml, haproxy.cfg, .env.example (+ docker/)
    kubernetes/  pyjang.yaml
    docker/      Dockerfile, Dockerfile.dockerignore

Nothing is written until every file has been rendered and every path
checked, so a refusal leaves the output directory as it was.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from pyjang.deploy import containers, systemd
from pyjang.deploy.balancers import render_haproxy, render_nginx
from pyjang.deploy.plan import Plan
from pyjang.errors import CommandError
from pyjang.settings import Settings

__all__ = ["TARGETS", "GeneratedFile", "build_files", "find_secrets", "write_files"]

MIN_GUARDED_SECRET = 12


@dataclass(frozen=True)
class GeneratedFile:
    """One file to write: its path inside the output directory and its text."""

    path: str
    content: str


def _haproxy(plan: Plan, root: Path, out: Path) -> list[GeneratedFile]:
    text = render_haproxy(
        plan.backends,
        tls=plan.tls,
        tls_files=plan.tls_files,
        admin_socket="/run/haproxy/admin.sock",
        run_as="haproxy",
        max_body_size=plan.settings.max_body_size,
    )
    return [GeneratedFile("haproxy/haproxy.cfg", text)]


def _nginx(plan: Plan, root: Path, out: Path) -> list[GeneratedFile]:
    text = render_nginx(
        plan.backends,
        tls=plan.tls,
        tls_files=plan.tls_files,
        server_names=plan.server_names,
        max_body_size=plan.settings.max_body_size,
    )
    return [GeneratedFile("nginx/pyjang.conf", text)]


def _systemd(plan: Plan, root: Path, out: Path) -> list[GeneratedFile]:
    return [
        GeneratedFile("systemd/pyjang@.service", systemd.render_systemd_unit(plan)),
        GeneratedFile("systemd/pyjang.target", systemd.render_systemd_target(plan)),
        GeneratedFile("systemd/pyjang.env.example", systemd.render_env_file(plan)),
    ]


def _dockerfile(plan: Plan, root: Path, out: Path) -> list[GeneratedFile]:
    path = os.path.relpath(out / "docker" / "Dockerfile", root)
    dockerfile = containers.render_dockerfile(plan, dockerfile=path)
    ignore = containers.render_dockerignore()
    return [
        GeneratedFile("docker/Dockerfile", dockerfile),
        GeneratedFile("docker/Dockerfile.dockerignore", ignore),
    ]


def _compose(plan: Plan, root: Path, out: Path) -> list[GeneratedFile]:
    context = os.path.relpath(root, out / "compose")
    dockerfile = os.path.relpath(out / "docker" / "Dockerfile", root)
    compose = containers.render_compose(plan, context=context, dockerfile=dockerfile)
    return [
        GeneratedFile("compose/compose.yaml", compose),
        GeneratedFile("compose/haproxy.cfg", containers.render_compose_haproxy(plan)),
        GeneratedFile("compose/.env.example", containers.render_compose_env(plan)),
        *_dockerfile(plan, root, out),
    ]


def _kubernetes(plan: Plan, root: Path, out: Path) -> list[GeneratedFile]:
    return [GeneratedFile("kubernetes/pyjang.yaml", containers.render_kubernetes(plan))]


Renderer = Callable[[Plan, Path, Path], list[GeneratedFile]]
TARGETS: dict[str, Renderer] = {
    "nginx": _nginx,
    "haproxy": _haproxy,
    "systemd": _systemd,
    "compose": _compose,
    "kubernetes": _kubernetes,
    "dockerfile": _dockerfile,
}


def build_files(
    target: str, plan: Plan, *, out: Path, root: Path | None = None
) -> list[GeneratedFile]:
    """Return the files for ``target`` (a name in :data:`TARGETS`, or ``all``).

    ``root`` is the project root the image is built from (the current
    directory by default). Raises ``ValueError`` for an unknown target and
    :class:`CommandError` when a file would hold a secret.
    """
    names = list(TARGETS) if target == "all" else [target]
    if any(name not in TARGETS for name in names):
        choices = ", ".join([*TARGETS, "all"])
        raise ValueError(f"unknown target {target!r}; choose one of {choices}")
    base = (root or Path.cwd()).resolve()
    files: dict[str, GeneratedFile] = {}
    for name in names:
        for item in TARGETS[name](plan, base, out.resolve()):
            files[item.path] = item
    leaks = find_secrets(files.values(), plan.settings)
    if leaks:
        raise CommandError(f"refusing to write {leaks[0]}: it would hold a secret")
    return list(files.values())


def _secret_values(settings: Settings) -> list[str]:
    secrets = [settings.session_key, *settings.session_key_fallbacks]
    secrets += [settings.csrf_secret, settings.metrics_token, settings.smtp_pass]
    values = [secret.get_secret_value() for secret in secrets if secret is not None]
    urls = (settings.database_url, settings.database_replica_url, settings.redis_url)
    for url in urls:
        password = urlsplit(url).password if url else None
        values += [password] if password else []
    return [value for value in values if len(value) >= MIN_GUARDED_SECRET]


def find_secrets(files: Iterable[GeneratedFile], settings: Settings) -> list[str]:
    """Return the paths of ``files`` that contain a secret from ``settings``.

    Secrets shorter than 12 characters are not looked for, since they could
    match ordinary text.
    """
    values = _secret_values(settings)
    return [item.path for item in files if any(v in item.content for v in values)]


def _check_out(out: Path) -> None:
    existing = out
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise CommandError(f"cannot write to {out}: {existing} is not a directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise CommandError(f"cannot write to {out}: {existing} is not writable")


def _check_target(path: Path, out: Path, force: bool) -> None:
    for parent in path.relative_to(out).parents:
        folder = out / parent
        if folder.exists() and not folder.is_dir():
            raise CommandError(f"cannot write {path}: {folder} is not a directory")
    if path.is_dir():
        raise CommandError(f"cannot write {path}: it is a directory")
    if path.exists() and not force:
        raise CommandError(f"{path} exists; pass --force to overwrite it")


def write_files(
    files: Iterable[GeneratedFile], out: Path, *, force: bool = False
) -> list[Path]:
    """Write ``files`` under ``out`` and return the paths written.

    Raises :class:`CommandError` before writing anything when ``out`` is
    not a writable directory, or when a file exists and ``force`` is false.
    """
    _check_out(out)
    planned = [(out / item.path, item.content) for item in files]
    for path, _ in planned:
        _check_target(path, out, force)
    for path, content in planned:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    return [path for path, _ in planned]
