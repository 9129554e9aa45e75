"""Artifacts: files, metadata, metrics, get_uri, and artifact pipeline outputs."""

from __future__ import annotations

import os
from pathlib import Path

from kfp import dsl

import sluice

from .helpers import read_artifact_text
from .pipelines import artifacts


def _ok(run: sluice.Run) -> None:
    assert run.state == "SUCCEEDED", run.error


def test_artifact_kinds_round_trip() -> None:
    """Producer files and metadata reach consumers; metrics live in metadata."""
    run = sluice.run(artifacts.artifact_kinds, {"rows": 4})
    _ok(run)
    for t in run.tasks:
        if t.kind == "container":
            assert t.state == "SUCCEEDED", (t.path, t.state, t.error)

    summary = run.outputs["summary"]
    assert summary["lines"] == 4
    assert summary["last"] == "3,9"
    # Metadata ints stay ints (kfp-ir.md: emit integral doubles as ints, metadata included).
    assert summary["rows"] == 4 and summary["rows_type"] == "int"
    assert summary["source"] == "make-dataset"
    assert summary["ratio"] == 0.25

    ds = run.task("make-dataset").outputs["ds"]
    assert isinstance(ds, dsl.Artifact)
    assert ds.uri == summary["uri"], "the consumer sees the producer's artifact URI"
    assert ds.metadata["rows"] == 4
    assert read_artifact_text(ds).splitlines()[0] == "0,0"

    assert run.outputs["model_info"] == "weights-for-4-rows|none|2"
    assert run.outputs["metric_sum"] == 3.9

    metrics = run.task("log-metrics").outputs["metrics"]
    assert metrics.metadata["accuracy"] == 0.9
    assert metrics.metadata["rows"] == 3

    cm = run.task("classification").outputs["cm"].metadata
    assert cm["confusionMatrix"]["annotationSpecs"] == [
        {"displayName": "cat"},
        {"displayName": "dog"},
    ]
    assert cm["confusionMatrix"]["rows"] == [{"row": [8, 2]}, {"row": [1, 9]}]
    assert cm["confidenceMetrics"][1] == {
        "confidenceThreshold": 0.5,
        "recall": 0.8,
        "falsePositiveRate": 0.5,
    }
    assert len(cm["confidenceMetrics"]) == 3

    sliced = run.task("sliced").outputs["sm"].metadata
    assert [s["slice"] for s in sliced["evaluationSlices"]] == ["overall", "young"]
    young = sliced["evaluationSlices"][1]["sliceClassificationMetrics"]
    assert young["confusionMatrix"]["rows"] == [{"row": [0, 0]}, {"row": [1, 9]}]

    assert run.outputs["html"] == "<h1>report</h1>"
    assert run.outputs["md"] == "# notes\n"
    html = run.task("html-report").outputs["page"]
    assert read_artifact_text(html) == "<h1>report</h1>"


def test_metrics_artifact_metadata_survives_in_store() -> None:
    """Metrics write no file, so the metadata must come from the store (get_run re-reads it)."""
    run = sluice.run(artifacts.artifact_kinds, {"rows": 1})
    _ok(run)
    again = sluice.get_run(run.id)
    assert again.task("log-metrics").outputs["metrics"].metadata["accuracy"] == 0.9
    assert again.outputs["summary"]["lines"] == 1


def test_get_uri_is_a_unique_task_location() -> None:
    """dsl.get_uri() is under the pipeline root, next to the task's own outputs (Go layout)."""
    run = sluice.run(artifacts.get_uri)
    _ok(run)
    extra = run.outputs["extra"]
    out = run.outputs["out"]
    assert extra.endswith("/extra") or extra.endswith(os.sep + "extra")
    root = run.pipeline_root.rstrip("/")
    assert extra.startswith(root), (extra, root)
    # kfp-ir.md: get_uri uses dirname(outputFile), the task root that also holds the artifacts.
    assert os.path.dirname(extra) == os.path.dirname(out.uri)
    assert Path(extra.removeprefix("file://")).read_text() == "side"
    assert read_artifact_text(out) == "main"


def test_single_artifact_pipeline_output() -> None:
    """A single artifact pipeline output is keyed Output and its file is readable."""
    run = sluice.run(artifacts.artifact_output, {"rows": 3})
    _ok(run)
    assert set(run.outputs) == {"Output"}
    ds = run.outputs["Output"]
    assert isinstance(ds, dsl.Artifact)
    assert ds.metadata["rows"] == 3
    assert read_artifact_text(ds) == "0,0\n1,1\n2,4\n"
    assert ds.uri == run.task("make-dataset").outputs["ds"].uri


def test_named_tuple_artifact_pipeline_outputs() -> None:
    """NamedTuple pipeline outputs mixing artifacts and parameters."""
    run = sluice.run(artifacts.mixed_outputs)
    _ok(run)
    assert set(run.outputs) == {"data", "model", "metrics", "lines"}
    assert read_artifact_text(run.outputs["data"]) == "0,0\n1,1\n"
    assert read_artifact_text(run.outputs["model"]) == "weights-for-2-rows"
    assert run.outputs["model"].metadata["framework"] == "none"
    assert run.outputs["metrics"].metadata["accuracy"] == 0.9
    assert run.outputs["lines"]["lines"] == 2


def test_custom_pipeline_root_holds_the_artifacts(tmp_path: Path) -> None:
    """pipeline_root= puts the run's artifacts under that directory."""
    root = tmp_path / "my-root"
    run = sluice.run(artifacts.artifact_output, {"rows": 1}, pipeline_root=str(root))
    _ok(run)
    art = run.outputs["Output"]
    local = Path(art.path.removeprefix("file://"))
    assert local.is_file()
    assert root.resolve() in local.resolve().parents
    assert read_artifact_text(art) == "0,0\n"


def test_custom_path_output(tmp_path: Path) -> None:
    """An output written at a custom path reaches the consumer."""
    run = sluice.run(artifacts.custom_path, {"scratch": str(tmp_path / "scratch")})
    _ok(run)
    assert run.outputs["Output"] == "written-elsewhere"
    art = run.task("custom-path-writer").outputs["out"]
    assert art.metadata["custom"] is True
    assert read_artifact_text(art) == "written-elsewhere"
