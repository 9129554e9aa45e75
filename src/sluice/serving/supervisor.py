"""Starts the prediction processes of deployed models, keeps them alive, stops them.

One process per deployed model (:mod:`sluice.serving.process`, or the model's own image
under Docker/Podman). The supervisor's watch thread starts a process again when it dies
(with a growing delay while it keeps dying at start); :meth:`ServingSupervisor.stop` ends
one for good (an undeploy). A process also ends when the server that started it is gone
(it watches its parent), so a killed server leaves no process holding its port: the
server started again starts its deployments again from the store, on the same ports.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from sluice.errors import ExecutorError, UnsupportedFeatureError
from sluice.serving.process import KIND_VARIABLE, PARENT_VARIABLE

__all__ = ["ServingSpec", "ServingSupervisor", "container_engine", "free_port"]

log = logging.getLogger(__name__)

READY_TIMEOUT_SECONDS = 120.0
WATCH_SECONDS = 0.25
RESTART_DELAYS = (0.2, 1.0, 2.0, 5.0, 10.0)
STOP_SECONDS = 5.0
_CONTAINER_PORT = 8080


@dataclass(frozen=True)
class ServingSpec:
    """How one deployed model is served.

    Attributes:
        deployed_id: the deployed model's id.
        kind: ``sklearn``, ``xgboost``, ``lightgbm``, ``cpr`` or ``container``.
        directory: the model's files on this machine.
        port: where the process listens (on 127.0.0.1).
        predict_route, health_route: the routes the process serves.
        environment: the container's variables (``serving_container_environment_variables``).
        image: the image a ``container`` model runs.
        log_path: the process's output.
    """

    deployed_id: int
    kind: str
    directory: Path
    port: int
    predict_route: str
    health_route: str
    log_path: Path
    environment: Mapping[str, str] = field(default_factory=dict)
    image: str = ""

    @property
    def url(self) -> str:
        """The process's own predict URL."""
        return f"http://127.0.0.1:{self.port}{self.predict_route}"


@dataclass
class _Served:
    spec: ServingSpec
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    failures: int = 0
    restarts: int = 0


