"""Turn the rounds into medians and ratios: a table, a JSON file and a chart."""

from __future__ import annotations

import json
import platform
import statistics
import subprocess
from dataclasses import asdict
from pathlib import Path
from typing import Any

__all__ = ["markdown", "publish", "summarise"]

GUNICORN = ("django-sync", "django-gthread")
HAND_WRITTEN = "starlette"
BARE_STARLETTE = "starlette-hello"
PER_REQUEST = {
    "redis_per_request": "delta_redis_commands",
    "sql_statements_per_request": "delta_statements",
    "sql_transactions_per_request": "delta_transactions",
    "new_pg_connections_per_request": "delta_pg_sessions",
    "new_redis_connections_per_request": "delta_redis_connections",
}
COLUMNS = (
    ("server", "server", "{}"),
    ("workload", "workload", "{}"),
    ("req/s", "rps", "{:,.0f}"),
    ("p50 ms", "p50_ms", "{:.1f}"),
    ("p99 ms", "p99_ms", "{:.1f}"),
    ("bad", "bad", "{}"),
    ("CPU ms/req", "cpu_ms_per_request", "{:.2f}"),
    ("RSS MiB", "peak_rss_mib", "{:.0f}"),
    ("Redis/req", "redis_per_request", "{:.2f}"),
    ("SQL/req", "sql_statements_per_request", "{:.2f}"),
    ("xact/req", "sql_transactions_per_request", "{:.2f}"),
    ("new conn/req", "new_connections_per_request", "{:.3f}"),
    ("x Django", "x_django", "{:.2f}"),
    ("x hand-written", "x_hand_written", "{:.2f}"),
    ("x bare Starlette", "x_bare_starlette", "{:.2f}"),
)


def _row(samples: list[dict[str, Any]], statements: bool) -> dict[str, Any]:
    requests = sum(s["requests"] for s in samples) or 1
    row: dict[str, Any] = {
        "rounds": len(samples),
        "rps": statistics.median(s["rps"] for s in samples),
        "rps_min": min(s["rps"] for s in samples),
        "rps_max": max(s["rps"] for s in samples),
        "p50_ms": statistics.median(s["p50_ms"] for s in samples),
        "p99_ms": statistics.median(s["p99_ms"] for s in samples),
        "bad": sum(
            s["bad_status"] + s["missing_marker"] + s["socket_errors"] + s["timeouts"]
            for s in samples
        ),
        "peak_rss_mib": max(s["peak_rss_mib"] for s in samples),
        "requests": requests,
        "cpu_ms_per_request": 1000 * sum(s["cpu_seconds"] for s in samples) / requests,
    }
    for name, delta in PER_REQUEST.items():
        row[name] = sum(s[delta] for s in samples) / requests
    # Only one of the two is exact on a given PostgreSQL; see bench/counters.py.
    if statements:
        row["sql_transactions_per_request"] = None
    else:
        row["sql_statements_per_request"] = None
    row["new_connections_per_request"] = (
        row["new_pg_connections_per_request"] + row["new_redis_connections_per_request"]
    )
    return row


def _ratio(
    rows: dict[tuple[str, str], dict[str, Any]],
    row: dict[str, Any],
    other: str | None,
    workload: str,
) -> float | None:
    base = rows.get((other, workload)) if other else None
    return row["rps"] / base["rps"] if base and base["rps"] else None


def summarise(
    samples: list[dict[str, Any]],
    labels: dict[str, str],
    options: Any,
    *,
    statements: bool,
    exact: dict[tuple[str, str], dict[str, float]] | None = None,
) -> dict[str, Any]:
    """Return medians, per-request counts and ratios for every pair.

    ``exact`` holds the counts per request from the counting pass; they
    replace the ones from the load runs, which are kept as ``*_under_load``.
    """
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for sample in samples:
        grouped.setdefault((sample["server"], sample["workload"]), []).append(sample)
    rows = {key: _row(group, statements) for key, group in grouped.items()}
    for key, counts in (exact or {}).items():
        for name, value in counts.items():
            if key in rows and rows[key].get(name) is not None:
                rows[key][f"{name}_under_load"] = rows[key][name]
                rows[key][name] = value
    gunicorn = [name for name in GUNICORN if (name, "dashboard") in rows]
    django = max(gunicorn, key=lambda n: rows[n, "dashboard"]["rps"], default=None)
    for (server, workload), row in rows.items():
        row["server"], row["workload"] = server, workload
        row["label"] = labels.get(server, server)
        row["x_django"] = _ratio(rows, row, django, workload)
        row["x_hand_written"] = _ratio(rows, row, HAND_WRITTEN, workload)
        row["x_bare_starlette"] = _ratio(rows, row, BARE_STARLETTE, workload)
    options_dict = {
        k: str(v) if isinstance(v, Path) else v for k, v in asdict(options).items()
    }
    return {
        "machine": machine(),
        "options": options_dict,
        "django_gunicorn": django,
        "rows": list(rows.values()),
        "samples": samples,
        "targets": targets(rows, django),
    }


