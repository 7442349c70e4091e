"""``cluster up --foreground``: attached until Ctrl-C, then everything stops."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from typing import Any

import pytest

from tests.cluster.conftest import assert_nothing_left, cluster_ports

pytestmark = pytest.mark.slow


def test_foreground_cluster_stops_on_ctrl_c(make_cluster: Any) -> None:
    cluster = make_cluster("haproxy", 1)
    state_file = cluster.folder / ".pyjang" / "cluster" / "state.json"
    args = ["-n", "1", "--port", str(cluster.port), "--foreground"]
    process = subprocess.Popen(
        [sys.executable, "-m", "pyjang", "cluster", "up", *args],
        cwd=cluster.folder,
        env=cluster.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    status: dict[str, Any] = {}
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if (
                state_file.exists()
                and json.loads(state_file.read_text())["balancer"]["pid"]
            ):
                status = cluster.status()
                if status["balancer"]["ready"]:
                    break
            assert process.poll() is None, process.communicate()
            time.sleep(0.2)
        assert status and status["instances"][0]["ready"], status
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert "cluster stopped" in out
    assert_nothing_left(cluster.folder, cluster_ports(cluster.port, 1), [])
    assert not state_file.exists()
