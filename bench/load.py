"""Drive one workload with wrk and sample the server's memory meanwhile."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "LoadResult",
    "Workload",
    "process_tree_cpu",
    "process_tree_rss",
    "run_wrk",
]

LUA_SCRIPT = Path(__file__).parent / "lua" / "workload.lua"
SAMPLE_SECONDS = 0.2
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Workload:
    """What wrk sends: a method and path, what a good answer looks like."""

    name: str
    method: str
    path: str
    expectation: str
    family_file: bool


@dataclass
class LoadResult:
    """What one wrk run measured."""

    requests: int
    seconds: float
    bad_status: int
    missing_marker: int
    socket_errors: int
    timeouts: int
    p50_ms: float
    p99_ms: float
    peak_rss_mib: float
    cpu_seconds: float

    @property
    def rps(self) -> float:
        """Return requests per second over the run."""
        return self.requests / self.seconds if self.seconds else 0.0


def _stats() -> dict[int, list[str]]:
    stats = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    stats[int(entry)] = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
    return stats


def _tree(root: int, stats: dict[int, list[str]]) -> list[int]:
    children: dict[int, list[int]] = {}
    for pid, fields in stats.items():
        children.setdefault(int(fields[1]), []).append(pid)
    found, pending = [], [root]
    while pending:
        pid = pending.pop()
        found.append(pid)
        pending.extend(children.get(pid, []))
    return found


def process_tree_rss(root: int) -> int:
    """Return the resident memory, in bytes, of ``root`` and its descendants."""
    return sum(_rss(pid) for pid in _tree(root, _stats()))


def process_tree_cpu(root: int) -> float:
    """Return the CPU seconds (user + system) ``root`` and its descendants used."""
    stats = _stats()
    ticks = 0
    for pid in _tree(root, stats):
        fields = stats.get(pid)
        if fields is not None:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / CLOCK_TICKS


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class _Sampler(threading.Thread):
    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root, self.peak = root, 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(SAMPLE_SECONDS):
            self.peak = max(self.peak, process_tree_rss(self.root))


def run_wrk(
    url: str,
    workload: Workload,
    request_file: Path | None,
    *,
    seconds: float,
    connections: int,
    threads: int,
    server_pid: int,
) -> LoadResult:
    """Run wrk for ``seconds`` against ``url`` and return what it measured."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk is not installed")
    command = [wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s"]
    command += ["--timeout", "10s", "-s", str(LUA_SCRIPT), url + workload.path, "--"]
    command += [workload.method, workload.path, workload.expectation]
    command.append(str(request_file) if request_file else "")
    sampler = _Sampler(server_pid)
    cpu_before = process_tree_cpu(server_pid)
    sampler.start()
    try:
        done = subprocess.run(  # noqa: S603
            command, capture_output=True, text=True, timeout=seconds + 60
        )
    finally:
        sampler.stopped.set()
        sampler.join()
    line = next(
        (row for row in done.stdout.splitlines() if row.startswith("BENCH ")), None
    )
    if line is None:
        raise RuntimeError(f"wrk printed no result: {done.stdout}{done.stderr}")
    data = json.loads(line.removeprefix("BENCH "))
    cpu = process_tree_cpu(server_pid) - cpu_before
    peak = max(sampler.peak, process_tree_rss(server_pid))
    return LoadResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        bad_status=data["bad_status"],
        missing_marker=data["missing_marker"],
        socket_errors=data["socket_errors"],
        timeouts=data["timeouts"],
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        peak_rss_mib=peak / 2**20,
        cpu_seconds=cpu,
    )
