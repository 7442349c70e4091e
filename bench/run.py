"""Run the benchmark: ``python bench/run.py`` (``--smoke`` for a one-second check).

Without ``--no-venv`` it first makes bench/.venv (Django, gunicorn,
matplotlib, and pyjang installed from this checkout) and runs itself again
there. ``--no-venv`` uses the current interpreter as it is: the Django
servers then run only when Django, gunicorn and psycopg can be imported.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Import bench.* from the checkout, and never shadow the standard library
# with this folder's own modules.
sys.path[0] = str(ROOT)

from bench import setup_venv  # noqa: E402

DEFAULT_OUT = ROOT / "bench" / "results"
DEFAULT_CHART = ROOT / "docs" / "performance.png"


def _names(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def parse(argv: list[str]) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--smoke", action="store_true", help="each workload ~1 s, 20 users, 1 round"
    )
    parser.add_argument(
        "--no-venv",
        action="store_true",
        help="run with this interpreter; skip Django if missing",
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--seconds", type=float, default=10.0, help="duration of one workload run"
    )
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument(
        "--servers",
        type=_names,
        default=(),
        help="comma list, e.g. pyjang,starlette (default: all)",
    )
    parser.add_argument(
        "--workloads",
        type=_names,
        default=(),
        help="comma list of dashboard, hello, login (default: all)",
    )
    parser.add_argument(
        "--out", type=Path, default=None, help=f"results folder (default {DEFAULT_OUT})"
    )
    parser.add_argument(
        "--chart",
        type=Path,
        default=None,
        help=f"chart PNG (default {DEFAULT_CHART} for a full run)",
    )
    parser.add_argument(
        "--postgres-url",
        default=None,
        help="use this server's maintenance database instead of "
        "a throwaway cluster (postgresql://user@host:port/postgres)",
    )
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME=SRC[:VAR=VALUE...]",
        help="also run pyjang imported from SRC (a folder holding "
        "a pyjang package) and/or with extra settings",
    )
    return parser.parse_args(argv)


def options(args: argparse.Namespace) -> object:
    """Return the runner's options for ``args``; ``--smoke`` shortens everything."""
    from bench.runner import Options

    if args.smoke:
        args.rounds, args.seconds, args.warmup = 1, 1.0, 0.0
        args.users, args.connections = min(args.users, 20), min(args.connections, 8)
    full = not (args.smoke or args.servers or args.workloads or args.variant)
    out = args.out or (DEFAULT_OUT if full else DEFAULT_OUT / "partial")
    chart = args.chart or (DEFAULT_CHART if full else out / "performance.png")
    return Options(
        rounds=args.rounds,
        seconds=args.seconds,
        warmup=args.warmup,
        users=args.users,
        login_users=min(args.users, 50),
        connections=args.connections,
        threads=args.threads,
        servers=args.servers,
        workloads=args.workloads,
        out=out,
        chart=chart,
        postgres_url=args.postgres_url,
        variants=tuple(args.variant),
    )


def main(argv: list[str]) -> int:
    """Prepare the venv if asked, then run the benchmark."""
    args = parse(argv)
    if not args.no_venv and not setup_venv.inside_venv():
        python = setup_venv.ensure_venv()
        os.execv(str(python), [str(python), __file__, *argv])  # noqa: S606
    from bench.runner import run

    # Stopped with SIGTERM, still stop every server and service it started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    run(options(args))  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
