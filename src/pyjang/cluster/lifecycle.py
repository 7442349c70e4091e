"""Bring a local cluster up and take it down again.

``up`` starts, in order, the shared services, the blue instances and the
balancer, recording each part in the state file as soon as it runs; when a
step fails, everything already started is stopped again before the error is
raised, so a failed ``up`` leaves nothing running. ``down`` stops every part
it finds recorded and removes the state folder (all but the data, the
secrets and the logs with ``keep_data``).
"""

from __future__ import annotations

import contextlib
import shutil
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pyjang.cluster.balancer import open_balancer
from pyjang.cluster.datastores import provide_services, release_services
from pyjang.cluster.instances import (
    InstanceConfig,
    cluster_settings,
    start_instances,
    stop_instances,
)
from pyjang.cluster.keys import ClusterKeys, make_keys
from pyjang.cluster.state import (
    BalancerKind,
    BalancerRecord,
    ClusterPaths,
    ClusterState,
    Color,
    last_port,
    locked,
    slot_name,
    slot_port,
    stats_port,
)
from pyjang.cluster.tools import find_tool
from pyjang.cluster.web import Unreachable, fetch
from pyjang.errors import CommandError, ConfigError
from pyjang.settings import load_settings

__all__ = [
    "MAX_INSTANCES",
    "UpOptions",
    "check_ports_free",
    "down",
    "instance_config",
    "slots_of",
    "teardown",
    "up",
]

MAX_INSTANCES = 16
Say = Callable[[str], None]


@dataclass(frozen=True)
class UpOptions:
    """What ``pyjang cluster up`` was asked for."""

    size: int = 3
    balancer: BalancerKind = "haproxy"
    port: int = 8000
    app: str | None = None


def slots_of(state: ClusterState, color: Color) -> list[tuple[str, int]]:
    """Return ``(name, port)`` of every slot of ``color``."""
    return [
        (slot_name(color, index), slot_port(state.port, state.size, color, index))
        for index in range(1, state.size + 1)
    ]


def instance_config(state: ClusterState, keys: ClusterKeys) -> InstanceConfig:
    """Return what every instance of ``state`` is started with."""
    return InstanceConfig(
        session_key=keys.session_key,
        csrf_secret=keys.csrf_secret,
        database_url=state.service("postgres").url,
        redis_url=state.service("redis").url,
        app=state.app,
    )


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def check_ports_free(ports: list[int], first: int, last: int) -> None:
    """Raise CommandError naming the first of ``ports`` already in use."""
    for port in ports:
        if not _port_free(port):
            raise CommandError(
                f"port {port} on 127.0.0.1 is in use; choose another --port "
                f"(the cluster uses ports {first} to {last})"
            )


def _validate(options: UpOptions) -> None:
    if not 1 <= options.size <= MAX_INSTANCES:
        raise CommandError(f"-n must be between 1 and {MAX_INSTANCES}")
    last = last_port(options.port, options.size)
    if last > 65535:
        raise CommandError(
            f"{options.size} instances from --port {options.port} need ports up to "
            f"{last}; choose a --port up to {options.port - (last - 65535)}"
        )
    find_tool(options.balancer)


def _check_ports(options: UpOptions) -> None:
    first, size = options.port, options.size
    ports = [first, *range(first + 1, first + size + 1), stats_port(first, size)]
    check_ports_free(ports, first, last_port(first, size))


def _refuse_existing(paths: ClusterPaths) -> None:
    if not paths.state_file.exists():
        return
    state = ClusterState.load(paths)
    parts = [state.balancer.handle, *(i.handle for i in state.instances)]
    if any(handle.alive() for handle in parts):
        raise CommandError(
            f"a cluster already runs here (balancer {state.balancer.url}); see "
            "`pyjang cluster status`, or stop it with `pyjang cluster down`"
        )
    raise CommandError(
        f"a stopped cluster's state is still in {paths.root}; clear it with "
        "`pyjang cluster down` (add --keep-data to keep its data)"
    )


