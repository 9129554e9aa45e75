"""End-to-end runs of the bundled examples (``examples/``) through the public API and the CLI."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import sluice

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

pytestmark = pytest.mark.slow


def _load(name: str) -> ModuleType:
    """Import ``examples/<name>.py`` as a module, the way a user's script would."""
    spec = importlib.util.spec_from_file_location(f"sluice_example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def sluice_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private, empty SLUICE_HOME for one test."""
    home = tmp_path / "sluice-home"
    monkeypatch.setenv("SLUICE_HOME", str(home))
    return home


def test_train_pipeline_runs_and_records_metrics_and_model(sluice_home: Path) -> None:
    """preprocess -> train -> evaluate succeeds; metrics, model and outputs are recorded."""
    module = _load("train_pipeline")

    run = sluice.run(module.train_pipeline, {"n_estimators": 20, "max_depth": 4})

    assert run.state == "SUCCEEDED", run.error
    assert {t.name for t in run.tasks} >= {"preprocess", "train", "evaluate"}

    evaluate = run.task("evaluate")
    metrics = evaluate.outputs["metrics"]
    accuracy = metrics.metadata["accuracy"]
    assert 0.5 < accuracy <= 1.0
    assert 0.5 < metrics.metadata["f1"] <= 1.0
    # Integral metric values come back as ints (protobuf doubles 143.0 are printed as 143).
    assert metrics.metadata["test_rows"] == 143
    assert isinstance(metrics.metadata["test_rows"], int)
    matrix = evaluate.outputs["confusion"].metadata["confusionMatrix"]
    assert [s["displayName"] for s in matrix["annotationSpecs"]] == ["malignant", "benign"]
    assert sum(sum(r["row"]) for r in matrix["rows"]) == 143

    train = run.task("train")
    model = train.outputs["model"]
    assert model.metadata["framework"] == "scikit-learn"
    assert model.metadata["n_estimators"] == 20
    assert Path(model.path).is_file()
    assert Path(model.path).stat().st_size > 0
    assert 0.5 < train.outputs["train_accuracy"] <= 1.0
    assert train.outputs["n_features"] == 30

    # Pipeline outputs: the NamedTuple's parameters and the model artifact.
    assert run.outputs["accuracy"] == pytest.approx(accuracy)
    assert run.outputs["train_accuracy"] == pytest.approx(train.outputs["train_accuracy"])
    assert Path(run.outputs["model"].path) == Path(model.path)

    # Everything the run made lives under SLUICE_HOME.
    assert Path(model.path).resolve().is_relative_to(sluice_home.resolve())


def test_hello_pipeline_through_the_cli(sluice_home: Path) -> None:
    """`sluice run examples/hello_pipeline.py -p name=...` exits 0 and reports SUCCEEDED."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sluice",
            "run",
            str(EXAMPLES / "hello_pipeline.py"),
            "-p",
            "name=Ada",
            "-p",
            "times=3",
        ],
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, "SLUICE_HOME": str(sluice_home)},
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "SUCCEEDED" in output

    # The CLI recorded the run in the same store the Python API reads.
    (run,) = sluice.list_runs()
    assert run.state == "SUCCEEDED"
    assert run.pipeline_name == "hello-pipeline"
    assert run.outputs["Output"] == "HELLO, ADA! HELLO, ADA! HELLO, ADA!"
