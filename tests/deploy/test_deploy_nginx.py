"""Every nginx configuration pyjang writes passes ``nginx -t``.

A site file belongs in the ``http`` block of the distribution's
``nginx.conf``; the test wraps it in a minimal one whose paths all lie in
the test's folder, so nginx needs no root paths.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from pyjang.deploy import (
    Plan,
    TLSFiles,
    build_files,
    loopback_backends,
    parse_servers,
    render_nginx,
)

WRAPPER = """\
pid {folder}/nginx.pid;
events {{ worker_connections 64; }}
http {{
    access_log {folder}/access.log;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    include {site};
}}
"""


def _test(nginx: str, config: Path, folder: Path) -> None:
    command = [nginx, "-t", "-p", str(folder), "-e", str(folder / "error.log")]
    result = subprocess.run(
        [*command, "-c", str(config)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
    # nginx 1.25 and later prefer `http2 on;` but still accept the listen flag.
    warnings = [
        line
        for line in result.stderr.splitlines()
        if "[warn]" in line and "http2" not in line
    ]
    assert warnings == []


def _check_site(nginx: str, text: str, folder: Path) -> None:
    site = folder / "pyjang.conf"
    site.write_text(text)
    main = folder / "nginx.conf"
    main.write_text(WRAPPER.format(folder=folder, site=site))
    _test(nginx, main, folder)


CASES = {
    "tls": {},
    "tls-custom-port": {"tls_port": 8443, "listen_port": 8080},
    "plain": {"tls": False},
    "named": {"server_names": ["example.com", "*.example.com"]},
    "stats": {"stats_port": 8405, "listen_host": "127.0.0.1"},
}


@pytest.mark.parametrize("options", CASES.values(), ids=CASES.keys())
def test_site_file_is_valid(
    options: dict[str, object],
    require: Callable[[str], str],
    tls_files: TLSFiles,
    tmp_path: Path,
) -> None:
    nginx = require("nginx")
    backends = loopback_backends(8080, 3)
    text = render_nginx(backends, tls_files=tls_files, **options)  # type: ignore[arg-type]
    _check_site(nginx, text, tmp_path)


@pytest.mark.parametrize("tls", [False, True], ids=["plain", "tls"])
@pytest.mark.parametrize("name", ["state", "my state ü"])
def test_state_dir_config_is_valid(
    tls: bool,
    name: str,
    require: Callable[[str], str],
    tls_files: TLSFiles,
    tmp_path: Path,
) -> None:
    nginx = require("nginx")
    state = tmp_path / name
    state.mkdir()
    text = render_nginx(
        loopback_backends(9000, 2),
        listen_host="127.0.0.1",
        listen_port=9100,
        tls_port=9443,
        stats_port=9101,
        tls=tls,
        tls_files=tls_files,
        state_dir=state,
    )
    assert "daemon off;" in text
    assert f"{state}/nginx.pid" in text
    assert "/var/" not in text
    config = state / "nginx.conf"
    config.write_text(text)
    _test(nginx, config, state)


def test_generated_site_is_valid(
    make_plan: Callable[..., Plan],
    require: Callable[[str], str],
    tls_files: TLSFiles,
    tmp_path: Path,
) -> None:
    nginx = require("nginx")
    servers = tuple(parse_servers("127.0.0.2:8080,[::1]:8081"))
    for plan in (
        make_plan({"public_url": "https://shop.example.com"}, tls_files=tls_files),
        make_plan(servers=servers, tls_files=tls_files, instances=5),
        make_plan(tls=False),
    ):
        files = build_files("nginx", plan, out=tmp_path / "out")
        _check_site(nginx, files[0].content, tmp_path)


def test_upstream_keeps_connections_and_retries_safely() -> None:
    text = render_nginx(loopback_backends(8080, 2))
    upstream = text.split("upstream pyjang {", 1)[1].split("}", 1)[0]
    assert "least_conn;" in upstream
    assert re.search(r"keepalive \d+;", upstream)
    assert "proxy_http_version 1.1;" in text
    assert 'proxy_set_header Connection "";' in text
    retry = re.findall(r"^proxy_next_upstream (.*);$", text, re.M)
    assert retry == ["error timeout http_502 http_503"]
    assert "non_idempotent" not in retry[0]


def test_forwarded_headers_are_set() -> None:
    text = render_nginx(loopback_backends(8080, 1))
    for header in ("X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host"):
        assert f"proxy_set_header {header} " in text
    assert "$proxy_add_x_forwarded_for" in text


def test_redirect_spares_health_checks() -> None:
    text = render_nginx(loopback_backends(8080, 1))
    plain = text.split("listen 80;", 1)[1].split("listen 443", 1)[0]
    assert "location = /health" in plain
    assert "location = /ready" in plain
    assert "return 308 https://$host$request_uri;" in plain
    assert "ssl_certificate /etc/ssl/pyjang/fullchain.pem;" in text
    assert "ssl_certificate_key /etc/ssl/pyjang/privkey.pem;" in text


def test_body_limit_and_server_name_follow_settings(
    make_plan: Callable[..., Plan],
) -> None:
    plan = make_plan({"max_body_size": "8m", "public_url": "https://shop.example.com"})
    text = build_files("nginx", plan, out=Path("out"))[0].content
    assert "client_max_body_size 8388608;" in text
    assert "server_name shop.example.com;" in text


@pytest.mark.parametrize(
    "options",
    [{"server_names": ["bad name"]}, {"server_names": []}, {"tls_port": 0}],
)
def test_bad_arguments_are_refused(options: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        render_nginx(loopback_backends(8080, 1), **options)  # type: ignore[arg-type]
