"""``sluice compare``: parameters, metrics and outputs of real runs side by side."""

import json
from typing import NamedTuple

from kfp import dsl
from typer.testing import CliRunner

import sluice
from sluice.cli.main import app

runner = CliRunner()


@dsl.component(base_image="python:3.11")
def train(lr: float, model: dsl.Output[dsl.Model], metrics: dsl.Output[dsl.Metrics]) -> float:
    with open(model.path, "w") as f:
        f.write(str(lr))
    metrics.log_metric("accuracy", round(0.5 + lr, 3))
    metrics.log_metric("loss", 0.25)
    return lr * 10


@dsl.component(base_image="python:3.11")
def evaluate(model: dsl.Input[dsl.Model], report: dsl.Output[dsl.ClassificationMetrics]):
    report.log_confusion_matrix(["cat", "dog"], [[3, 1], [0, 4]])
    report.metadata["f1"] = 0.8


class Outputs(NamedTuple):
    model: dsl.Model
    score: float


@dsl.pipeline(name="compare-cli")
def compare_pipeline(lr: float = 0.1, tag: str = "base") -> Outputs:
    trained = train(lr=lr)
    evaluate(model=trained.outputs["model"])
    return Outputs(model=trained.outputs["model"], score=trained.outputs["Output"])


@dsl.pipeline(name="compare-other")
def other_pipeline(lr: float = 0.1, extra: int = 1):
    train(lr=lr)


def _rows(out: str) -> dict[str, list[str]]:
    """Table rows by their name column: ``{name: [marker, value, value, ...]}``."""
    rows = {}
    for line in out.splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "*":
            rows[parts[1]] = parts
        elif len(parts) > 1:
            rows[parts[0]] = ["", *parts]
    return rows


def test_compare_marks_what_differs() -> None:
    first = sluice.run(compare_pipeline, {"lr": 0.1})
    second = sluice.run(compare_pipeline, {"lr": 0.2})

    result = runner.invoke(app, ["compare", first.name, second.id])
    assert result.exit_code == 0, result.output
    out = result.stdout
    header = out.splitlines()[0].split()
    assert header == ["*", first.name, second.name]
    rows = _rows(out)
    assert rows["lr"] == ["*", "lr", "0.1", "0.2"]
    assert rows["tag"] == ["", "tag", '"base"', '"base"']
    assert rows["train.accuracy"] == ["*", "train.accuracy", "0.6", "0.7"]
    assert rows["train.loss"] == ["", "train.loss", "0.25", "0.25"]
    assert rows["evaluate.f1"] == ["", "evaluate.f1", "0.8", "0.8"]
    assert not any("confusionMatrix" in line for line in out.splitlines())
    assert rows["score"] == ["*", "score", "1.0", "2.0"]
    assert rows["model"][:2] == ["*", "model"]
    assert rows["model"][2:] == [first.outputs["model"].uri, second.outputs["model"].uri]
    for section in ("Parameters", "Metrics", "Outputs"):
        assert section in out
    assert out.rstrip().endswith("4 value(s) differ (marked *).")

    data = json.loads(runner.invoke(app, ["compare", first.id, second.id, "--json"]).stdout)
    assert [r["name"] for r in data["runs"]] == [first.name, second.name]
    assert data["parameters"]["lr"] == {"values": [0.1, 0.2], "differs": True}
    assert data["parameters"]["tag"] == {"values": ["base", "base"], "differs": False}
    assert data["metrics"]["train.accuracy"] == {"values": [0.6, 0.7], "differs": True}
    assert data["metrics"]["evaluate.f1"]["differs"] is False
    assert set(data["metrics"]) == {"train.accuracy", "train.loss", "evaluate.f1"}
    model = data["outputs"]["model"]
    assert model["differs"] is True
    assert [m["uri"] for m in model["values"]] == [
        first.outputs["model"].uri,
        second.outputs["model"].uri,
    ]


def test_cached_rerun_has_no_differences_and_missing_values_differ() -> None:
    first = sluice.run(compare_pipeline)
    again = sluice.run(compare_pipeline)  # every task a cache hit: same outputs, same uris
    other = sluice.run(compare_pipeline, {"tag": "new"})

    same = runner.invoke(app, ["compare", first.id, again.id])
    assert same.exit_code == 0, same.output
    assert "*" not in same.stdout.splitlines()[1:]
    assert not [ln for ln in same.stdout.splitlines()[1:] if ln.startswith("*")]
    assert same.stdout.rstrip().endswith("No differences.")

    three = json.loads(
        runner.invoke(app, ["compare", first.id, again.id, other.id, "--json"]).stdout
    )
    assert three["parameters"]["tag"] == {"values": ["base", "base", "new"], "differs": True}
    # train does not take the tag: the third run reused its outputs as well
    assert three["metrics"]["train.accuracy"]["differs"] is False
    assert three["outputs"]["model"]["differs"] is False

    # another pipeline: what one run has and the other lacks shows as "-" and differs
    elsewhere = sluice.run(other_pipeline)
    mixed = runner.invoke(app, ["compare", first.id, elsewhere.id])
    assert mixed.exit_code == 0, mixed.output
    rows = _rows(mixed.stdout)
    assert rows["extra"] == ["*", "extra", "-", "1"]
    assert rows["tag"] == ["*", "tag", '"base"', "-"]
    assert rows["lr"] == ["", "lr", "0.1", "0.1"]
    assert rows["train.accuracy"] == ["", "train.accuracy", "0.6", "0.6"]
    assert rows["evaluate.f1"] == ["*", "evaluate.f1", "0.8", "-"]
    assert rows["score"] == ["*", "score", "1.0", "-"]


def test_compare_needs_two_known_runs() -> None:
    run = sluice.run(compare_pipeline)
    one = runner.invoke(app, ["compare", run.id])
    assert one.exit_code == 2
    assert one.stderr.startswith("error: compare needs at least two runs")
    unknown = runner.invoke(app, ["compare", run.id, "no-such-run"])
    assert unknown.exit_code == 2
    assert unknown.stderr.startswith("error: no run 'no-such-run'")
    assert runner.invoke(app, ["compare"]).exit_code == 2
