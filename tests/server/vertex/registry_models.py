"""Small models on disk as Vertex AI users save them: scikit-learn files, and a Custom
Prediction Routine (a ``predictor.py`` beside the model file)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import joblib
import numpy as np
from sklearn.linear_model import LogisticRegression
from tests.server.server_process import ServerProcess
from tests.server.vertex.conftest import VertexServer

# Two clusters: the first feature decides the class.
X = np.array([[0.0, 0.1], [0.1, 0.0], [0.2, 0.1], [1.0, 0.9], [0.9, 1.0], [1.1, 1.0]])
Y = np.array([0, 0, 0, 1, 1, 1])

STAGING_BUCKET = "sluice-staging"
CPR_PREDICTOR = '''
import os

import joblib
import numpy as np
from google.cloud.aiplatform.prediction.predictor import Predictor


class ScaledPredictor(Predictor):
    """Predicts the class and says which predictor answered."""

    def load(self, artifacts_uri: str) -> None:
        self._model = joblib.load(os.path.join(artifacts_uri, "clf.joblib"))

    def preprocess(self, prediction_input):
        return np.asarray(prediction_input["instances"])

    def predict(self, instances):
        return self._model.predict(instances)

    def postprocess(self, prediction_results):
        return {"predictions": [{"class": int(c), "by": "cpr"} for c in prediction_results]}
'''


def sklearn_model(directory: Path, name: str = "model.joblib") -> Path:
    """A fitted LogisticRegression in ``directory/name`` (``model.joblib`` or ``model.pkl``)."""
    directory.mkdir(parents=True, exist_ok=True)
    model = LogisticRegression().fit(X, Y)
    if name.endswith(".pkl"):
        import pickle

        (directory / name).write_bytes(pickle.dumps(model))
    else:
        joblib.dump(model, directory / name)
    return directory


def cpr_model(directory: Path) -> Path:
    """A Custom Prediction Routine: ``predictor.py`` and the model file it loads."""
    directory.mkdir(parents=True, exist_ok=True)
    joblib.dump(LogisticRegression().fit(X, Y), directory / "clf.joblib")
    (directory / "predictor.py").write_text(CPR_PREDICTOR)
    return directory


@contextmanager
def registry_server(home: Path, db_url: str | None = None) -> Iterator[VertexServer]:
    """``sluice server --emulate-gcs`` with the SDK pointed at it, as a user sets it up.

    ``Model.upload`` stages a local ``artifact_uri`` in Cloud Storage (the SDK always does),
    so the emulated storage is on and ``STORAGE_EMULATOR_HOST`` names it.
    """
    with ServerProcess(home / "server", cli_args=["--emulate-gcs"], db_url=db_url) as server:
        saved = os.environ.get("STORAGE_EMULATOR_HOST")
        os.environ["STORAGE_EMULATOR_HOST"] = server.url
        try:
            from google.auth.credentials import AnonymousCredentials
            from google.cloud import storage

            client = storage.Client(project="demo-project", credentials=AnonymousCredentials())
            client.create_bucket(STAGING_BUCKET)
            running = VertexServer(server, home, {})
            # Where the SDK stages a local artifact_uri: given, so that it does not make up
            # a bucket name and ask Cloud Resource Manager who owns it.
            running.init(staging_bucket=f"gs://{STAGING_BUCKET}")
            yield running
        finally:
            if saved is None:
                os.environ.pop("STORAGE_EMULATOR_HOST", None)
            else:
                os.environ["STORAGE_EMULATOR_HOST"] = saved
