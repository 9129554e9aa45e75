"""Preprocess -> train -> evaluate: a classic KFP v2 training pipeline.

This file is written exactly as for Vertex AI Pipelines or Kubeflow Pipelines: plain
``from kfp import dsl``, lightweight Python components, typed artifacts. Nothing in it
knows about Sluice.

Run it locally with Sluice::

    sluice run examples/train_pipeline.py -p n_estimators=50 -p max_depth=4

or compile it for Vertex AI / Kubeflow::

    sluice compile examples/train_pipeline.py -o train.yaml
    python examples/train_pipeline.py          # same, with the kfp compiler

The data set (Wisconsin breast cancer) ships with scikit-learn, so nothing is downloaded.
"""

from typing import NamedTuple

from kfp import compiler, dsl
from kfp.dsl import ClassificationMetrics, Dataset, Input, Metrics, Model, Output

# On Vertex every component starts from a bare python image, so it must name the packages it
# imports. Sluice installs nothing when the current environment already has them.
PACKAGES = ["scikit-learn", "pandas"]
BASE_IMAGE = "python:3.11"


class PipelineOutputs(NamedTuple):
    """What the pipeline returns: test accuracy, train accuracy and the trained model."""

    accuracy: float
    train_accuracy: float
    model: Model


@dsl.component(base_image=BASE_IMAGE, packages_to_install=PACKAGES)
def preprocess(
    test_size: float,
    seed: int,
    train_data: Output[Dataset],
    test_data: Output[Dataset],
) -> int:
    """Load the breast cancer data set, split it, scale it and write train/test CSV files.

    Returns the number of feature columns.
    """
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    frame = load_breast_cancer(as_frame=True).frame
    features = [c for c in frame.columns if c != "target"]
    train, test = train_test_split(
        frame, test_size=test_size, random_state=seed, stratify=frame["target"]
    )
    # Fit the scaler on the training rows only, so no test information leaks into training.
    scaler = StandardScaler().fit(train[features])
    train = train.copy()
    test = test.copy()
    train[features] = scaler.transform(train[features])
    test[features] = scaler.transform(test[features])

    train.to_csv(train_data.path, index=False)
    test.to_csv(test_data.path, index=False)
    for artifact, part in ((train_data, train), (test_data, test)):
        artifact.metadata["rows"] = len(part)
        artifact.metadata["columns"] = len(features)
        artifact.metadata["format"] = "csv"
    return len(features)


@dsl.component(base_image=BASE_IMAGE, packages_to_install=PACKAGES)
def train(
    train_data: Input[Dataset],
    n_estimators: int,
    max_depth: int,
    seed: int,
    model: Output[Model],
) -> NamedTuple("TrainOutputs", train_accuracy=float, n_features=int):  # type: ignore[valid-type]
    """Fit a random forest on the training CSV and save it with joblib."""
    from collections import namedtuple

    import joblib
    import pandas as pd
    from sklearn.ensemble import RandomForestClassifier

    frame = pd.read_csv(train_data.path)
    x, y = frame.drop(columns=["target"]), frame["target"]
    clf = RandomForestClassifier(n_estimators=n_estimators, max_depth=max_depth, random_state=seed)
    clf.fit(x, y)
    joblib.dump(clf, model.path)

    import sklearn

    model.metadata["framework"] = "scikit-learn"
    model.metadata["framework_version"] = sklearn.__version__
    model.metadata["algorithm"] = "RandomForestClassifier"
    model.metadata["n_estimators"] = n_estimators
    model.metadata["max_depth"] = max_depth

    outputs = namedtuple("TrainOutputs", ["train_accuracy", "n_features"])
    return outputs(float(clf.score(x, y)), int(x.shape[1]))


@dsl.component(base_image=BASE_IMAGE, packages_to_install=PACKAGES)
def evaluate(
    test_data: Input[Dataset],
    model: Input[Model],
    metrics: Output[Metrics],
    confusion: Output[ClassificationMetrics],
) -> float:
    """Score the model on the test CSV; log metrics and a confusion matrix. Returns accuracy."""
    import joblib
    import pandas as pd
    from sklearn.metrics import (
        accuracy_score,
        confusion_matrix,
        f1_score,
        precision_score,
        recall_score,
        roc_curve,
    )

    frame = pd.read_csv(test_data.path)
    x, y = frame.drop(columns=["target"]), frame["target"]
    clf = joblib.load(model.path)
    predicted = clf.predict(x)

    accuracy = float(accuracy_score(y, predicted))
    metrics.log_metric("accuracy", accuracy)
    metrics.log_metric("f1", float(f1_score(y, predicted)))
    metrics.log_metric("precision", float(precision_score(y, predicted)))
    metrics.log_metric("recall", float(recall_score(y, predicted)))
    metrics.log_metric("test_rows", len(frame))

    # load_breast_cancer: target 0 = malignant, 1 = benign.
    matrix = confusion_matrix(y, predicted, labels=[0, 1])
    confusion.log_confusion_matrix(["malignant", "benign"], [[int(v) for v in r] for r in matrix])
    fpr, tpr, thresholds = roc_curve(y, clf.predict_proba(x)[:, 1])
    # Infinite first threshold is not valid JSON; clip it to 1.0 as the Vertex UI expects.
    confusion.log_roc_curve(
        [float(v) for v in fpr],
        [float(v) for v in tpr],
        [min(float(v), 1.0) for v in thresholds],
    )
    return accuracy


@dsl.pipeline(
    name="train-pipeline",
    description="Preprocess the breast cancer data set, train a random forest, evaluate it.",
)
def train_pipeline(
    n_estimators: int = 100,
    max_depth: int = 5,
    test_size: float = 0.25,
    seed: int = 42,
) -> PipelineOutputs:
    """Preprocess -> train -> evaluate; returns test accuracy, train accuracy and the model."""
    prep = preprocess(test_size=test_size, seed=seed)
    prep.set_display_name("preprocess data")

    fit = train(
        train_data=prep.outputs["train_data"],
        n_estimators=n_estimators,
        max_depth=max_depth,
        seed=seed,
    )
    fit.set_cpu_limit("2").set_memory_limit("2G")

    score = evaluate(test_data=prep.outputs["test_data"], model=fit.outputs["model"])

    return PipelineOutputs(
        accuracy=score.outputs["Output"],
        train_accuracy=fit.outputs["train_accuracy"],
        model=fit.outputs["model"],
    )


if __name__ == "__main__":
    # What a Vertex AI user does before `aiplatform.PipelineJob(template_path=...)`.
    compiler.Compiler().compile(train_pipeline, "train_pipeline.yaml")
    print("wrote train_pipeline.yaml")
