"""No secret from the settings ever reaches a generated file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from pyjang.cli.generate import generate_command
from pyjang.deploy import GeneratedFile, Plan, build_files, find_secrets
from pyjang.errors import CommandError


@pytest.mark.parametrize("tls", ["--tls", "--no-tls"])
def test_no_generated_file_holds_a_secret(
    tls: str,
    secret_environment: dict[str, str],
    secret_values: list[str],
    tmp_path: Path,
) -> None:
    environment = {**secret_environment, "PUBLIC_URL": "https://shop.example.com"}
    environment |= {"SMTP_HOST": "127.0.0.1", "SMTP_USER": "mailer", "DEBUG": "false"}
    out = tmp_path / "out"
    result = CliRunner(env=environment).invoke(
        generate_command, ["all", "--out", str(out), tls, "--app", "shop.web:app"]
    )
    assert result.exit_code == 0, result.output
    files = [path for path in out.rglob("*") if path.is_file()]
    assert len(files) == 11
    for path in files:
        text = path.read_text()
        for value in secret_values:
            assert value not in text, f"{path} holds a secret"


def test_examples_keep_the_non_secret_parts_of_urls(
    secret_environment: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = CliRunner(env=secret_environment).invoke(
        generate_command, ["systemd", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    text = (out / "systemd" / "pyjang.env.example").read_text()
    assert (
        "DATABASE_URL=postgresql://app:CHANGE_ME@db.example.internal:5432/appdb"
        "?sslmode=require"
    ) in text
    assert "REDIS_URL=redis://:CHANGE_ME@cache.example.internal:6379/0" in text


def test_the_guard_finds_a_leaked_secret(
    make_plan: Callable[..., Plan], secret_environment: dict[str, str]
) -> None:
    plan = make_plan({"session_key": secret_environment["SESSION_KEY"]})
    leaked = GeneratedFile("x.conf", f"key {secret_environment['SESSION_KEY']}\n")
    clean = GeneratedFile("y.conf", "nothing to see\n")
    assert find_secrets([leaked, clean], plan.settings) == ["x.conf"]


def test_a_secret_equal_to_template_text_stops_generation(
    make_plan: Callable[..., Plan],
) -> None:
    # A token that happens to match template text must not be written.
    plan = make_plan({"metrics_token": "/etc/ssl/pyjang/fullchain.pem"})
    with pytest.raises(CommandError, match="would hold a secret"):
        build_files("nginx", plan, out=Path("out"))
