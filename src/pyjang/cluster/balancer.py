"""The real HAProxy or nginx in front of a local cluster, behind one interface.

The config lists a server for every slot of both colours (see
:mod:`pyjang.cluster.state`); the slots not in rotation are disabled
(HAProxy) or marked ``down`` (nginx). Taking an instance out of rotation and
putting it back is all a rolling restart and a blue-green switch need.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from pyjang.cluster.haproxy import HAProxy
from pyjang.cluster.nginx import Nginx
from pyjang.cluster.state import BalancerRecord, ClusterPaths, slot_name, slot_port
from pyjang.deploy import Backend

__all__ = ["Balancer", "open_balancer", "slot_backends"]


class Balancer(Protocol):
    """What the cluster commands need from a balancer."""

    record: BalancerRecord

    def start(self) -> None:
        """Write the config, check it, start the balancer, wait until it serves."""

    def enable(self, names: Sequence[str]) -> None:
        """Put servers in rotation; return once the balancer sends them requests."""

    def disable(self, names: Sequence[str]) -> None:
        """Take servers out; return once no request of theirs is in flight."""

    def server_states(self) -> dict[str, str]:
        """Return each server's state as the balancer reports it."""

    def stop(self) -> None:
        """Stop the balancer and wait until it has exited."""


def slot_backends(port: int, size: int) -> list[Backend]:
    """Return a backend for every slot: blue ones first, then green ones."""
    return [
        Backend(
            slot_name(color, index), "127.0.0.1", slot_port(port, size, color, index)
        )
        for color in ("blue", "green")
        for index in range(1, size + 1)
    ]


def open_balancer(paths: ClusterPaths, record: BalancerRecord, size: int) -> Balancer:
    """Return the controller of the balancer ``record`` describes."""
    kind = HAProxy if record.kind == "haproxy" else Nginx
    return kind(paths, record, slot_backends(record.port, size))
