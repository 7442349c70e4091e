"""Draw the requests per second of every server, one panel per workload."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["draw"]

WORKLOAD_TITLES = {
    "dashboard": "dashboard: session (Redis) + user (PostgreSQL) + template",
    "hello": "hello: trivial route",
    "login": "login: POST /login (Argon2id)",
}


def draw(results: dict[str, Any], target: Path) -> bool:
    """Write the chart to ``target``; return False when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("bench: matplotlib is not installed; no chart")
        return False
    workloads = [
        w for w in WORKLOAD_TITLES if any(r["workload"] == w for r in results["rows"])
    ]
    figure, axes = plt.subplots(
        len(workloads), 1, figsize=(9, 2.2 + 1.6 * len(workloads)), squeeze=False
    )
    for axis, workload in zip(axes[:, 0], workloads, strict=True):
        _panel(
            axis, [r for r in results["rows"] if r["workload"] == workload], workload
        )
    machine = results["machine"]
    figure.suptitle(
        f"requests/s, median of {results['options']['rounds']} interleaved rounds "
        f"(bars: min-max) · {machine['nproc']} cores, {machine['cpu']}",
        fontsize=9,
    )
    figure.tight_layout()
    target.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(target, dpi=110)
    plt.close(figure)
    return True


def _panel(axis: Any, rows: list[dict[str, Any]], workload: str) -> None:
    rows = sorted(rows, key=lambda r: r["rps"])
    names = [r["label"] for r in rows]
    values = [r["rps"] for r in rows]
    low = [r["rps"] - r["rps_min"] for r in rows]
    high = [r["rps_max"] - r["rps"] for r in rows]
    colours = ["#2b6cb0" if r["server"] == "pyjang" else "#a0aec0" for r in rows]
    axis.barh(names, values, xerr=[low, high], color=colours, capsize=3)
    for position, value in enumerate(values):
        axis.text(value, position, f" {value:,.0f}", va="center", fontsize=8)
    axis.set_title(WORKLOAD_TITLES[workload], fontsize=9, loc="left")
    axis.set_xlim(0, max(values) * 1.18)
    axis.tick_params(labelsize=8)
