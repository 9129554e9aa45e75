"""A client of a Sluice server's KFP v2beta1 REST API (what ``sluice ... --host URL`` uses).

Runs are submitted with their compiled spec embedded, so the server needs nothing but
the pipeline's IR; the pipeline file is loaded and checked here first, as locally.
"""

from __future__ import annotations

import codecs
import json
import os
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import quote

import httpx

from sluice.errors import RemoteServerError, RunNotFoundError, UserInputError

API_PREFIX = "/apis/v2beta1"
FINAL_STATES = frozenset({"SUCCEEDED", "FAILED", "CANCELED", "SKIPPED"})
DEFAULT_TIMEOUT_SECONDS = 30.0


def token_from_env() -> str | None:
    """``$SLUICE_TOKEN``, the server's bearer token, if set."""
    return os.environ.get("SLUICE_TOKEN") or None


class RemoteClient:
    """Talks to the server at ``host`` (``http://HOST:PORT``).

    Args:
        host: the server's base URL.
        token: sent as ``Authorization: Bearer <token>`` (default ``$SLUICE_TOKEN``).
        timeout: seconds to wait for one request.
    """

    def __init__(
        self, host: str, *, token: str | None = None, timeout: float = DEFAULT_TIMEOUT_SECONDS
    ) -> None:
        base = host.strip().rstrip("/")
        if "://" not in base:
            base = f"http://{base}"
        self.host = base
        token = token if token is not None else token_from_env()
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(base_url=base + API_PREFIX, headers=headers, timeout=timeout)

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> RemoteClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _unreachable(self, exc: httpx.HTTPError) -> RemoteServerError:
        return RemoteServerError(
            f"cannot reach the Sluice server at {self.host}: {exc}; is `sluice server` "
            "running there?"
        )

    def _raise_for_status(self, response: httpx.Response) -> None:
        if response.status_code >= 400:
            message = _error_message(response)
            if response.status_code == 404:
                raise RunNotFoundError(message)
            if response.status_code in (401, 403):
                raise UserInputError(f"{message} (set SLUICE_TOKEN to the server's token)")
            if response.status_code < 500:
                raise UserInputError(message)
            raise RemoteServerError(f"the server at {self.host} failed: {message}")

    def _request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from exc
        self._raise_for_status(response)
        try:
            body = response.json()
        except ValueError as exc:
            raise RemoteServerError(f"the server at {self.host} did not answer JSON") from exc
        if not isinstance(body, dict):
            raise RemoteServerError(f"the server at {self.host} answered {type(body).__name__}")
        return body

    def create_run(
        self,
        pipeline_spec: Mapping[str, Any],
        parameters: Mapping[str, Any],
        *,
        display_name: str | None = None,
        pipeline_root: str | None = None,
        experiment_id: str | None = None,
    ) -> dict[str, Any]:
        """Submit a run of a compiled pipeline; returns the created run (PENDING)."""
        runtime: dict[str, Any] = {"parameters": dict(parameters)}
        if pipeline_root:
            runtime["pipeline_root"] = pipeline_root
        body: dict[str, Any] = {"pipeline_spec": dict(pipeline_spec), "runtime_config": runtime}
        if display_name:
            body["display_name"] = display_name
        if experiment_id:
            body["experiment_id"] = experiment_id
        return self._request("POST", "/runs", json=body)

    def get_run(self, run_id: str) -> dict[str, Any]:
        """One run with its task details (``run_id`` is a full id)."""
        return self._request("GET", f"/runs/{quote(run_id, safe='')}")

    def resolve_run(self, reference: str) -> str:
        """The id of the run ``reference`` names, resolved by the server as locally.

        A reference is a full id, a unique id prefix, a run name or a display name only
        one run has (:meth:`sluice.store.repository.Store.resolve_run`).

        Raises:
            RunNotFoundError: no run matches.
            UserInputError: several runs match (the message lists them).
        """
        found = self._request("GET", "/runs:resolve", params={"reference": reference})
        return str(found["run_id"])

    def list_runs(self, *, limit: int = 20, state: str | None = None) -> list[dict[str, Any]]:
        """Runs, newest first (at most ``limit``)."""
        params: dict[str, Any] = {"page_size": limit, "sort_by": "created_at desc"}
        if state:
            params["filter"] = json.dumps(
                {"predicates": [{"key": "state", "operation": "EQUALS", "string_value": state}]}
            )
        runs = self._request("GET", "/runs", params=params).get("runs") or []
        return [r for r in runs if isinstance(r, dict)][:limit]

    def get_logs(self, run_id: str, task: str, *, attempt: int | None = None) -> str:
        """A task's log (last attempt unless ``attempt``); ``task`` is its id, path or name."""
        params = {} if attempt is None else {"attempt": attempt}
        node = quote(task, safe="")
        body = self._request("GET", f"/runs/{run_id}/nodes/{node}/logs", params=params)
        return str(body.get("data", ""))

    def stream_logs(self, run_id: str, task: str, *, attempt: int | None = None) -> Iterator[str]:
        """A task's whole log, as text chunks read from the network as they are consumed."""
        params = {} if attempt is None else {"attempt": attempt}
        node = quote(task, safe="")
        path = f"/runs/{run_id}/nodes/{node}/logs"
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        try:
            with self._http.stream(
                "GET", path, params=params, headers={"Accept": "text/plain"}
            ) as response:
                if response.status_code >= 400:
                    response.read()
                    self._raise_for_status(response)
                if response.headers.get("content-type", "").startswith("application/json"):
                    # A server that only answers JSON: the end of the log is all there is.
                    response.read()
                    yield str(response.json().get("data", ""))
                    return
                for chunk in response.iter_bytes():
                    text = decoder.decode(chunk)
                    if text:
                        yield text
        except httpx.HTTPError as exc:
            raise self._unreachable(exc) from exc
        rest = decoder.decode(b"", final=True)
        if rest:
            yield rest

    def terminate(self, run_id: str) -> dict[str, Any]:
        """Ask the server to cancel a run."""
        return self._request("POST", f"/runs/{run_id}:terminate")

    def retry(self, run_id: str) -> dict[str, Any]:
        """Ask the server to run a FAILED or CANCELED run again (finished tasks are reused)."""
        return self._request("POST", f"/runs/{run_id}:retry")

    def wait(
        self,
        run_id: str,
        *,
        on_change: Callable[[dict[str, Any]], None] | None = None,
        poll_seconds: float = 0.5,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """Poll a run until it ends; ``on_change`` sees it each time it changed."""
        deadline = None if timeout is None else time.monotonic() + timeout
        last: dict[str, Any] | None = None
        while True:
            run = self.get_run(run_id)
            if on_change is not None and run != last:
                on_change(run)
            last = run
            if run.get("state") in FINAL_STATES:
                return run
            if deadline is not None and time.monotonic() > deadline:
                raise RemoteServerError(f"run {run_id} did not end within {timeout} seconds")
            time.sleep(poll_seconds)


def _error_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}: {response.text.strip()[:200]}"
    if isinstance(body, dict):
        text = body.get("message") or body.get("error") or body.get("detail")
        if text:
            return str(text)
    return f"HTTP {response.status_code}"


def detail_state(task: Mapping[str, Any]) -> str:
    """A task detail's state as Sluice names it: ``CACHED`` for a cache hit.

    KFP's wire format reports a cache hit as ``SKIPPED``; a Sluice server adds its own
    name of the state in ``sluice_state``, which other servers lack.
    """
    return str(task.get("sluice_state") or task.get("state"))


def task_states(run: Mapping[str, Any]) -> dict[str, str]:
    """``{task display name: state}`` of a run's tasks (loop iterations included)."""
    details = (run.get("run_details") or {}).get("task_details") or []
    return {str(t.get("display_name")): detail_state(t) for t in details}
