"""Endpoints, deployments and predictions: a deployed model is a supervised local process.

``model.deploy(endpoint=...)`` records the deployment and the endpoint's new traffic split
in the store, then starts the model's prediction process
(:class:`sluice.serving.supervisor.ServingSupervisor`) and answers once it is ready; if it
cannot start, the deployment is removed again and the error says why. When the server
starts, every recorded deployment is served again, on the port it had.
``endpoint.predict`` picks a deployed model by the traffic split (a weighted random choice)
and forwards the request body to its process.
"""

from __future__ import annotations

import logging
import random
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sluice.config import Settings
from sluice.errors import (
    ExecutorError,
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
    UnsupportedFeatureError,
)
from sluice.service.models import ModelService
from sluice.serving.loaders import kind_of
from sluice.serving.supervisor import (
    ServingSpec,
    ServingSupervisor,
    container_engine,
    free_port,
    refuse_container,
)
from sluice.store import endpoints as rows
from sluice.store.endpoints import Deployment
from sluice.store.registry_models import DeployedModelRow, EndpointRow, RegisteredModelRow
from sluice.store.repository import Store

__all__ = ["Deployment", "EndpointService", "Prediction"]

_CHOICE = random.Random()
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Prediction:
    """The answer of ``endpoint.predict``: the model's body and who answered."""

    body: dict[str, Any]
    deployment: Deployment


def _local_directory(uri: str) -> Path | None:
    if uri.startswith("file://"):
        return Path(uri[len("file://") :])
    if "://" not in uri and uri:
        return Path(uri)
    return None


