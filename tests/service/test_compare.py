"""Runs side by side (the computation ``sluice compare`` and the UI share)."""

from sluice.service.compare import (
    ComparedArtifact,
    ComparedRun,
    ComparedTask,
    compare_runs,
    unique_ids,
    visual_artifacts,
)


def _run(run_id: str, seed: int, extra: dict[str, int] | None = None) -> ComparedRun:
    scores = ComparedArtifact(
        uri=f"/r/{run_id}/scores", schema_title="system.Metrics", metadata={"acc": seed / 10}
    )
    classes = ComparedArtifact(
        uri=f"/r/{run_id}/classes",
        schema_title="system.ClassificationMetrics",
        metadata={"au_roc": 0.9, "confusionMatrix": {"rows": []}},
        id=7,
    )
    model = ComparedArtifact(uri=f"/r/{run_id}/model", schema_title="system.Model", metadata={})
    return ComparedRun(
        id=run_id,
        name=run_id,
        pipeline_name="p",
        state="SUCCEEDED",
        arguments={"seed": seed, "lr": 0.1, **(extra or {})},
        outputs={"model": model},
        tasks=[ComparedTask("train", {"scores": scores, "classes": [classes], "n": 3})],
    )


def test_differences_missing_values_and_metric_keys() -> None:
    data = compare_runs([_run("a", 1), _run("b", 2, {"extra": 1})])
    assert data["parameters"]["lr"] == {"values": [0.1, 0.1], "differs": False}
    assert data["parameters"]["seed"]["differs"] is True
    assert data["parameters"]["extra"] == {"values": [None, 1], "differs": True}
    # Two metrics outputs: keyed by output; a matrix is not a scalar metric.
    assert data["metrics"]["train.scores.acc"]["values"] == [0.1, 0.2]
    assert data["metrics"]["train.classes.au_roc"]["differs"] is False
    assert "train.classes.confusionMatrix" not in data["metrics"]
    # Artifacts are compared by uri and given as JSON.
    assert data["outputs"]["model"]["differs"] is True
    assert data["outputs"]["model"]["values"][0]["uri"] == "/r/a/model"


def test_visual_artifacts_are_keyed_by_task_and_output() -> None:
    found = visual_artifacts(_run("a", 1))
    assert [(v.key, v.artifact.schema_title) for v in found] == [
        ("train.classes", "system.ClassificationMetrics"),
        ("train.scores", "system.Metrics"),
    ]
    assert unique_ids([" a", "b", "", "a "]) == ["a", "b"]


def test_vertex_classification_metrics_are_shown_and_their_scalars_compared() -> None:
    """GCPC's evaluation artifact (``google.ClassificationMetrics``): its curves go to the
    viewers, its scalars (auRoc, logLoss) to the metrics, its lists and matrix do not."""
    evaluation = ComparedArtifact(
        uri="/r/a/evaluation",
        schema_title="google.ClassificationMetrics",
        metadata={
            "auRoc": 0.93,
            "logLoss": 0.21,
            "confidenceMetrics": [{"confidenceThreshold": 0.5, "recall": 0.8, "precision": 0.9}],
            "confusionMatrix": {"rows": [[1, 0], [0, 1]]},
        },
    )
    run = ComparedRun(
        id="a",
        name="a",
        pipeline_name="p",
        state="SUCCEEDED",
        arguments={},
        outputs={},
        tasks=[ComparedTask("evaluate", {"evaluation_metrics": evaluation})],
    )
    assert [v.key for v in visual_artifacts(run)] == ["evaluate.evaluation_metrics"]
    metrics = compare_runs([run])["metrics"]
    assert sorted(metrics) == ["evaluate.auRoc", "evaluate.logLoss"]
