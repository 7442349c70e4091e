"""The benchmark still runs: every server, every workload, about a second each.

It runs ``bench/run.py --smoke --no-venv`` with this interpreter, so it needs
no network: the pyjang, hand-written Starlette and bare servers always run;
the Django servers run only when Django, gunicorn and psycopg are importable
here (they are in bench/.venv, which the full benchmark builds with pip).
It needs wrk, redis-server and PostgreSQL (a throwaway cluster when initdb is
installed, else a throwaway database on 127.0.0.1:5432).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PG_ADMIN_URL, require, require_binary

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_SECONDS = 240

pytestmark = pytest.mark.slow


def _postgres_url() -> str | None:
    """Return a maintenance-database URL when initdb is missing, else None."""
    if shutil.which("initdb") or list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        return None
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/postgres"


def test_every_server_answers_every_workload(tmp_path: Path) -> None:
    require_binary("wrk")
    require_binary("redis-server")
    require_binary("psql")
    command = [sys.executable, str(ROOT / "bench" / "run.py"), "--smoke", "--no-venv"]
    command += ["--out", str(tmp_path)]
    postgres = _postgres_url()
    if postgres is not None:
        probe = subprocess.run(
            ["psql", postgres, "-c", "SELECT 1"], capture_output=True
        )
        if probe.returncode != 0:
            require("PostgreSQL", f"no initdb and nothing answers at {postgres}")
        command += ["--postgres-url", postgres]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYJANG_")}
    done = subprocess.run(
        command,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    results = json.loads((tmp_path / "results.json").read_text())
    rows = {(row["server"], row["workload"]): row for row in results["rows"]}
    expected = {
        ("pyjang", "dashboard"),
        ("pyjang", "hello"),
        ("pyjang", "login"),
        ("starlette", "dashboard"),
        ("starlette", "hello"),
        ("starlette-hello", "hello"),
        ("asgi-hello", "hello"),
    }
    django = all(importlib.util.find_spec(m) for m in ("django", "gunicorn", "psycopg"))
    if django:
        expected |= {("django-gthread", "dashboard"), ("django-sync", "dashboard")}
    assert expected <= rows.keys()
    for key, row in rows.items():
        assert row["bad"] == 0, key
        assert row["requests"] > 0, key
    # Counted one request at a time: exactly one trip to each store per page,
    # none for a page that needs neither.
    dashboard, hello = rows["pyjang", "dashboard"], rows["pyjang", "hello"]
    assert dashboard["redis_per_request"] == 1
    assert hello["redis_per_request"] == 0
    if results["options"]["postgres_url"] is None:  # statements are counted
        assert dashboard["sql_statements_per_request"] == 1
        assert hello["sql_statements_per_request"] == 0
    assert dashboard["redis_per_request_under_load"] == pytest.approx(1, abs=0.2)
    assert (tmp_path / "table.md").read_text().startswith("| server")
