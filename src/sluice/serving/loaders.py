"""What a model directory holds, and the predictor that serves it.

The files are the ones Vertex AI's prebuilt prediction containers read from
``artifact_uri``: ``model.joblib`` or ``model.pkl`` (scikit-learn, or any estimator with
``predict``), ``model.bst`` (XGBoost, or LightGBM with a ``lightgbm`` image).
A Custom Prediction Routine is a class with ``load``/``preprocess``/``predict``/
``postprocess`` (``google.cloud.aiplatform.prediction.predictor.Predictor``), named by the
container's ``SLUICE_PREDICTOR`` variable (``module:Class``) or defined in a
``predictor.py`` beside the model files; it gets the whole request body, as Vertex's
default handler gives it, and its ``postprocess`` answers the response body.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import pickle
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from sluice.errors import UnsupportedFeatureError

PREDICTOR_VARIABLE = "SLUICE_PREDICTOR"
PREDICTOR_FILE = "predictor.py"
MODEL_FILES = ("model.joblib", "model.pkl", "model.bst")
# Vertex AI's prebuilt prediction images: .../vertex-ai/prediction/sklearn-cpu.1-3:latest.
_PREBUILT_MARKER = "vertex-ai/prediction/"
_PREBUILT_FRAMEWORKS = ("sklearn", "xgboost", "lightgbm")


class Served(Protocol):
    """What the prediction process calls for every request."""

    def handle(self, body: Mapping[str, Any]) -> Any:
        """The response body of one request body (``{"instances": [...], ...}``)."""


def kind_of(image_uri: str, environment: Mapping[str, str], directory: Path | None) -> str:
    """How a model is served: ``cpr``, ``sklearn``, ``xgboost``, ``lightgbm`` or ``container``.

    ``directory`` is the model's files when they are on this machine (None: not yet known).
    """
    if environment.get(PREDICTOR_VARIABLE) or (
        directory is not None and (directory / PREDICTOR_FILE).is_file()
    ):
        return "cpr"
    if _PREBUILT_MARKER in image_uri:
        framework = image_uri.split(_PREBUILT_MARKER, 1)[1].split("-", 1)[0].split(".", 1)[0]
        if framework in _PREBUILT_FRAMEWORKS:
            return framework
        raise UnsupportedFeatureError(
            f"the prebuilt image {image_uri} ({framework}) is not one Sluice serves itself; "
            "it serves scikit-learn, XGBoost and LightGBM images and Custom Prediction Routines "
            f"({PREDICTOR_FILE} in artifact_uri), or runs the image with Docker or Podman"
        )
    if not image_uri:
        return "sklearn"
    return "container"


class _Estimator:
    """A model file served as a prebuilt container serves it: ``predict`` on the instances."""

    def __init__(self, model: Any, framework: str) -> None:
        self.model = model
        self.framework = framework

    def handle(self, body: Mapping[str, Any]) -> Any:
        import numpy as np

        instances = body.get("instances")
        if not isinstance(instances, list):
            raise ValueError('the request needs "instances": a list')
        data = np.asarray(instances)
        if self.framework == "xgboost" and type(self.model).__name__ == "Booster":
            data = _framework("xgboost").DMatrix(data)
        result = self.model.predict(data)
        return {"predictions": result.tolist() if hasattr(result, "tolist") else list(result)}


class _Routine:
    """A Custom Prediction Routine: ``postprocess(predict(preprocess(body)))``."""

    def __init__(self, predictor: Any) -> None:
        self.predictor = predictor

    def handle(self, body: Mapping[str, Any]) -> Any:
        p = self.predictor
        return p.postprocess(p.predict(p.preprocess(dict(body))))


def _framework(name: str) -> Any:
    # The model's own framework, which the user installs beside Sluice (as the image of a
    # Vertex prebuilt container has it): not a dependency of Sluice.
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise ImportError(
            f"serving this model needs {name}, which is not installed: pip install {name}"
        ) from exc


def _load_file(directory: Path, framework: str) -> Any:
    for name in MODEL_FILES:
        path = directory / name
        if not path.is_file():
            continue
        if name == "model.joblib":
            import joblib

            return joblib.load(path)
        if name == "model.pkl":
            with path.open("rb") as handle:
                return pickle.load(handle)
        if framework == "lightgbm":
            return _framework("lightgbm").Booster(model_file=str(path))
        booster = _framework("xgboost").Booster()
        booster.load_model(str(path))
        return booster
    raise FileNotFoundError(
        f"{directory} holds none of {', '.join(MODEL_FILES)} (what Vertex's prebuilt "
        f"containers load), nor a {PREDICTOR_FILE} (a Custom Prediction Routine)"
    )


def _predictor_class(directory: Path, environment: Mapping[str, str]) -> type:
    named = environment.get(PREDICTOR_VARIABLE)
    sys.path.insert(0, str(directory))
    if named:
        module_name, _, class_name = named.partition(":")
        module = importlib.import_module(module_name)
        found = getattr(module, class_name, None) if class_name else None
        if not isinstance(found, type):
            raise ValueError(f"{PREDICTOR_VARIABLE}={named}: no class {class_name!r} there")
        return found
    spec = importlib.util.spec_from_file_location("predictor", directory / PREDICTOR_FILE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["predictor"] = module
    spec.loader.exec_module(module)
    classes = [
        obj
        for obj in vars(module).values()
        if inspect.isclass(obj)
        and obj.__module__ == module.__name__
        and callable(getattr(obj, "load", None))
        and callable(getattr(obj, "predict", None))
    ]
    if len(classes) != 1:
        raise ValueError(
            f"{directory / PREDICTOR_FILE} must define exactly one class with load() and "
            f"predict() (found {len(classes)}); or name it with {PREDICTOR_VARIABLE}=module:Class"
        )
    return classes[0]


def load(kind: str, directory: Path, environment: Mapping[str, str]) -> Served:
    """The predictor of a model directory (``kind`` from :func:`kind_of`).

    A CPR's ``load`` gets the directory's path (a local copy of a ``gs://`` artifact_uri).
    """
    if kind == "cpr":
        cls = _predictor_class(directory, environment)
        predictor = cls()
        predictor.load(str(directory))
        return _Routine(predictor)
    return _Estimator(_load_file(directory, kind), kind)
