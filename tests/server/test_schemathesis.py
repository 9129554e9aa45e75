"""Property-based requests from the server's own OpenAPI schema: no request may give a 5xx."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import yaml
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from tests.server.pipelines import compile_to
from tests.server.vertex.pipelines import rows_pipeline

from sluice.config import Settings
from sluice.server.app import create_app
from sluice.server.config import ServerConfig


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """The schema of an API-only app over an empty store."""
    home = Path(tmp_path_factory.mktemp("schemathesis-home"))
    app = create_app(
        ServerConfig(settings=Settings.from_env(home=home, db_url=None), background=False)
    )
    yield schemathesis.openapi.from_asgi("/openapi.json", app)


# The event stream never ends by itself (it follows runs until the client leaves), so a
# generated call would wait for its end; tests/server/test_events.py covers it.
schema = schemathesis.pytest.from_fixture("api_schema").exclude(path="/apis/sluice/v1/events")


_SETTINGS = settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)


def _check(case: schemathesis.Case) -> None:
    response = case.call()
    vertex = case.path.startswith(("/v1/", "/ui/"))
    # 501 is how the Vertex AI surface says it does not serve a call (docs/vertex.md).
    allowed = response.status_code < 500 or (vertex and response.status_code == 501)
    assert allowed, (case.path, case.method, response.text)
    if response.status_code >= 400 and vertex:
        # Google's error shape, which the Vertex AI SDK reads.
        assert set(response.json()["error"]) == {"code", "message", "status"}
    elif response.status_code >= 400:
        body = response.json()
        assert set(body) >= {"error", "code", "message", "details"}


@schema.parametrize()
@_SETTINGS
def test_no_server_errors(case: schemathesis.Case) -> None:
    _check(case)


# The Vertex AI routes again, but on a pipeline job and a schedule that exist, so that
# generated bodies and queries (updateMask, catchUp, a PATCHed cron) reach the code past
# the lookup. The resources' path values are fixed below; the rest is generated.
PROJECT, LOCATION, JOB_ID = "fuzz-project", "us-central1", "fuzz-job"
EXISTING: dict[str, str] = {"project": PROJECT, "location": LOCATION, "job_id": JOB_ID}


@pytest.fixture(scope="module")
def vertex_api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """The schema of an API-only app whose store holds one pipeline job and one schedule."""
    home = Path(tmp_path_factory.mktemp("schemathesis-vertex"))
    app = create_app(
        ServerConfig(settings=Settings.from_env(home=home, db_url=None), background=False)
    )
    with open(compile_to(rows_pipeline, str(home / "rows.yaml"))) as handle:
        spec: dict[str, Any] = yaml.safe_load(handle)
    parent = f"/v1/projects/{PROJECT}/locations/{LOCATION}"
    job = {"pipelineSpec": spec, "runtimeConfig": {"parameterValues": {"n": 1}}}
    with TestClient(app) as client:
        created = client.post(f"{parent}/pipelineJobs", params={"pipelineJobId": JOB_ID}, json=job)
        assert created.status_code == 200, created.text
        schedule = client.post(
            f"{parent}/schedules",
            json={
                "displayName": "fuzzed",
                "cron": "TZ=America/Los_Angeles 0 2 * * *",
                "createPipelineJobRequest": {"parent": parent[4:], "pipelineJob": job},
            },
        )
        assert schedule.status_code == 200, schedule.text
    EXISTING["schedule_id"] = schedule.json()["name"].rsplit("/", 1)[-1]
    yield schemathesis.openapi.from_asgi("/openapi.json", app)


# DELETE is left out so that every example finds the resources (the run above deletes).
vertex_schema = (
    schemathesis.pytest.from_fixture("vertex_api_schema")
    .include(
        path_regex=r"^/v1/projects/\{project\}/locations/\{location\}/"
        r"(pipelineJobs/\{job_id\}|schedules/\{schedule_id\})"
    )
    .exclude(method="DELETE")
)


@vertex_schema.parametrize()
@_SETTINGS
def test_no_server_errors_on_existing_vertex_resources(case: schemathesis.Case) -> None:
    params = case.path_parameters or {}
    case.path_parameters = {name: EXISTING.get(name, value) for name, value in params.items()}
    _check(case)