def targets(
    rows: dict[tuple[str, str], dict[str, Any]], django: str | None
) -> list[dict[str, Any]]:
    """Return each performance target with its measured value."""

    def value(server: str | None, workload: str, key: str) -> Any:
        row = rows.get((server, workload)) if server else None
        return row[key] if row else None

    checks = [
        (
            "dashboard >= 3x Django (gunicorn)",
            value("pyjang", "dashboard", "x_django"),
            3.0,
            ">=",
        ),
        (
            "dashboard >= 1.2x hand-written",
            value("pyjang", "dashboard", "x_hand_written"),
            1.2,
            ">=",
        ),
        (
            "hello >= 0.8x bare Starlette",
            value("pyjang", "hello", "x_bare_starlette"),
            0.8,
            ">=",
        ),
        (
            "Redis commands per dashboard GET <= 1",
            value("pyjang", "dashboard", "redis_per_request"),
            1.0,
            "<=",
        ),
        (
            "SQL statements per dashboard GET <= 1",
            value("pyjang", "dashboard", "sql_statements_per_request"),
            1.0,
            "<=",
        ),
        (
            "new connections per request ~ 0",
            value("pyjang", "dashboard", "new_connections_per_request"),
            0.001,
            "<=",
        ),
    ]
    out = []
    for name, measured, goal, sense in checks:
        met = None
        if measured is not None:
            met = measured >= goal if sense == ">=" else measured <= goal + 1e-9
        out.append({"target": name, "measured": measured, "goal": goal, "met": met})
    return out


def machine() -> dict[str, Any]:
    """Return what the run ran on."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = Path("/proc/meminfo").read_text().split()[1]
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True)  # noqa: S607
    return {
        "nproc": len(__import__("os").sched_getaffinity(0)),
        "cpu": cpu,
        "memory_gib": round(int(memory) / 2**20, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "wrk": (wrk.stdout or wrk.stderr).splitlines()[0]
        if wrk.stdout or wrk.stderr
        else "",
        "packages": _versions(),
    }


def _versions() -> dict[str, str]:
    from importlib import metadata

    names = (
        "pyjang",
        "starlette",
        "uvicorn",
        "uvloop",
        "httptools",
        "sqlalchemy",
        "asyncpg",
        "redis",
        "jinja2",
        "argon2-cffi",
        "django",
        "gunicorn",
        "psycopg",
    )
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def _cells(row: dict[str, Any]) -> list[str]:
    cells = []
    for _, key, form in COLUMNS:
        value = row.get("label") if key == "server" else row.get(key)
        cells.append("-" if value is None else form.format(value))
    return cells


def markdown(results: dict[str, Any]) -> str:
    """Return the results as a Markdown table."""
    head = [title for title, _, _ in COLUMNS]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(_cells(row)) + " |" for row in results["rows"]]
    return "\n".join(lines) + "\n"


def _print_table(results: dict[str, Any]) -> None:
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        print(markdown(results))
        return
    table = Table(title="pyjang benchmark (medians)")
    for title, key, _ in COLUMNS:
        table.add_column(
            title, justify="left" if key in ("server", "workload") else "right"
        )
    for row in results["rows"]:
        table.add_row(*_cells(row))
    Console(width=200).print(table)


def publish(results: dict[str, Any], options: Any) -> None:
    """Print the table and targets; write results.json, table.md and the chart."""
    _print_table(results)
    for target in results["targets"]:
        measured = target["measured"]
        shown = "-" if measured is None else f"{measured:.3f}"
        verdict = {True: "met", False: "NOT met", None: "not measured"}[target["met"]]
        print(f"target: {target['target']}: {shown} ({verdict})")
    options.out.mkdir(parents=True, exist_ok=True)
    (options.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (options.out / "table.md").write_text(markdown(results))
    if options.chart is not None:
        from bench import chart

        chart.draw(results, options.chart)