class EndpointService:
    """The endpoints of one store; ``supervisor`` serves their models (None: not served here).

    Args:
        store: the server's store.
        settings: where copies of ``gs://`` models and the processes' logs go.
        supervisor: the server's prediction processes.
    """

    def __init__(
        self, store: Store, settings: Settings, supervisor: ServingSupervisor | None
    ) -> None:
        self.store = store
        self.settings = settings
        self.supervisor = supervisor

    # -- endpoints ---------------------------------------------------------------------------

    def create(
        self,
        location: str,
        *,
        endpoint_id: str | None,
        display_name: str,
        description: str | None = None,
        labels: Mapping[str, Any] | None = None,
    ) -> EndpointRow:
        """Record an endpoint.

        Raises:
            InvalidArgumentError: no display name.
            AlreadyExistsError: the id is taken.
        """
        if not display_name:
            raise InvalidArgumentError("an endpoint needs a display_name")
        return rows.create(
            self.store,
            location,
            endpoint_id,
            display_name=display_name,
            description=description,
            labels=labels or {},
        )

    def get(self, location: str, endpoint_id: str) -> EndpointRow:
        """The endpoint.

        Raises:
            NotFoundError: there is none.
        """
        row = rows.get(self.store, location, endpoint_id)
        if row is None:
            raise NotFoundError(f"endpoint {location}/endpoints/{endpoint_id} does not exist")
        return row

    def list_endpoints(self, location: str) -> list[EndpointRow]:
        """The location's endpoints, newest first."""
        return rows.list_endpoints(self.store, location)

    def deployments(self, endpoint: EndpointRow) -> list[Deployment]:
        """What is deployed to the endpoint, oldest first."""
        return rows.deployments(self.store, endpoint.id)

    def update(self, location: str, endpoint_id: str, changes: Mapping[str, Any]) -> EndpointRow:
        """Set an endpoint's display name, description, labels or traffic split.

        Raises:
            InvalidArgumentError: a traffic split that names another endpoint's models or
                does not add up to 100.
        """
        row = self.get(location, endpoint_id)
        if "traffic_split" in changes:
            ids = {str(d.deployed.id) for d in self.deployments(row)}
            changes = {**changes, "traffic_split": _checked_split(changes["traffic_split"], ids)}
        return rows.update_endpoint(self.store, row.id, changes)

    def delete(self, location: str, endpoint_id: str) -> None:
        """Delete an endpoint with nothing deployed.

        Raises:
            FailedPreconditionError: models are deployed to it.
        """
        row = self.get(location, endpoint_id)
        if self.deployments(row):
            raise FailedPreconditionError(
                f"endpoint {endpoint_id} has deployed models; undeploy them first "
                "(endpoint.undeploy_all(), or endpoint.delete(force=True))"
            )
        rows.delete_endpoint(self.store, row.id)

    # -- deployments -------------------------------------------------------------------------

    def deploy(
        self,
        location: str,
        endpoint_id: str,
        *,
        model: str,
        display_name: str | None,
        dedicated_resources: Mapping[str, Any],
        traffic_split: Mapping[str, int] | None,
    ) -> Deployment:
        """Deploy a model version and start serving it; answers once it is ready.

        ``traffic_split`` may name the new deployment as ``"0"``; without a split the new
        model gets all the traffic if it is the first, none otherwise.

        Raises:
            NotFoundError: no such endpoint or model version.
            InvalidArgumentError: a split that does not add up to 100.
            UnsupportedFeatureError: a custom image without Docker or Podman, or a model
                kind Sluice cannot serve.
            ExecutorError: the prediction process could not start (its output says why).
        """
        endpoint = self.get(location, endpoint_id)
        version = ModelService(self.store).get(location, model)
        if self.supervisor is None:
            raise FailedPreconditionError(
                "this server does not serve models (it was started without background work)"
            )
        existing = {str(d.deployed.id) for d in self.deployments(endpoint)}
        split = dict(traffic_split or {})
        if not split:
            split = {"0": 100} if not existing else {**endpoint.traffic_split, "0": 0}
        split = _checked_split(split, existing | {"0"})
        directory = self._materialize(version)
        kind = self._kind(version, directory)
        deployed = rows.deploy(
            self.store,
            endpoint.id,
            version.id,
            display_name=display_name or version.display_name,
            dedicated_resources=dedicated_resources,
            traffic_split=split,
        )
        port = free_port()
        rows.set_port(self.store, deployed.id, port)
        deployed.port = port
        spec = self._spec(deployed, version, kind, directory)
        try:
            self.supervisor.serve(spec)
        except (ExecutorError, UnsupportedFeatureError) as exc:
            rows.undeploy(self.store, endpoint.id, deployed.id, endpoint.traffic_split)
            if isinstance(exc, ExecutorError):
                # The model's files or code could not be loaded: the caller's to fix.
                raise InvalidArgumentError(f"the model cannot be served: {exc}") from exc
            raise
        return Deployment(deployed, version, self.get(location, endpoint_id))

    def undeploy(
        self,
        location: str,
        endpoint_id: str,
        deployed_model_id: str,
        traffic_split: Mapping[str, int] | None = None,
    ) -> None:
        """Stop serving a deployed model and remove it; the others share its traffic.

        Raises:
            NotFoundError: no such deployed model on the endpoint.
        """
        endpoint = self.get(location, endpoint_id)
        found = [d for d in self.deployments(endpoint) if str(d.deployed.id) == deployed_model_id]
        if not found:
            raise NotFoundError(f"endpoint {endpoint_id} has no deployed model {deployed_model_id}")
        rest = {k: v for k, v in endpoint.traffic_split.items() if k != deployed_model_id}
        if traffic_split:
            split = _checked_split(
                {k: v for k, v in traffic_split.items() if k != deployed_model_id}, set(rest)
            )
        else:
            split = _renormalized(rest)
        if self.supervisor is not None:
            self.supervisor.stop(found[0].deployed.id)
        rows.undeploy(self.store, endpoint.id, found[0].deployed.id, split)

    def serve_all(self) -> int:
        """Start serving every recorded deployment (a server starting); returns how many."""
        if self.supervisor is None:
            return 0
        count = 0
        for deployment in rows.deployments(self.store):
            version = deployment.model
            deployed = deployment.deployed
            try:
                directory = self._materialize(version)
                kind = self._kind(version, directory)
                if deployed.port is None:
                    deployed.port = free_port()
                    rows.set_port(self.store, deployed.id, deployed.port)
                self.supervisor.serve(self._spec(deployed, version, kind, directory), wait=False)
            except Exception as exc:  # one deployment that cannot start must not stop the rest
                log.error("cannot serve deployed model %d again: %s", deployed.id, exc)
                continue
            count += 1
        return count

    def predict(self, location: str, endpoint_id: str, body: Mapping[str, Any]) -> Prediction:
        """Send the request to a deployed model picked by the traffic split.

        Raises:
            FailedPreconditionError: nothing is deployed to the endpoint.
            InvalidArgumentError: the model refused the instances (its own message).
        """
        endpoint = self.get(location, endpoint_id)
        deployments = self.deployments(endpoint)
        if not deployments:
            raise FailedPreconditionError(
                f"endpoint {endpoint_id} has no deployed model to predict with; deploy one "
                "first (model.deploy(endpoint=...))"
            )
        chosen = _pick(deployments, endpoint.traffic_split)
        if self.supervisor is None or not self.supervisor.serving(chosen.deployed.id):
            raise ExecutorError(f"deployed model {chosen.deployed.id} is not being served")
        status, answer = self.supervisor.predict(chosen.deployed.id, body)
        if status >= 400:
            message = answer.get("error") if isinstance(answer, dict) else None
            raise InvalidArgumentError(str(message or answer))
        if not isinstance(answer, dict):
            answer = {"predictions": answer}
        return Prediction(answer, chosen)

    # -- what is served ----------------------------------------------------------------------

    def _materialize(self, version: RegisteredModelRow) -> Path:
        local = _local_directory(version.artifact_uri)
        if local is not None:
            if not local.is_dir():
                raise InvalidArgumentError(
                    f"artifact_uri {version.artifact_uri} is not a directory on this machine"
                )
            return local
        target = self.settings.home / "serving" / "models" / str(version.id)
        if not target.is_dir():
            try:
                import fsspec

                fs, root = fsspec.core.url_to_fs(version.artifact_uri)
                root = root.rstrip("/")
                partial = target.with_name(target.name + ".partial")
                shutil.rmtree(partial, ignore_errors=True)
                for name in fs.find(root):
                    local = partial / str(name)[len(root) :].lstrip("/")
                    local.parent.mkdir(parents=True, exist_ok=True)
                    fs.get_file(name, str(local))
                partial.mkdir(parents=True, exist_ok=True)
                partial.rename(target)
            except Exception as exc:  # any fsspec backend's error, reported in one line
                raise InvalidArgumentError(
                    f"artifact_uri {version.artifact_uri} cannot be read ({type(exc).__name__}: "
                    f"{exc}); use a local path, or gs:// with sluice server --emulate-gcs"
                ) from exc
        return target

    def _kind(self, version: RegisteredModelRow, directory: Path) -> str:
        spec = version.container_spec
        environment = _environment(spec)
        kind = kind_of(str(spec.get("imageUri") or ""), environment, directory)
        if kind == "container" and container_engine() is None:
            raise refuse_container(str(spec.get("imageUri")))
        return kind

    def _spec(
        self, deployed: DeployedModelRow, version: RegisteredModelRow, kind: str, directory: Path
    ) -> ServingSpec:
        spec = version.container_spec
        assert deployed.port is not None
        return ServingSpec(
            deployed_id=deployed.id,
            kind=kind,
            directory=directory,
            port=deployed.port,
            predict_route=str(spec.get("predictRoute") or "/predict"),
            health_route=str(spec.get("healthRoute") or "/health"),
            log_path=self.settings.home / "serving" / f"deployed-{deployed.id}.log",
            environment=_environment(spec),
            image=str(spec.get("imageUri") or ""),
        )


