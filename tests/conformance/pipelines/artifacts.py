"""Artifacts of every kind: files, metadata, metrics, and artifact pipeline outputs."""

# KFP reads these signatures at compile time: mutable defaults are pipeline defaults,
# and typing.List/Optional/functional NamedTuple are the spellings kfp understands.
# ruff: noqa: UP014

from typing import NamedTuple

from kfp import dsl
from kfp.dsl import (
    HTML,
    Artifact,
    ClassificationMetrics,
    Dataset,
    Input,
    Markdown,
    Metrics,
    Model,
    Output,
    SlicedClassificationMetrics,
)


@dsl.component
def make_dataset(rows: int, ds: Output[Dataset]):
    """Writes ``rows`` CSV lines and records metadata the consumer must see."""
    with open(ds.path, "w") as f:
        for i in range(rows):
            f.write(f"{i},{i * i}\n")
    ds.metadata["rows"] = rows
    ds.metadata["source"] = "make-dataset"
    ds.metadata["ratio"] = 0.25


@dsl.component
def read_dataset(ds: Input[Dataset]) -> dict:
    """Reads the dataset file through ``.path`` and echoes its metadata and types."""
    with open(ds.path) as f:
        data = f.read().splitlines()
    return {
        "lines": len(data),
        "last": data[-1],
        "rows": ds.metadata["rows"],
        "rows_type": type(ds.metadata["rows"]).__name__,
        "source": ds.metadata["source"],
        "ratio": ds.metadata["ratio"],
        "uri": ds.uri,
    }


@dsl.component
def train(ds: Input[Dataset], model: Output[Model]):
    """Model artifact derived from a dataset; carries framework metadata."""
    with open(ds.path) as f:
        n = len(f.read().splitlines())
    with open(model.path, "w") as f:
        f.write(f"weights-for-{n}-rows")
    model.metadata["framework"] = "none"
    model.metadata["epochs"] = 2


@dsl.component
def use_model(model: Input[Model]) -> str:
    """Reads a model file and its metadata."""
    with open(model.path) as f:
        return f"{f.read()}|{model.metadata['framework']}|{model.metadata['epochs']}"


@dsl.component
def log_metrics(metrics: Output[Metrics]):
    """``log_metric`` only sets metadata; nothing is written at the URI."""
    metrics.log_metric("accuracy", 0.9)
    metrics.log_metric("rows", 3)


@dsl.component
def read_metrics(metrics: Input[Metrics]) -> float:
    """A consumer sees the producer's metric metadata."""
    return metrics.metadata["accuracy"] + metrics.metadata["rows"]


@dsl.component
def classification(cm: Output[ClassificationMetrics]):
    """Confusion matrix and ROC curve (metadata only)."""
    cm.log_confusion_matrix(["cat", "dog"], [[8, 2], [1, 9]])
    cm.log_roc_curve(fpr=[0.0, 0.5, 1.0], tpr=[0.0, 0.8, 1.0], threshold=[1.0, 0.5, 0.0])


@dsl.component
def sliced(sm: Output[SlicedClassificationMetrics]):
    """Per-slice confusion matrices (metadata only)."""
    # kfp 2.17.3 never initialises this dict (no __init__ on the class), so every log_*
    # call raises AttributeError without it, and its ROC helpers call methods that
    # ClassificationMetrics lacks; these are kfp bugs, so use the methods that work.
    if not hasattr(sm, "_sliced_metrics"):
        sm._sliced_metrics = {}
    sm.set_confusion_matrix_categories("overall", ["cat", "dog"])
    sm.log_confusion_matrix_row("overall", "cat", [8, 2])
    sm.set_confusion_matrix_categories("young", ["cat", "dog"])
    sm.log_confusion_matrix_row("young", "dog", [1, 9])


@dsl.component
def html_report(page: Output[HTML]):
    """An HTML artifact is a file at ``.path``."""
    with open(page.path, "w") as f:
        f.write("<h1>report</h1>")


