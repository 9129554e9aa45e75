"""The ``sluice`` app itself: help, version, usage errors."""

from __future__ import annotations

from typer.testing import CliRunner

from sluice.cli.main import app

runner = CliRunner()


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("run", "compile", "runs", "logs"):
        assert command in result.stdout


def test_no_arguments_shows_help() -> None:
    result = runner.invoke(app, [])
    assert "Usage" in result.output


def test_version() -> None:
    import sluice

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"sluice {sluice.__version__}"


def test_usage_error_exits_2() -> None:
    result = runner.invoke(app, ["run"])
    assert result.exit_code == 2
    bad_option = runner.invoke(app, ["runs", "list", "--limit", "0"])
    assert bad_option.exit_code == 2