def _check_settings(config: InstanceConfig) -> None:
    # Validate what the instances will read before starting any of them.
    values = cluster_settings(config, "check", 8080)
    try:
        load_settings(**{name.lower(): value for name, value in values.items()})
    except ConfigError as error:
        raise CommandError(str(error)) from None


def up(paths: ClusterPaths, options: UpOptions, say: Say) -> ClusterState:
    """Start a cluster as ``options`` asks; return its state once all is ready.

    Raises CommandError, with nothing left running, when any part fails.
    """
    _validate(options)
    with locked(paths):
        _refuse_existing(paths)
        _check_ports(options)
        # Data kept by an earlier `down --keep-data` survives a failed `up`.
        kept = any(p.exists() for p in (paths.secrets_file, *_data_dirs(paths)))
        keys = make_keys(paths)
        record = BalancerRecord(
            options.balancer, options.port, stats_port(options.port, options.size)
        )
        state = ClusterState(
            size=options.size,
            port=options.port,
            balancer=record,
            key_id=keys.key_id,
            csrf_id=keys.csrf_id,
            secrets_from_env=keys.from_env,
            app=options.app,
        )
        try:
            state.services = provide_services(paths, say, keep_data=kept)
            state.save(paths)
            _start_parts(paths, state, keys, say)
        except BaseException:
            teardown(paths, state, keep_data=kept, keep_logs=True)
            raise
        return state


def _data_dirs(paths: ClusterPaths) -> tuple[Path, Path]:
    return paths.postgres_dir, paths.redis_dir


def _start_parts(
    paths: ClusterPaths, state: ClusterState, keys: ClusterKeys, say: Say
) -> None:
    config = instance_config(state, keys)
    _check_settings(config)
    slots = slots_of(state, "blue")
    say(f"starting {len(slots)} instances and waiting until they are ready")
    state.instances = start_instances(paths, config, slots)
    state.save(paths)
    say(f"starting {state.balancer.kind} on {state.balancer.url}")
    state.balancer.enabled = [name for name, _ in slots]
    balancer = open_balancer(paths, state.balancer, state.size)
    try:
        balancer.start()
    finally:
        state.save(paths)
    say("checking that the balancer answers")
    _wait_balancer(state)


def _wait_balancer(state: ClusterState) -> None:
    try:
        reply = fetch(f"{state.balancer.url}/ready", timeout=5)
    except Unreachable as error:
        raise CommandError(
            f"the balancer at {state.balancer.url} does not answer: {error}"
        ) from None
    if reply.status != 200:
        raise CommandError(
            f"the balancer at {state.balancer.url} answered /ready with {reply.status}"
        )


def down(paths: ClusterPaths, *, keep_data: bool, say: Say) -> ClusterState:
    """Stop every part of the cluster; return the state it had.

    Raises CommandError when no cluster was started here.
    """
    with locked(paths):
        state = ClusterState.load(paths)
        say("stopping the balancer, the instances and the services")
        teardown(paths, state, keep_data=keep_data, keep_logs=keep_data)
        return state


def teardown(
    paths: ClusterPaths, state: ClusterState, *, keep_data: bool, keep_logs: bool
) -> None:
    """Stop whatever of ``state`` runs, then remove the state folder's files."""
    if state.balancer.pid:
        open_balancer(paths, state.balancer, state.size).stop()
    stop_instances(state.instances, drain=False)
    release_services(paths, state.services, keep_data=keep_data)
    _clean(paths, keep_data=keep_data, keep_logs=keep_logs)


def _clean(paths: ClusterPaths, *, keep_data: bool, keep_logs: bool) -> None:
    kept = set()
    if keep_data:
        kept |= {paths.secrets_file.name, paths.postgres_dir.name, paths.redis_dir.name}
    if keep_logs:
        kept.add(paths.logs.name)
    for entry in paths.root.iterdir() if paths.root.exists() else []:
        if entry.name in kept or entry.name == "lock":
            continue
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
    if not kept:
        shutil.rmtree(paths.root, ignore_errors=True)
        with contextlib.suppress(OSError):
            paths.root.parent.rmdir()  # .pyjang, when nothing else is in it
