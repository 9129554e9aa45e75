"""``sluice runs list`` and ``sluice runs show`` on finished runs."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from sluice.cli.main import app

from .helpers import run_pipeline

runner = CliRunner()


def test_list_shows_runs_newest_first_and_filters(pipelines: Path) -> None:
    good = run_pipeline(runner, pipelines, "good")
    bad = run_pipeline(runner, pipelines, "bad")

    result = runner.invoke(app, ["runs", "list"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["NAME", "ID", "PIPELINE", "STATE", "CREATED", "DURATION"]
    assert lines[1].split()[:4] == [bad["name"], bad["id"][:8], "bad", "FAILED"]
    assert lines[2].split()[:4] == [good["name"], good["id"][:8], "good", "SUCCEEDED"]

    failed = runner.invoke(app, ["runs", "list", "--state", "failed", "--json"])
    assert [r["id"] for r in json.loads(failed.stdout)] == [bad["id"]]
    by_pipeline = runner.invoke(app, ["runs", "list", "--pipeline", "good", "--json"])
    assert [r["name"] for r in json.loads(by_pipeline.stdout)] == [good["name"]]
    limited = runner.invoke(app, ["runs", "list", "--limit", "1", "--json"])
    assert len(json.loads(limited.stdout)) == 1


def test_list_when_empty_and_bad_state() -> None:
    empty = runner.invoke(app, ["runs", "list"])
    assert empty.exit_code == 0
    assert "No runs" in empty.stdout

    bad = runner.invoke(app, ["runs", "list", "--state", "sleeping"])
    assert bad.exit_code == 2
    assert bad.stderr.startswith("error: unknown state 'sleeping'")


def test_show_prints_details_tasks_and_outputs(pipelines: Path) -> None:
    data = run_pipeline(runner, pipelines, "good", "-p", "rows=5")

    result = runner.invoke(app, ["runs", "show", data["id"][:10]])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert data["name"] in out and data["id"] in out
    assert "SUCCEEDED" in out
    assert "rows = 5" in out
    task_lines = [ln.split() for ln in out.splitlines() if ln.startswith(("make", "save"))]
    assert [ln[:3] for ln in task_lines] == [["make", "SUCCEEDED", "1"], ["save", "SUCCEEDED", "1"]]
    assert f"Output = {data['outputs']['Output']['uri']}" in out

    as_json = runner.invoke(app, ["runs", "show", data["name"], "--json"])
    assert json.loads(as_json.stdout)["outputs"] == data["outputs"]


def test_show_failed_run_lists_error(pipelines: Path) -> None:
    data = run_pipeline(runner, pipelines, "bad")

    result = runner.invoke(app, ["runs", "show", data["name"]])
    assert result.exit_code == 0
    boom = next(ln for ln in result.stdout.splitlines() if ln.startswith("boom"))
    assert "FAILED" in boom and "ValueError: bad rows: 6" in boom


def test_show_unknown_run_exits_2() -> None:
    result = runner.invoke(app, ["runs", "show", "no-such-run"])
    assert result.exit_code == 2
    assert result.stderr.strip().startswith("error: no run 'no-such-run'")


def test_resume_of_a_finished_run_reruns_nothing(pipelines: Path) -> None:
    good = run_pipeline(runner, pipelines, "good")
    result = runner.invoke(app, ["runs", "resume", good["id"]])
    assert result.exit_code == 0, result.output
    assert "SUCCEEDED" in result.output
    shown = json.loads(runner.invoke(app, ["runs", "show", good["id"], "--json"]).stdout)
    assert [t["attempts"] for t in shown["tasks"]] == [t["attempts"] for t in good["tasks"]]


def test_resume_of_an_unknown_run_is_bad_input() -> None:
    result = runner.invoke(app, ["runs", "resume", "no-such-run"])
    assert result.exit_code == 2
    assert "no run 'no-such-run'" in result.output