def _environment(container_spec: Mapping[str, Any]) -> dict[str, str]:
    return {
        str(item.get("name")): str(item.get("value", ""))
        for item in container_spec.get("env") or []
        if isinstance(item, dict) and item.get("name")
    }


def _checked_split(split: Mapping[str, Any], known: set[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for key, value in split.items():
        if key not in known:
            raise InvalidArgumentError(
                f"traffic split names deployed model {key!r}, which is not on this endpoint"
            )
        try:
            out[key] = int(value)
        except (TypeError, ValueError) as exc:
            raise InvalidArgumentError(f"traffic split value {value!r} is not a number") from exc
        if not 0 <= out[key] <= 100:
            raise InvalidArgumentError(f"traffic split value {value!r} is not 0-100")
    if out and sum(out.values()) != 100:
        raise InvalidArgumentError(
            f"the traffic split adds up to {sum(out.values())}, not 100: {out}"
        )
    return out


def _renormalized(split: Mapping[str, int]) -> dict[str, int]:
    if not split:
        return {}
    total = sum(split.values())
    if total == 0:
        first = next(iter(split))
        return {k: (100 if k == first else 0) for k in split}
    out = {k: v * 100 // total for k, v in split.items()}
    largest = max(out, key=lambda k: out[k])
    out[largest] += 100 - sum(out.values())
    return out


def _pick(deployments: list[Deployment], split: Mapping[str, Any]) -> Deployment:
    weights = [int(split.get(str(d.deployed.id), 0)) for d in deployments]
    if sum(weights) <= 0:
        return deployments[0]
    return _CHOICE.choices(deployments, weights=weights, k=1)[0]
