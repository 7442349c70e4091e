"""What a running cluster is made of, kept as JSON under ``.pyjang/cluster/``.

Every part is recorded with its port and pid, so ``status``, ``restart``,
``deploy`` and ``down`` (each a separate process) find what ``up`` started.
The file names the database and Redis URLs, so it is written owner-only.
Instances sit in two colours of ``size`` slots each: blue on the ports after
the balancer's, green after those, and the stats page after both.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from pyjang.cluster.processes import Handle
from pyjang.errors import CommandError

__all__ = [
    "STATE_DIR",
    "BalancerRecord",
    "ClusterPaths",
    "ClusterState",
    "InstanceRecord",
    "ServiceRecord",
    "last_port",
    "locked",
    "slot_name",
    "slot_port",
    "stats_port",
]

STATE_DIR = Path(".pyjang") / "cluster"
Color = Literal["blue", "green"]
BalancerKind = Literal["haproxy", "nginx"]
_SOCKET_PATH_MAX = 100


def slot_port(port: int, size: int, color: Color, index: int) -> int:
    """Return the port of slot ``index`` (1-based) of ``color``."""
    return port + index + (size if color == "green" else 0)


def slot_name(color: Color, index: int) -> str:
    """Return the instance and balancer server name of a slot (``blue1``)."""
    return f"{color}{index}"


def stats_port(port: int, size: int) -> int:
    """Return the port of the balancer's stats page, after every slot."""
    return port + 2 * size + 1


def last_port(port: int, size: int) -> int:
    """Return the highest port a cluster at ``port`` with ``size`` uses."""
    return stats_port(port, size)


@dataclass(frozen=True)
class ClusterPaths:
    """The files of the cluster kept under ``root``."""

    root: Path

    @classmethod
    def here(cls) -> ClusterPaths:
        """Return the paths for the cluster of the current directory."""
        return cls((Path.cwd() / STATE_DIR).resolve())

    @property
    def state_file(self) -> Path:
        """Return ``state.json``: what runs, by port and pid."""
        return self.root / "state.json"

    @property
    def secrets_file(self) -> Path:
        """Return ``secrets.env``: the generated keys (mode 0600)."""
        return self.root / "secrets.env"

    @property
    def logs(self) -> Path:
        """Return the folder of every part's log."""
        return self.root / "logs"

    @property
    def balancer_dir(self) -> Path:
        """Return the balancer's folder: config, pid file, temporary files."""
        return self.root / "balancer"

    @property
    def postgres_dir(self) -> Path:
        """Return the throwaway PostgreSQL's folder."""
        return self.root / "postgres"

    @property
    def redis_dir(self) -> Path:
        """Return the throwaway Redis's folder."""
        return self.root / "redis"

    @property
    def admin_socket(self) -> Path:
        """Return HAProxy's runtime API socket (kept short: sockets have a limit)."""
        path = self.balancer_dir / "haproxy.sock"
        if len(str(path)) <= _SOCKET_PATH_MAX:
            return path
        digest = hashlib.sha256(str(self.root).encode()).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / f"pyjang-{digest}.sock"

    def log(self, name: str) -> Path:
        """Return the log file of the part called ``name``."""
        return self.logs / f"{name}.log"


@dataclass
class InstanceRecord:
    """One ``pyjang run`` process of the cluster."""

    name: str
    port: int
    pid: int
    started: int | None

    @property
    def url(self) -> str:
        """Return ``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def handle(self) -> Handle:
        """Return the handle that finds, signals and waits for the process."""
        return Handle(self.pid, self.started)


@dataclass
class BalancerRecord:
    """The HAProxy or nginx process in front of the instances."""

    kind: BalancerKind
    port: int
    stats_port: int
    pid: int = 0
    started: int | None = None
    enabled: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        """Return ``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def stats_url(self) -> str:
        """Return the stats page's URL (HAProxy's page, nginx's stub_status)."""
        return f"http://127.0.0.1:{self.stats_port}/"

    @property
    def handle(self) -> Handle:
        """Return the handle that finds, signals and waits for the process."""
        return Handle(self.pid, self.started)


@dataclass
class ServiceRecord:
    """The shared PostgreSQL or Redis; ``managed`` when the cluster started it."""

    kind: Literal["postgres", "redis"]
    url: str
    managed: bool
    port: int | None = None
    pid: int | None = None
    started: int | None = None

    @property
    def handle(self) -> Handle | None:
        """Return the process handle of a throwaway server, else None."""
        return None if self.pid is None else Handle(self.pid, self.started)


@dataclass
class ClusterState:
    """Everything ``pyjang cluster up`` started, as recorded in ``state.json``."""

    size: int
    port: int
    balancer: BalancerRecord
    key_id: str
    csrf_id: str
    secrets_from_env: bool
    color: Color = "blue"
    app: str | None = None
    instances: list[InstanceRecord] = field(default_factory=list)
    services: list[ServiceRecord] = field(default_factory=list)

    def service(self, kind: str) -> ServiceRecord:
        """Return the service of ``kind`` (``postgres`` or ``redis``)."""
        return next(item for item in self.services if item.kind == kind)

    def instance(self, name: str) -> InstanceRecord:
        """Return the instance called ``name``; raise CommandError if none."""
        for item in self.instances:
            if item.name == name:
                return item
        raise CommandError(f"the cluster has no instance {name!r}")

    def save(self, paths: ClusterPaths) -> None:
        """Write the state atomically, readable by the owner only."""
        paths.root.mkdir(parents=True, exist_ok=True)
        temporary = paths.state_file.with_suffix(".tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(asdict(self), handle, indent=2)
        os.replace(temporary, paths.state_file)

    @classmethod
    def load(cls, paths: ClusterPaths) -> ClusterState:
        """Read the state; raise CommandError when no cluster was started here."""
        try:
            raw: dict[str, Any] = json.loads(paths.state_file.read_text("utf-8"))
        except FileNotFoundError:
            raise CommandError(
                f"no cluster runs here ({paths.state_file} does not exist); "
                "start one with `pyjang cluster up`"
            ) from None
        except (OSError, ValueError) as error:
            raise CommandError(
                f"cannot read {paths.state_file}: {error}; remove the folder "
                "after stopping its processes"
            ) from None
        return cls._from_dict(raw)

    @classmethod
    def _from_dict(cls, raw: dict[str, Any]) -> ClusterState:
        values = dict(raw)
        values["balancer"] = BalancerRecord(**raw["balancer"])
        values["instances"] = [InstanceRecord(**item) for item in raw["instances"]]
        values["services"] = [ServiceRecord(**item) for item in raw["services"]]
        return cls(**values)


@contextlib.contextmanager
def locked(paths: ClusterPaths) -> Iterator[None]:
    """Hold the cluster's lock; raise CommandError when another command has it."""
    paths.root.mkdir(parents=True, exist_ok=True)
    with (paths.root / "lock").open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CommandError(
                "another `pyjang cluster` command is working on this cluster; "
                "wait for it to finish"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
