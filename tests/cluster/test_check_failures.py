"""``pyjang check`` against instances that do not belong together.

Four real instances run with ``servers``: A and B share SESSION_KEY and
Redis, C has another SESSION_KEY, D another Redis; E is a port nobody
listens on. Each odd one must get a ✗ that names the instance, says what
to change and points at a section of the deployment guide that exists.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from pyjang.cluster.checks import ANCHORS
from pyjang.cluster.services import LocalRedis
from tests.cluster.conftest import base_env, pyjang
from tests.conftest import ServerProcess, free_port, require_binary

pytestmark = pytest.mark.slow

KEY = "check-test-key-0123456789abcdef0123456789abcdef"
OTHER_KEY = "another-key-fedcba9876543210fedcba9876543210"
GUIDE = Path(__file__).parents[2] / "docs" / "deployment.md"


@pytest.fixture(scope="module")
def odd_instances(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Start A, B (alike), C (other key) and D (other Redis); name a dead E."""
    require_binary("redis-server")
    folder = tmp_path_factory.mktemp("odd")
    redis = LocalRedis(folder / "redis-1").start()
    other_redis = LocalRedis(folder / "redis-2").start()
    plan = {
        "A": (KEY, redis.url),
        "B": (KEY, redis.url),
        "C": (OTHER_KEY, redis.url),
        "D": (KEY, other_redis.url),
    }
    started = {
        name: ServerProcess(
            folder,
            base_env(
                SESSION_KEY=key,
                REDIS_URL=url,
                INSTANCE_ID=name,
                DATABASE_URL=f"sqlite:///{folder}/{name}.db",
                SHUTDOWN_DRAIN="0",
            ),
            [],
        )
        for name, (key, url) in plan.items()
    }
    try:
        with ThreadPoolExecutor(len(started)) as pool:
            list(pool.map(lambda server: server.start(), started.values()))
        urls = {name: server.url for name, server in started.items()}
        urls["E"] = f"http://127.0.0.1:{free_port()}"
        yield urls
    finally:
        for server in started.values():
            server.kill()
        redis.stop()
        other_redis.stop()


def _check(tmp_path: Path, *args: str) -> tuple[int, dict[str, Any]]:
    result = pyjang(tmp_path, "check", *args, "--json", env=base_env())
    return result.returncode, json.loads(result.stdout)


def _failures(report: dict[str, Any]) -> dict[tuple[str, str], str]:
    return {
        (item["check"], item["target"]): item["detail"]
        for item in report["checks"]
        if not item["ok"]
    }


def test_every_odd_instance_gets_its_own_message(
    odd_instances: dict[str, str], tmp_path: Path
) -> None:
    a, b, c, d, e = (odd_instances[name] for name in "ABCDE")
    code, report = _check(tmp_path, a, b, c, d, e)
    assert code == 1 and report["ok"] is False
    failures = _failures(report)

    assert f"instance {e} is down (connection refused)" in failures["live", e]
    assert "#instance-down" in failures["live", e]

    key_ids = {
        item["target"]: item for item in report["checks"] if item["check"] == "key_id"
    }
    assert set(key_ids) == {c}
    assert re.search(
        rf"instance {re.escape(c)} has a different SESSION_KEY "
        r"\(key_id [0-9a-f]{4}… vs [0-9a-f]{4}…\)",
        failures["key_id", c],
    )
    assert f"rejects a session created on {a}" in failures["sessions", c]
    assert (
        f"instance {d} uses a different Redis: a session created on {a} is "
        f"unknown on {d}" in failures["sessions", d]
    )
    assert "#different-session-stores" in failures["sessions", d]
    assert set(failures) == {
        ("live", e),
        ("key_id", c),
        ("sessions", c),
        ("sessions", d),
    }
    passed = {(i["check"], i["target"]) for i in report["checks"] if i["ok"]}
    assert ("sessions", b) in passed


def test_every_failure_points_at_a_section_of_the_guide(
    odd_instances: dict[str, str], tmp_path: Path
) -> None:
    a, b = odd_instances["A"], odd_instances["B"]
    # An instance given as the balancer reaches only itself and, being asked
    # directly, opens /ready/session: both are reported.
    code, report = _check(tmp_path, *odd_instances.values(), "--lb", b)
    assert code == 1
    failures = _failures(report)
    assert "sent none of" in failures["balancer", a]
    assert "lets anyone reach /ready/session" in failures["forwarding", b]

    anchors = {item["anchor"] for item in report["checks"] if not item["ok"]}
    slugs = _guide_slugs()
    assert anchors and anchors <= slugs, anchors - slugs
    for item in report["checks"]:
        if not item["ok"]:
            assert item["guide"] == f"docs/deployment.md#{item['anchor']}"


def test_alike_instances_pass_and_the_table_marks_failures(
    odd_instances: dict[str, str], tmp_path: Path
) -> None:
    a, b, c = odd_instances["A"], odd_instances["B"], odd_instances["C"]
    code, report = _check(tmp_path, a, b)
    assert code == 0 and report["ok"], report

    table = pyjang(tmp_path, "check", a, c, env=base_env())
    assert table.returncode == 1
    assert "✗" in table.stdout and "checks failed" in table.stdout
    assert "different SESSION_KEY" in table.stdout


def _guide_slugs() -> set[str]:
    slugs = set()
    for line in GUIDE.read_text().splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            slug = re.sub(r"[^\w\- ]", "", title).replace(" ", "-")
            slugs.add(slug)
    return slugs


def test_the_guide_has_a_section_for_every_anchor_check_uses() -> None:
    assert _guide_slugs() >= ANCHORS, ANCHORS - _guide_slugs()
