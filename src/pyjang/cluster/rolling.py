"""Replace a running cluster's instances without a failed request.

A rolling restart takes one instance at a time out of rotation, waits until
the balancer has no request of it in flight, stops it, starts its
replacement on the same port, waits until that is ready and back in
rotation, and only then moves on. A blue-green deploy starts a whole second
set on the other colour's ports, puts it in rotation, takes the old set out
and stops it. A one-instance cluster is always replaced blue-green, as it
has no other instance to serve while it restarts.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from pyjang.cluster.balancer import Balancer, open_balancer
from pyjang.cluster.instances import (
    InstanceConfig,
    start_instances,
    stop_instances,
)
from pyjang.cluster.keys import load_keys
from pyjang.cluster.lifecycle import check_ports_free, instance_config, slots_of
from pyjang.cluster.state import (
    ClusterPaths,
    ClusterState,
    Color,
    InstanceRecord,
    last_port,
    locked,
)
from pyjang.errors import CommandError

__all__ = ["blue_green", "replace_instance", "rolling_restart"]

Say = Callable[[str], None]


def _prepare(paths: ClusterPaths) -> tuple[ClusterState, Balancer, InstanceConfig]:
    state = ClusterState.load(paths)
    config = instance_config(state, load_keys(paths, state))
    return state, open_balancer(paths, state.balancer, state.size), config


def rolling_restart(paths: ClusterPaths, say: Say) -> ClusterState:
    """Restart every instance in turn; return the new state.

    Raises CommandError when a replacement does not become ready; the
    instances not yet restarted keep serving.
    """
    with locked(paths):
        state, balancer, config = _prepare(paths)
        if state.size == 1:
            return _switch_colour(paths, state, balancer, config, say)
        for record in list(state.instances):
            say(f"restarting {record.name}")
            replace_instance(paths, state, balancer, config, record)
        return state


def replace_instance(
    paths: ClusterPaths,
    state: ClusterState,
    balancer: Balancer,
    config: InstanceConfig,
    record: InstanceRecord,
) -> InstanceRecord:
    """Take ``record`` out, restart it on its port and put it back in rotation."""
    if record.name in balancer.record.enabled:
        balancer.disable([record.name])
        state.save(paths)
    stop_instances([record], drain=False)
    (new,) = start_instances(paths, config, [(record.name, record.port)])
    state.instances = [new if i.name == record.name else i for i in state.instances]
    state.save(paths)
    balancer.enable([new.name])
    state.save(paths)
    return new


def blue_green(paths: ClusterPaths, say: Say) -> ClusterState:
    """Start a second set of instances, switch the balancer to it, stop the first.

    Raises CommandError when the new set does not become ready; the old set
    then keeps serving and the new one is stopped.
    """
    with locked(paths):
        state, balancer, config = _prepare(paths)
        return _switch_colour(paths, state, balancer, config, say)


def _other(color: Color) -> Color:
    return "green" if color == "blue" else "blue"


def _switch_colour(
    paths: ClusterPaths,
    state: ClusterState,
    balancer: Balancer,
    config: InstanceConfig,
    say: Say,
) -> ClusterState:
    new_color = _other(state.color)
    slots = slots_of(state, new_color)
    check_ports_free(
        [port for _, port in slots], state.port, last_port(state.port, state.size)
    )
    say(f"starting {len(slots)} {new_color} instances")
    new = start_instances(paths, config, slots)
    old = list(state.instances)
    state.instances = [*old, *new]
    state.save(paths)
    say(f"switching {state.balancer.kind} to the {new_color} instances")
    try:
        balancer.enable([record.name for record in new])
    except CommandError:
        _abandon(paths, state, balancer, old, new)
        raise
    state.save(paths)
    say(f"draining and stopping the {state.color} instances")
    balancer.disable([record.name for record in old])
    state.save(paths)
    stop_instances(old, drain=False)
    state.instances, state.color = new, new_color
    state.save(paths)
    return state


def _abandon(
    paths: ClusterPaths,
    state: ClusterState,
    balancer: Balancer,
    old: list[InstanceRecord],
    new: list[InstanceRecord],
) -> None:
    # The old set never left rotation; take the new one out and stop it.
    with contextlib.suppress(CommandError):
        balancer.disable([record.name for record in new])
    stop_instances(new, drain=False)
    state.instances = old
    state.save(paths)