@dsl.component
def md_report(note: Output[Markdown]):
    """A Markdown artifact is a file at ``.path``."""
    with open(note.path, "w") as f:
        f.write("# notes\n")


@dsl.component
def read_generic(a: Input[Artifact]) -> str:
    """Any artifact type can be consumed as a generic Artifact."""
    with open(a.path) as f:
        return f.read()


@dsl.pipeline(name="artifact-kinds")
def artifact_kinds(rows: int = 4) -> NamedTuple(
    "Outputs",
    [("summary", dict), ("model_info", str), ("metric_sum", float), ("html", str), ("md", str)],
):
    """Dataset, Model, Metrics, (Sliced)ClassificationMetrics, HTML and Markdown artifacts."""
    ds = make_dataset(rows=rows)
    summary = read_dataset(ds=ds.outputs["ds"])
    model = train(ds=ds.outputs["ds"])
    info = use_model(model=model.outputs["model"])
    m = log_metrics()
    msum = read_metrics(metrics=m.outputs["metrics"])
    classification()
    sliced()
    h = read_generic(a=html_report().outputs["page"])
    md = read_generic(a=md_report().outputs["note"])
    outputs = NamedTuple(
        "Outputs",
        [("summary", dict), ("model_info", str), ("metric_sum", float), ("html", str), ("md", str)],
    )
    return outputs(summary.output, info.output, msum.output, h.output, md.output)


@dsl.component
def with_uri(out: Output[Artifact]) -> str:
    """``dsl.get_uri()`` names a unique location for this task; write into it."""
    import os

    from kfp import dsl

    with open(out.path, "w") as f:
        f.write("main")
    extra = dsl.get_uri(suffix="extra")
    os.makedirs(os.path.dirname(extra), exist_ok=True)
    with open(extra, "w") as f:
        f.write("side")
    return extra


@dsl.pipeline(name="get-uri")
def get_uri() -> NamedTuple("Outputs", [("extra", str), ("out", Artifact)]):
    """``dsl.get_uri`` inside a component."""
    t = with_uri()
    outputs = NamedTuple("Outputs", [("extra", str), ("out", Artifact)])
    return outputs(t.outputs["Output"], t.outputs["out"])


@dsl.pipeline(name="artifact-output")
def artifact_output(rows: int = 3) -> Dataset:
    """A single artifact pipeline output is keyed ``Output``."""
    return make_dataset(rows=rows).outputs["ds"]


@dsl.pipeline(name="mixed-outputs")
def mixed_outputs(rows: int = 2) -> NamedTuple(
    "Outputs", [("data", Dataset), ("model", Model), ("metrics", Metrics), ("lines", dict)]
):
    """NamedTuple pipeline outputs mixing artifacts and a parameter."""
    ds = make_dataset(rows=rows)
    model = train(ds=ds.outputs["ds"])
    m = log_metrics()
    summary = read_dataset(ds=ds.outputs["ds"])
    outputs = NamedTuple(
        "Outputs", [("data", Dataset), ("model", Model), ("metrics", Metrics), ("lines", dict)]
    )
    return outputs(ds.outputs["ds"], model.outputs["model"], m.outputs["metrics"], summary.output)


@dsl.component
def custom_path_writer(scratch: str, out: Output[Dataset]):
    """Writes the artifact somewhere else and points the output there (``set_path``).

    Go uploads the artifact from ``custom_path`` to its URI (kfp-ir.md, outputs).
    """
    import os

    os.makedirs(scratch, exist_ok=True)
    target = os.path.join(scratch, "custom.txt")
    with open(target, "w") as f:
        f.write("written-elsewhere")
    out.set_path(target)
    out.metadata["custom"] = True


@dsl.pipeline(name="custom-path")
def custom_path(scratch: str) -> str:
    """A consumer reads an artifact produced through ``set_path``."""
    w = custom_path_writer(scratch=scratch)
    return read_generic(a=w.outputs["out"]).output
