"""Every HAProxy configuration pyjang writes passes ``haproxy -c``."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from pyjang.deploy import (
    Backend,
    DnsDiscovery,
    Plan,
    TLSFiles,
    build_files,
    loopback_backends,
    parse_servers,
    render_compose_haproxy,
    render_haproxy,
)


def _check(haproxy: str, text: str, folder: Path) -> None:
    config = folder / "haproxy.cfg"
    config.write_text(text)
    result = subprocess.run(
        [haproxy, "-c", "-f", str(config)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[ALERT]" not in result.stdout + result.stderr


CASES = {
    "tls": {},
    "tls-custom-port": {"tls_port": 8443, "listen_port": 8080},
    "plain-local": {"tls": False, "listen_host": "127.0.0.1", "listen_port": 8000},
    "roundrobin": {"balance": "roundrobin", "stats_port": None},
    "dropped-privileges": {"run_as": "haproxy", "log": "/dev/log"},
}


@pytest.mark.parametrize("options", CASES.values(), ids=CASES.keys())
def test_rendered_config_is_valid(
    options: dict[str, object],
    require: Callable[[str], str],
    tls_files: TLSFiles,
    tmp_path: Path,
) -> None:
    haproxy = require("haproxy")
    text = render_haproxy(
        loopback_backends(8080, 3),
        tls_files=tls_files,
        **options,  # type: ignore[arg-type]
    )
    _check(haproxy, text, tmp_path)


@pytest.mark.parametrize("name", ["state", "my state ü"])
def test_state_dir_config_is_valid(
    name: str, require: Callable[[str], str], tmp_path: Path
) -> None:
    haproxy = require("haproxy")
    state = tmp_path / name
    state.mkdir()
    text = render_haproxy(
        loopback_backends(9000, 2),
        listen_host="127.0.0.1",
        listen_port=9100,
        stats_port=9101,
        tls=False,
        state_dir=state,
        admin_socket=str(state / "admin.sock"),
    )
    assert f"{state}/haproxy.pid" in text
    assert "log stderr" in text
    assert "daemon" not in text
    _check(haproxy, text, tmp_path)


def test_generated_files_are_valid(
    make_plan: Callable[..., Plan],
    require: Callable[[str], str],
    tls_files: TLSFiles,
    tmp_path: Path,
) -> None:
    haproxy = require("haproxy")
    servers = tuple(parse_servers("127.0.0.2:8080,[::1]:8081,127.0.0.5:8080"))
    for plan in (
        make_plan(instances=4, tls_files=tls_files),
        make_plan(servers=servers, tls_files=tls_files),
        make_plan(tls=False),
    ):
        files = build_files("haproxy", plan, out=tmp_path / "out")
        _check(haproxy, files[0].content, tmp_path)
        compose = render_compose_haproxy(plan, tls_files=tls_files)
        _check(haproxy, compose, tmp_path)


def test_dns_discovery_uses_server_templates(
    require: Callable[[str], str], tmp_path: Path
) -> None:
    haproxy = require("haproxy")
    text = render_haproxy(
        [Backend("app", "app", 8080)],
        tls=False,
        dns=DnsDiscovery(slots=6),
        log="stdout",
    )
    assert "server-template app- 6 app:8080 resolvers dns init-addr none" in text
    assert "nameserver dns1 127.0.0.11:53" in text
    _check(haproxy, text, tmp_path)


def test_checks_retries_and_reuse_are_safe() -> None:
    text = render_haproxy(loopback_backends(8080, 2))
    assert "option httpchk GET /ready" in text
    assert "http-check expect status 200" in text
    assert re.search(r"^\s+balance (leastconn|roundrobin)$", text, re.M)
    assert re.findall(r"^\s+retry-on (.*)$", text, re.M) == ["conn-failure"]
    assert re.search(r"^\s+retries \d+$", text, re.M)
    assert "option redispatch" in text
    assert "http-reuse safe" in text
    assert "option http-keep-alive" in text


def test_tls_redirect_spares_health_checks() -> None:
    text = render_haproxy(loopback_backends(8080, 2))
    assert "bind :443 ssl crt /etc/ssl/pyjang/haproxy.pem" in text
    redirect = next(line for line in text.splitlines() if "redirect" in line)
    assert "!{ ssl_fc }" in redirect
    assert "!{ path /health /ready }" in redirect
    assert "option forwardfor" in text
    for header in ("X-Forwarded-Proto", "X-Forwarded-Host"):
        assert f"set-header {header}" in text


def test_timeouts_outlast_the_app_keep_alive() -> None:
    text = render_haproxy(loopback_backends(8080, 1))
    timeouts = dict(re.findall(r"^\s+timeout (\S+) (\d+)s$", text, re.M))
    assert int(timeouts["client"]) >= 75
    assert int(timeouts["server"]) >= 75


def test_stats_page_is_loopback_only() -> None:
    text = render_haproxy(loopback_backends(8080, 1), stats_port=9999)
    stats = text.split("listen stats", 1)[1]
    assert re.findall(r"bind (\S+)", stats) == ["127.0.0.1:9999"]


def test_plain_config_has_no_tls() -> None:
    text = render_haproxy(loopback_backends(8080, 2), tls=False)
    assert "ssl" not in text
    assert "redirect" not in text
    assert "set-header X-Forwarded-Proto http" in text


def test_body_limit_follows_the_setting(make_plan: Callable[..., Plan]) -> None:
    plan = make_plan({"max_body_size": "5m"})
    text = build_files("haproxy", plan, out=Path("out"))[0].content
    assert "gt 5242880" in text


@pytest.mark.parametrize(
    "options",
    [{"listen_port": 0}, {"stats_port": 70000}, {"run_as": "root; x"}, {"log": "a b"}],
)
def test_bad_arguments_are_refused(options: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        render_haproxy(loopback_backends(8080, 1), **options)  # type: ignore[arg-type]


def test_no_backends_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one backend"):
        render_haproxy([])


@pytest.mark.parametrize("path", ["/a/$HOME", '/a/"b', "/a;b", "/a/{b}", "/a/#b"])
def test_unsafe_state_dirs_are_refused(path: str) -> None:
    with pytest.raises(ValueError, match="absolute path"):
        render_haproxy(loopback_backends(8080, 1), tls=False, state_dir=path)
