"""Concurrent requests on one session, on two instances, with real servers."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import redis

from pyjang.cluster.services import LocalRedis
from tests.scaleout.conftest import Browser, instance_env

pytestmark = pytest.mark.slow

PROBE_APP = """
import asyncio
from starlette.responses import JSONResponse
from starlette.routing import Route
from pyjang import create_app

async def start(request):
    request.session["base"] = 1
    return JSONResponse({"ok": True})

async def put(request):
    await asyncio.sleep(float(request.query_params.get("delay", "0")))
    request.session[request.query_params["key"]] = request.query_params["value"]
    return JSONResponse({"ok": True})

async def read(request):
    await asyncio.sleep(float(request.query_params.get("delay", "0")))
    return JSONResponse(dict(request.session))

def make_app():
    return create_app(routes=[
        Route("/probe/start", start),
        Route("/probe/put", put),
        Route("/probe/read", read),
    ])
"""


@pytest.fixture
def pair(
    servers: Any, fresh_postgres_url: str, local_redis: LocalRedis, tmp_path: Path
) -> tuple[Any, Any]:
    (tmp_path / "probeapp.py").write_text(PROBE_APP)
    path = os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))
    env = instance_env(fresh_postgres_url, local_redis.url, PYTHONPATH=path)
    args = ("--app", "probeapp:make_app")
    first = servers(*args, env={**env, "INSTANCE_ID": "a"}).start()
    return first, servers(*args, env={**env, "INSTANCE_ID": "b"}).start()


def in_parallel(*calls: Any) -> None:
    threads = [threading.Thread(target=call) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)


def test_changes_to_different_keys_on_two_instances_both_survive(
    pair: tuple[Any, Any],
) -> None:
    a, b = pair
    browser = Browser()
    browser.get(f"{a.url}/probe/start")
    cookie = {"Cookie": f"session_id={browser.cookies['session_id']}"}
    other = Browser()
    in_parallel(
        lambda: other.http.get(
            f"{a.url}/probe/put?key=left&value=1&delay=0.5", headers=cookie
        ),
        lambda: other.http.get(
            f"{b.url}/probe/put?key=right&value=2&delay=0.5", headers=cookie
        ),
    )
    assert browser.get(f"{a.url}/probe/read").json() == {
        "base": 1,
        "left": "1",
        "right": "2",
    }
    browser.close()
    other.close()


def test_a_reading_request_writes_nothing_back(pair: tuple[Any, Any]) -> None:
    a, b = pair
    browser = Browser()
    browser.get(f"{a.url}/probe/start")
    cookie = {"Cookie": f"session_id={browser.cookies['session_id']}"}
    in_parallel(
        lambda: browser.http.get(f"{a.url}/probe/read?delay=0.8", headers=cookie),
        lambda: browser.http.get(
            f"{b.url}/probe/put?key=late&value=x&delay=0.2", headers=cookie
        ),
    )
    assert browser.get(f"{b.url}/probe/read").json() == {"base": 1, "late": "x"}
    browser.close()


def test_a_logout_is_never_undone_by_a_slower_request(
    pair: tuple[Any, Any], local_redis: LocalRedis
) -> None:
    a, b = pair
    browser = Browser()
    browser.register(a.url, "race@example.com")
    session_cookie = browser.cookies["session_id"]
    cookie = {"Cookie": f"session_id={session_cookie}"}
    slow = Browser()

    def logout() -> None:
        time.sleep(0.3)
        assert browser.logout(b.url).status_code == 303

    in_parallel(
        lambda: slow.http.get(
            f"{a.url}/probe/put?key=late&value=x&delay=1.0", headers=cookie
        ),
        logout,
    )
    replay = Browser()
    replay.cookies = {"session_id": session_cookie}
    assert replay.get(f"{a.url}/dashboard").status_code == 302
    assert replay.get(f"{a.url}/probe/read").json() == {}
    keys = redis.Redis.from_url(local_redis.url).keys("pyjang:session:*")
    assert keys == [], "nothing was written back"
    for client in (browser, slow, replay):
        client.close()