def free_port() -> int:
    """A TCP port nothing listens on now (the OS's pick)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def container_engine() -> str | None:
    """``docker`` or ``podman`` when one is installed and its daemon answers, else None."""
    for name in ("docker", "podman"):
        path = shutil.which(name)
        if path is None:
            continue
        try:
            done = subprocess.run([path, "info"], capture_output=True, timeout=15, check=False)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if done.returncode == 0:
            return path
    return None


def refuse_container(image: str) -> UnsupportedFeatureError:
    """The error for a custom image on a machine without a container engine."""
    return UnsupportedFeatureError(
        f"serving container image {image} needs Docker or Podman, and neither answers on "
        "this machine; use a Vertex prebuilt image (scikit-learn, XGBoost, LightGBM: "
        "model.joblib, model.pkl or model.bst in artifact_uri), or a Custom Prediction "
        "Routine (a predictor.py in artifact_uri, docs/models.md)"
    )


class ServingSupervisor:
    """The prediction processes of one server.

    Args:
        python: the interpreter the processes run (the server's own).
    """

    def __init__(self, python: str = sys.executable) -> None:
        self.python = python
        self._served: dict[int, _Served] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._client = httpx.Client(timeout=httpx.Timeout(300.0, connect=5.0))

    # -- lifecycle ---------------------------------------------------------------------------

    def start_watching(self) -> None:
        """Start the thread that restarts processes that die."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._watch, name="serving-watch", daemon=True)
            self._thread.start()

    def close(self) -> None:
        """Stop the watch thread and every process (they start again with the server)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._lock:
            served = list(self._served.values())
            self._served.clear()
        for entry in served:
            self._end(entry)
        self._client.close()

    def serve(self, spec: ServingSpec, *, wait: bool = True) -> None:
        """Start serving ``spec`` (and keep it served); ``wait``: until it answers its health.

        Raises:
            ExecutorError: the process ended before it was ready (its output's last lines
                say why), or was not ready within the timeout; it is not kept.
        """
        entry = _Served(spec)
        with self._lock:
            old = self._served.pop(spec.deployed_id, None)
            self._served[spec.deployed_id] = entry
        if old is not None:
            self._end(old)
        self._spawn(entry)
        if wait:
            try:
                self.wait_ready(spec.deployed_id, READY_TIMEOUT_SECONDS)
            except ExecutorError:
                self.stop(spec.deployed_id)
                raise

    def stop(self, deployed_id: int) -> None:
        """Stop serving a deployed model (an undeploy); it is not started again."""
        with self._lock:
            entry = self._served.pop(deployed_id, None)
        if entry is not None:
            self._end(entry)

    def pid(self, deployed_id: int) -> int | None:
        """The process id serving a deployed model now, or None."""
        entry = self._served.get(deployed_id)
        process = entry.process if entry else None
        return process.pid if process is not None and process.poll() is None else None

    def serving(self, deployed_id: int) -> bool:
        """Whether the supervisor keeps this deployed model served."""
        return deployed_id in self._served

    # -- requests ----------------------------------------------------------------------------

    def wait_ready(self, deployed_id: int, timeout: float) -> None:
        """Poll the process's health route until it answers 200 (bounded by ``timeout``).

        Raises:
            ExecutorError: it ended while loading, or did not answer in time.
        """
        deadline = time.monotonic() + timeout
        while True:
            entry = self._served.get(deployed_id)
            if entry is None:
                raise ExecutorError(f"deployed model {deployed_id} is not being served")
            spec = entry.spec
            process = entry.process
            if process is not None and process.poll() is not None and entry.failures == 0:
                raise ExecutorError(
                    f"the model's serving process exited ({process.returncode}) while loading: "
                    f"{_tail(spec.log_path)}"
                )
            try:
                answer = self._client.get(
                    f"http://127.0.0.1:{spec.port}{spec.health_route}", timeout=2.0
                )
                if answer.status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise ExecutorError(
                    f"the model's serving process did not answer on port {spec.port} within "
                    f"{timeout:.0f} s: {_tail(spec.log_path)}"
                )
            time.sleep(0.05)

    def predict(self, deployed_id: int, body: Mapping[str, Any]) -> tuple[int, Any]:
        """Send a request body to the deployed model's process: (status, JSON answer).

        A process being restarted is waited for (bounded); ``ExecutorError`` if it does
        not come back.
        """
        entry = self._served.get(deployed_id)
        if entry is None:
            raise ExecutorError(f"deployed model {deployed_id} is not being served")
        for attempt in range(2):
            try:
                answer = self._client.post(entry.spec.url, json=dict(body))
                break
            except httpx.TransportError:
                if attempt:
                    raise ExecutorError(
                        f"the serving process of deployed model {deployed_id} does not answer"
                    ) from None
                self.wait_ready(deployed_id, 60.0)
        try:
            return answer.status_code, answer.json()
        except json.JSONDecodeError:
            return answer.status_code, {"error": answer.text[:2000]}

    # -- processes ---------------------------------------------------------------------------

    def _command(self, spec: ServingSpec) -> list[str]:
        if spec.kind != "container":
            return [self.python, "-m", "sluice.serving"]
        engine = container_engine()
        if engine is None:
            raise refuse_container(spec.image)
        command = [engine, "run", "--rm", "--name", f"sluice-serving-{spec.deployed_id}"]
        command += ["-p", f"127.0.0.1:{spec.port}:{_CONTAINER_PORT}"]
        command += ["-v", f"{spec.directory}:/model:ro"]
        variables = {
            **spec.environment,
            "AIP_HTTP_PORT": str(_CONTAINER_PORT),
            "AIP_PREDICT_ROUTE": spec.predict_route,
            "AIP_HEALTH_ROUTE": spec.health_route,
            "AIP_STORAGE_URI": "/model",
        }
        for key, value in variables.items():
            command += ["-e", f"{key}={value}"]
        return [*command, spec.image]

    def _spawn(self, entry: _Served) -> None:
        spec = entry.spec
        spec.log_path.parent.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            **spec.environment,
            "AIP_HTTP_PORT": str(spec.port),
            "AIP_PREDICT_ROUTE": spec.predict_route,
            "AIP_HEALTH_ROUTE": spec.health_route,
            "AIP_STORAGE_URI": str(spec.directory),
            KIND_VARIABLE: spec.kind,
            PARENT_VARIABLE: str(os.getpid()),
        }
        with spec.log_path.open("ab") as out:
            entry.process = subprocess.Popen(
                self._command(spec),
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        entry.started_at = time.monotonic()

    def _end(self, entry: _Served) -> None:
        process = entry.process
        if process is None or process.poll() is not None:
            return
        if entry.spec.kind == "container":
            engine = container_engine()
            if engine is not None:
                name = f"sluice-serving-{entry.spec.deployed_id}"
                subprocess.run([engine, "stop", name], capture_output=True, check=False)
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        except ProcessLookupError:
            pass

    def _watch(self) -> None:
        while not self._stop.wait(WATCH_SECONDS):
            with self._lock:
                entries = list(self._served.values())
            for entry in entries:
                process = entry.process
                if process is None or process.poll() is None:
                    continue
                delay = RESTART_DELAYS[min(entry.failures, len(RESTART_DELAYS) - 1)]
                if time.monotonic() - entry.started_at < delay:
                    continue
                # Quick deaths grow the delay; a process that ran a while starts afresh.
                ran = time.monotonic() - entry.started_at
                entry.failures = entry.failures + 1 if ran < 30 else 1
                entry.restarts += 1
                log.warning(
                    "serving process of deployed model %d exited (%s); starting it again",
                    entry.spec.deployed_id,
                    process.returncode,
                )
                with self._lock:
                    if self._served.get(entry.spec.deployed_id) is not entry:
                        continue
                try:
                    self._spawn(entry)
                except (OSError, UnsupportedFeatureError) as exc:
                    log.error("cannot restart deployed model %d: %s", entry.spec.deployed_id, exc)


def _tail(path: Path, lines: int = 5) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "(no output)"
    return " | ".join(text[-lines:]) or "(no output)"
