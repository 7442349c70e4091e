"""``pyjang generate`` writes what it says, refuses overwrites and bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pyjang.cli.generate import generate_command

EXPECTED = {
    "haproxy": ["haproxy/haproxy.cfg"],
    "nginx": ["nginx/pyjang.conf"],
    "systemd": [
        "systemd/pyjang@.service",
        "systemd/pyjang.target",
        "systemd/pyjang.env.example",
    ],
    "compose": [
        "compose/compose.yaml",
        "compose/haproxy.cfg",
        "compose/.env.example",
        "docker/Dockerfile",
        "docker/Dockerfile.dockerignore",
    ],
    "kubernetes": ["kubernetes/pyjang.yaml"],
    "dockerfile": ["docker/Dockerfile", "docker/Dockerfile.dockerignore"],
}


def _invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner(env=env).invoke(generate_command, list(args))


def _files(folder: Path) -> list[str]:
    return sorted(
        str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file()
    )


def test_help_names_every_target() -> None:
    result = _invoke("--help")
    assert result.exit_code == 0
    for target in [*EXPECTED, "all"]:
        assert target in result.output
    for option in ("--out", "--instances", "--app", "--servers", "--force"):
        assert option in result.output


@pytest.mark.parametrize("target", EXPECTED)
def test_each_target_writes_and_prints_its_files(target: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = _invoke(target, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert _files(out) == sorted(EXPECTED[target])
    printed = [line.removeprefix("wrote ") for line in result.output.splitlines()]
    assert printed == [str(out / path) for path in EXPECTED[target]]


def test_all_writes_every_file_once(tmp_path: Path) -> None:
    result = _invoke("all", "--out", str(tmp_path / "out"), "-n", "3")
    assert result.exit_code == 0, result.output
    expected = sorted({path for paths in EXPECTED.values() for path in paths})
    assert _files(tmp_path / "out") == expected
    assert len(result.output.splitlines()) == len(expected)


def test_existing_files_are_kept_unless_forced(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert _invoke("systemd", "--out", str(out)).exit_code == 0
    unit = out / "systemd" / "pyjang.target"
    unit.write_text("mine\n")

    refused = _invoke("systemd", "--out", str(out), "-n", "4")
    assert refused.exit_code != 0
    assert "--force" in refused.output
    assert len(refused.output.splitlines()) == 1
    assert unit.read_text() == "mine\n"

    forced = _invoke("systemd", "--out", str(out), "-n", "4", "--force")
    assert forced.exit_code == 0, forced.output
    assert "pyjang@8083.service" in unit.read_text()


BAD = {
    "unknown-target": ["nope"],
    "no-instances": ["nginx", "--instances", "0"],
    "too-many-instances": ["nginx", "--instances", "10000"],
    "port-too-high": ["nginx", "--port", "70000"],
    "last-port-too-high": ["systemd", "--port", "65535", "-n", "2"],
    "server-port": ["haproxy", "--servers", "127.0.0.2:99999"],
    "server-without-port": ["haproxy", "--servers", "127.0.0.2"],
    "server-bad-host": ["haproxy", "--servers", "bad host:80"],
    "bad-app": ["systemd", "--app", "not an app"],
    "bad-image": ["kubernetes", "--image", "Bad Image"],
    "not-a-number": ["nginx", "--instances", "many"],
}


@pytest.mark.parametrize("args", BAD.values(), ids=BAD.keys())
def test_bad_input_is_one_line_and_writes_nothing(
    args: list[str], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = _invoke(*args, "--out", str(out))
    assert result.exit_code != 0
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert result.output.startswith("Error: ")
    assert not out.exists()


def test_a_bad_setting_is_one_line(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = _invoke("nginx", "--out", str(out), env={"PORT": "70000"})
    assert result.exit_code != 0
    assert "PORT" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not out.exists()


def test_an_unwritable_out_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = _invoke("all", "--out", str(blocker / "out"))
    assert result.exit_code != 0
    assert "not a directory" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert blocker.read_text() == ""


def test_a_file_in_the_way_stops_before_writing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "systemd").write_text("")
    result = _invoke("all", "--out", str(out))
    assert result.exit_code != 0
    assert _files(out) == ["systemd"]


def test_servers_replace_the_loopback_instances(tmp_path: Path) -> None:
    out = tmp_path / "out"
    servers = "127.0.0.2:8080,127.0.0.3:8080,[::1]:9000"
    assert _invoke("haproxy", "--out", str(out), "--servers", servers).exit_code == 0
    text = (out / "haproxy" / "haproxy.cfg").read_text()
    assert "server app1 127.0.0.2:8080" in text
    assert "server app3 [::1]:9000" in text
    assert "127.0.0.1:8080" not in text
