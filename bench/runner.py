"""One benchmark run: services up, servers up, interleaved rounds, all down.

Every server starts once and stays up for the whole run; each round visits
every (server, workload) pair in turn — A B C … A B C … — starting one place
further along each round, so no server always runs first or after the same
neighbour. Counters are read between pairs, when nothing else is running.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench import exact, report, seed
from bench.counters import Counters
from bench.load import Workload, run_wrk
from bench.servers import (
    SERVERS,
    WORKERS,
    Running,
    ServerSpec,
    pyjang_variant,
    start_server,
)
from bench.services import Postgres, Redis

__all__ = ["WORKLOADS", "Options", "run"]

ROOT = Path(__file__).resolve().parent.parent
MARKER = '<strong id="user-email">user'
WORKLOADS = {
    "dashboard": Workload("dashboard", "GET", "/dashboard", f"200:{MARKER}", True),
    "hello": Workload("hello", "GET", "/hello", "200:hello, world", False),
    "login": Workload("login", "POST", "/login", "redirect", True),
}
# A login costs tens of milliseconds of Argon2id: a shorter run counts too few.
LOGIN_MIN_SECONDS = 3.0


@dataclass
class Options:
    """What to run and for how long."""

    rounds: int
    seconds: float
    warmup: float
    users: int
    login_users: int
    connections: int
    threads: int
    servers: tuple[str, ...]
    workloads: tuple[str, ...]
    out: Path
    chart: Path | None
    postgres_url: str | None
    variants: tuple[str, ...] = ()


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def chosen_servers(options: Options) -> list[ServerSpec]:
    """Return the servers to run; Django's only when Django can be imported."""
    django = _has("django") and _has("gunicorn") and _has("psycopg")
    specs = [s for s in SERVERS if not options.servers or s.name in options.servers]
    specs += [pyjang_variant(text) for text in options.variants]
    skipped = [s.name for s in specs if s.needs_django and not django]
    if skipped:
        print(f"bench: Django is not importable here; skipping {', '.join(skipped)}")
    return [s for s in specs if django or not s.needs_django]


