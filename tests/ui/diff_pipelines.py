"""Pipelines the spec-diff and PR-curve tests use (no ``from __future__ import
annotations``: kfp reads the real annotations).

``versioned_v1`` and ``versioned_v2`` are two versions of one pipeline: v2 changes
``train``'s code, drops ``report``, adds ``publish``, changes the default of ``n``, drops
the input ``label`` and adds ``rate``. ``evaluated`` imports a Vertex-style
``google.ClassificationMetrics`` artifact (``confidenceMetrics`` with precision, recall and
false positive rate per threshold, and a confusion matrix with bare rows), as the Google
Cloud Pipeline Components' evaluation writes one.
"""

from kfp import dsl
from kfp.dsl import Artifact


@dsl.component
def prepare(n: int) -> int:
    """Add one."""
    return n + 1


@dsl.component
def train(x: int) -> int:
    """Double it."""
    return x * 2


@dsl.component(base_image="python:3.11")
def report(x: int) -> str:
    """Say it."""
    return f"x={x}"


@dsl.pipeline(name="versioned")
def versioned_v1(n: int = 1, label: str = "first") -> None:
    prepared = prepare(n=n)
    trained = train(x=prepared.output)
    report(x=trained.output)


def _changed_train() -> object:
    # The same component name (comp-train) with other code: a function named train.
    @dsl.component
    def train(x: int) -> int:
        """Triple it (the changed version)."""
        return x * 3

    return train


train_v2 = _changed_train()


@dsl.component
def publish(x: int, rate: float) -> str:
    """Say it with the rate."""
    return f"x={x} rate={rate}"


@dsl.pipeline(name="versioned")
def versioned_v2(n: int = 2, rate: float = 0.5) -> None:
    prepared = prepare(n=n)
    trained = train_v2(x=prepared.output)  # type: ignore[operator]
    publish(x=trained.output, rate=rate)


class VertexClassificationMetrics(Artifact):
    """The artifact type GCPC's evaluation components put out (its schema title)."""

    schema_title = "google.ClassificationMetrics"
    schema_version = "0.0.1"


# What a Vertex evaluation puts in the artifact's metadata (ClassificationEvaluationMetrics).
# The importer writes it as it is (a Python component would need the artifact class where
# it runs; GCPC's evaluation runs a container).
_POINTS = [
    (0.0, 1.0, 0.5, 1.0),
    (0.25, 0.95, 0.7, 0.4),
    (0.5, 0.8, 0.85, 0.15),
    (0.75, 0.6, 0.92, 0.05),
    (1.0, 0.0, 1.0, 0.0),
]
VERTEX_METRICS = {
    "auPrc": 0.91,
    "auRoc": 0.93,
    "logLoss": 0.21,
    "confidenceMetrics": [
        {"confidenceThreshold": t, "recall": r, "precision": p, "falsePositiveRate": f}
        for t, r, p, f in _POINTS
    ],
    "confusionMatrix": {
        "annotationSpecs": [{"displayName": "spam"}, {"displayName": "ham"}],
        "rows": [[40, 10], [5, 45]],
    },
}


@dsl.pipeline(name="vertex-evaluation")
def evaluated(uri: str) -> None:
    dsl.importer(
        artifact_uri=uri,
        artifact_class=VertexClassificationMetrics,
        metadata=VERTEX_METRICS,
        reimport=True,
    )
