"""``sluice cache explain`` and ``sluice cache clear`` on real cached runs."""

import json

import pytest
from kfp import dsl
from typer.testing import CliRunner

import sluice
from sluice.cli import cache as cache_cli
from sluice.cli.main import app

runner = CliRunner()


@dsl.component(base_image="python:3.11")
def double(n: int) -> int:
    return n * 2


@dsl.component(base_image="python:3.11")
def stamp(label: str) -> str:
    return label.upper()


@dsl.pipeline(name="cache-cli")
def cache_pipeline(n: int = 2):
    double(n=n)
    stamp(label="same")


@dsl.pipeline(name="cache-cli-other")
def other_pipeline():
    stamp(label="other")


def test_explain_hit_miss_and_differences() -> None:
    first = sluice.run(cache_pipeline)
    hit = sluice.run(cache_pipeline)
    changed = sluice.run(cache_pipeline, {"n": 5})

    # double and stamp run in parallel, so look the execution ids up rather than guess them
    listed = runner.invoke(
        app,
        ["executions", "list", "--filter", 'component="comp-double"', "--order-by", "id", "--json"],
    )
    doubles = {e["run_id"]: e["id"] for e in json.loads(listed.stdout)}

    result = runner.invoke(app, ["cache", "explain", hit.name, "double"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    source = doubles[first.id]
    assert lines[0] == f"Task double of run {hit.name}: cache hit"
    assert lines[1] == f"Reason:      cache hit: reused the outputs of execution {source}"
    assert lines[2] == f"Reused:      execution {source} of run {first.name}"
    assert lines[3].startswith("Fingerprint: ")

    miss = runner.invoke(app, ["cache", "explain", changed.id, "double"])
    assert miss.exit_code == 0, miss.output
    out = miss.stdout
    assert out.splitlines()[0] == f"Task double of run {changed.name}: cache miss"
    # the nearest earlier execution with the fewest differences: the newest, the cache hit
    nearest = doubles[hit.id]
    assert (
        f"Reason:      cache miss: 1 part of the key changed since execution {nearest} "
        "(input parameter 'n': 2 -> 5)"
    ) in out
    assert f"Compared to: execution {nearest} of run {hit.name}" in out
    differences = out.split("Differences:\n", 1)[1].splitlines()
    assert differences == ["  - input parameter 'n': 2 -> 5"]

    data = json.loads(
        runner.invoke(app, ["cache", "explain", changed.id, "double", "--json"]).stdout
    )
    assert data["hit"] is False and data["task_path"] == "double"
    assert data["source_execution_id"] == nearest and data["source_run_name"] == hit.name
    assert data["differences"] == ["input parameter 'n': 2 -> 5"]

    first_ever = json.loads(
        runner.invoke(app, ["cache", "explain", first.id, "stamp", "--json"]).stdout
    )
    assert first_ever["hit"] is False
    assert first_ever["reason"].startswith("cache miss: no earlier execution")
    assert first_ever["differences"] == [] and first_ever["source_execution_id"] is None


def test_explain_unknown_run_or_task_exits_2() -> None:
    run = sluice.run(cache_pipeline)
    unknown_task = runner.invoke(app, ["cache", "explain", run.id, "nope"])
    assert unknown_task.exit_code == 2
    assert unknown_task.stderr.startswith(f"error: run {run.name} has no task 'nope'")
    unknown_run = runner.invoke(app, ["cache", "explain", "no-such-run", "double"])
    assert unknown_run.exit_code == 2
    assert unknown_run.stderr.startswith("error: no run 'no-such-run'")


def test_clear_with_yes_then_the_next_run_misses() -> None:
    first = sluice.run(cache_pipeline)
    sluice.run(other_pipeline)

    one_pipeline = runner.invoke(app, ["cache", "clear", "--pipeline", "cache-cli-other", "-y"])
    assert one_pipeline.exit_code == 0, one_pipeline.output
    assert one_pipeline.stdout.strip() == "Cleared 1 cache entry of pipeline 'cache-cli-other'."

    cleared = runner.invoke(app, ["cache", "clear", "--yes"])
    assert cleared.exit_code == 0, cleared.output
    assert cleared.stdout.strip() == "Cleared 2 cache entries of every pipeline."

    rerun = sluice.run(cache_pipeline)
    assert {t.state for t in rerun.tasks if t.kind == "container"} == {"SUCCEEDED"}
    explained = runner.invoke(app, ["cache", "explain", rerun.id, "double"])
    assert "the cache was cleared" in explained.stdout
    assert f"of run {first.name}" in explained.stdout

    again = runner.invoke(app, ["cache", "clear", "--yes"])
    assert again.stdout.strip() == "Cleared 2 cache entries of every pipeline."


def test_clear_without_yes_refuses_off_a_terminal() -> None:
    sluice.run(cache_pipeline)
    refused = runner.invoke(app, ["cache", "clear"], input="y\n")
    assert refused.exit_code == 2
    assert refused.stderr.strip() == (
        "error: not clearing the cache of every pipeline without confirmation; pass --yes"
    )
    hit = sluice.run(cache_pipeline)  # nothing was cleared
    assert {t.state for t in hit.tasks if t.kind == "container"} == {"CACHED"}


def test_clear_asks_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    sluice.run(cache_pipeline)
    # CliRunner's stdin is never a terminal; stand in for a person at one.
    monkeypatch.setattr(cache_cli, "_interactive", lambda: True)

    declined = runner.invoke(app, ["cache", "clear", "--pipeline", "cache-cli"], input="n\n")
    assert declined.exit_code == 0, declined.output
    assert "Clear the cache of pipeline 'cache-cli'? [y/N]" in declined.stdout
    assert declined.stdout.strip().endswith("Nothing cleared.")

    accepted = runner.invoke(app, ["cache", "clear", "--pipeline", "cache-cli"], input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert accepted.stdout.strip().endswith("Cleared 2 cache entries of pipeline 'cache-cli'.")