def pool_size(connections: int) -> int:
    """Return the database connections each worker needs for ``connections``.

    wrk's connections spread over the workers; a pool that holds fewer than a
    worker's share opens and closes overflow connections all the time.
    """
    return max(1, -(-connections // int(WORKERS)))


def _environment(postgres: Postgres, redis: Redis, pool: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYJANG_")}
    python_path = [str(ROOT), env.get("PYTHONPATH", "")]
    env.update(
        PYTHONPATH=os.pathsep.join(p for p in python_path if p),
        DATABASE_URL=postgres.url,
        REDIS_URL=redis.url,
        SESSION_KEY=secrets.token_urlsafe(48),
        SESSION_STORE="redis",
        DEBUG="false",
        HTTPS_REDIRECT="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        AUTO_MIGRATE="false",
        SHUTDOWN_DRAIN="0s",
        SHUTDOWN_TIMEOUT="5s",
        INSTANCE_ID="bench",
        RATE_LIMIT_AUTH="1000000/minute burst 1000000",
        # The same pool for pyjang and the hand-written app, no overflow.
        DATABASE_POOL_SIZE=str(pool),
        DATABASE_MAX_OVERFLOW="0",
        DJANGO_SETTINGS_MODULE="bench.apps.django_app.settings",
    )
    return env


def _server_env(env: dict[str, str], spec: ServerSpec) -> dict[str, str]:
    extra = dict(spec.env)
    source = extra.pop("PYJANG_BENCH_SOURCE", None)
    env = env | extra
    if source:
        env["PYTHONPATH"] = os.pathsep.join((source, env["PYTHONPATH"]))
    return env


def _migrate(env: dict[str, str], django: bool) -> None:
    python = sys.executable
    subprocess.run([python, "-m", "pyjang", "migrate"], env=env, check=True)  # noqa: S603
    if django:
        command = [python, "-m", "django", "migrate", "--noinput", "-v", "0"]
        subprocess.run(command, env=env, check=True)  # noqa: S603


@contextmanager
def _services(options: Options, scratch: Path) -> Iterator[tuple[Postgres, Redis]]:
    with ExitStack() as stack:
        redis = Redis(scratch / "redis").start()
        stack.callback(redis.stop)
        postgres = Postgres(scratch / "pg")
        if options.postgres_url:
            postgres.admin_url = options.postgres_url
        postgres.start(local=options.postgres_url is None)
        stack.callback(postgres.stop)
        yield postgres, redis


def _inputs(
    servers: dict[str, Running], options: Options, scratch: Path
) -> dict[tuple[str, str], Path]:
    files: dict[tuple[str, str], Path] = {}
    for family in ("pyjang", "django"):
        server = next((s for s in servers.values() if s.spec.family == family), None)
        if server is None:
            continue
        print(f"bench: logging {options.users} {family} users in over HTTP")
        files[family, "dashboard"] = scratch / f"{family}-cookies.txt"
        seed.log_in_all(family, server.port, options.users, files[family, "dashboard"])
        files[family, "login"] = scratch / f"{family}-logins.txt"
        seed.login_inputs(
            family, server.port, options.login_users, files[family, "login"]
        )
    return files


def _pairs(servers: dict[str, Running], options: Options) -> list[tuple[str, str]]:
    return [
        (name, workload)
        for name, server in servers.items()
        for workload in server.spec.workloads
        if not options.workloads or workload in options.workloads
    ]


def _one(
    server: Running,
    workload: str,
    files: dict[tuple[str, str], Path],
    options: Options,
    seconds: float,
) -> Any:
    spec = WORKLOADS[workload]
    if workload == "login":
        seconds = max(seconds, LOGIN_MIN_SECONDS)
    request_file = (
        files.get((server.spec.family, workload)) if spec.family_file else None
    )
    return run_wrk(
        server.url,
        spec,
        request_file,
        seconds=seconds,
        connections=options.connections,
        threads=options.threads,
        server_pid=server.pid,
    )


def _rounds(
    servers: dict[str, Running],
    files: dict[tuple[str, str], Path],
    options: Options,
    counters: Counters,
) -> list[dict[str, Any]]:
    pairs = _pairs(servers, options)
    if options.warmup > 0:
        for name, workload in pairs:
            _one(servers[name], workload, files, options, options.warmup)
    samples: list[dict[str, Any]] = []
    before = counters.snapshot()
    for number in range(options.rounds):
        shift = number % len(pairs)
        for name, workload in pairs[shift:] + pairs[:shift]:
            result = _one(servers[name], workload, files, options, options.seconds)
            after = counters.snapshot()
            row = {"round": number + 1, "server": name, "workload": workload}
            row["load_1m"] = os.getloadavg()[0]
            row |= asdict(result) | {"rps": result.rps}
            row |= {f"delta_{k}": v for k, v in asdict(after - before).items()}
            samples.append(row)
            before = after
            print(
                f"bench: round {number + 1} {name:<16} {workload:<10} "
                f"{result.rps:9.1f} req/s  p99 {result.p99_ms:7.1f} ms  "
                f"bad {result.bad_status + result.missing_marker}"
            )
    return samples


def _exact_counts(
    servers: dict[str, Running],
    files: dict[tuple[str, str], Path],
    options: Options,
    counters: Counters,
) -> dict[tuple[str, str], dict[str, float]]:
    counts = {}
    for name, workload in _pairs(servers, options):
        if workload not in exact.PATHS:
            continue
        server = servers[name]
        request_file = files.get((server.spec.family, workload))
        try:
            counts[name, workload] = exact.count_per_request(
                server.port, workload, request_file, counters
            )
        except (OSError, RuntimeError) as error:
            # The rounds are kept; this pair keeps its counts from the load.
            print(f"bench: counting {name} {workload} failed: {error}")
    return counts


def run(options: Options) -> dict[str, Any]:
    """Run the benchmark; print the table, write the JSON and the chart."""
    specs = chosen_servers(options)
    django = any(spec.needs_django for spec in specs)
    scratch = Path(tempfile.mkdtemp(prefix="pyjang-bench-"))
    servers: dict[str, Running] = {}
    try:
        with _services(options, scratch) as (postgres, redis):
            env = _environment(postgres, redis, pool_size(options.connections))
            _migrate(env, django)
            seed.insert_users(postgres.url, options.users, django=django)
            for spec in specs:
                print(f"bench: starting {spec.name}")
                servers[spec.name] = start_server(
                    spec, sys.executable, _server_env(env, spec), scratch
                )
            files = _inputs(servers, options, scratch)
            counters = Counters(
                redis.url, postgres.admin_url, postgres.database, postgres.log_path
            )
            statements = postgres.counts_statements
            try:
                samples = _rounds(servers, files, options, counters)
                counts = _exact_counts(servers, files, options, counters)
            finally:
                counters.close()
            for server in servers.values():
                server.stop()
            servers.clear()
    finally:
        for server in servers.values():
            server.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    labels = {spec.name: spec.label for spec in specs}
    results = report.summarise(
        samples, labels, options, statements=statements, exact=counts
    )
    report.publish(results, options)
    return results
