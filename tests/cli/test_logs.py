"""``sluice logs`` on finished runs."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from sluice.cli.main import app

from .helpers import run_pipeline

runner = CliRunner()


def test_logs_of_a_task_by_name_and_attempt(pipelines: Path) -> None:
    data = run_pipeline(runner, pipelines, "bad", "-p", "rows=2")

    result = runner.invoke(app, ["logs", data["name"], "boom"])
    assert result.exit_code == 0, result.output
    assert "about to fail with 4" in result.stdout
    assert "ValueError: bad rows: 4" in result.stdout

    first = runner.invoke(app, ["logs", data["id"], "make", "--attempt", "1"])
    assert first.exit_code == 0
    assert "making 2 rows" in first.stdout

    missing = runner.invoke(app, ["logs", data["id"], "make", "--attempt", "3"])
    assert missing.exit_code == 2
    assert "no attempt 3" in missing.stderr and "1" in missing.stderr


def test_ambiguous_task_name_lists_paths(pipelines: Path) -> None:
    data = run_pipeline(runner, pipelines, "loop")
    echoes = sorted(t["path"] for t in data["tasks"] if t["name"] == "echo")
    assert len(echoes) == 2

    ambiguous = runner.invoke(app, ["logs", data["name"], "echo"])
    assert ambiguous.exit_code == 2
    assert "Traceback" not in ambiguous.output
    for path in echoes:
        assert path in ambiguous.stderr

    logs = {runner.invoke(app, ["logs", data["name"], path]).stdout for path in echoes}
    assert any("echo-marker a" in text for text in logs)
    assert any("echo-marker b" in text for text in logs)


def test_unknown_task_or_run_exits_2(pipelines: Path) -> None:
    data = run_pipeline(runner, pipelines, "good")

    unknown_task = runner.invoke(app, ["logs", data["name"], "nothing"])
    assert unknown_task.exit_code == 2
    assert "make" in unknown_task.stderr  # the known tasks are listed

    unknown_run = runner.invoke(app, ["logs", "nope", "make"])
    assert unknown_run.exit_code == 2


def test_cached_task_has_no_log(pipelines: Path) -> None:
    run_pipeline(runner, pipelines, "good", "--cache")
    again = run_pipeline(runner, pipelines, "good", "--cache")
    assert {t["state"] for t in again["tasks"] if t["kind"] == "container"} == {"CACHED"}

    result = runner.invoke(app, ["logs", again["name"], "make"])
    assert result.exit_code == 2
    assert "cache" in result.stderr
