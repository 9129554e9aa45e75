"""Google's error shape and bearer tokens on the Vertex AI surface (a real server process)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import google.auth.exceptions
import google.oauth2.credentials
import httpx
import pytest
from google.api_core import exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import aiplatform
from tests.server.server_process import ServerProcess
from tests.server.vertex.conftest import LOCATION, PROJECT

TOKEN = "vertex-secret"
JOBS = f"/v1/projects/{PROJECT}/locations/{LOCATION}/pipelineJobs"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """An API-only server that requires ``TOKEN``."""
    with ServerProcess(Path(tmp_path_factory.mktemp("vertex-auth")), token=TOKEN) as running:
        yield running


def _init(server: ServerProcess, credentials: object) -> None:
    aiplatform.init(
        project=PROJECT,
        location=LOCATION,
        api_endpoint=server.url,
        api_transport="rest",
        credentials=credentials,  # type: ignore[arg-type]
    )


def test_a_token_credential_is_accepted_and_anonymous_calls_get_401(server: ServerProcess) -> None:
    _init(server, google.oauth2.credentials.Credentials(token=TOKEN))
    assert aiplatform.PipelineJob.list() == []
    with pytest.raises(exceptions.NotFound):
        aiplatform.PipelineJob.get("missing")

    # On a 401 google-auth tries to refresh the credentials, which these cannot do: that
    # is what the SDK raises (the raw answer is checked below).
    _init(server, AnonymousCredentials())
    with pytest.raises(google.auth.exceptions.InvalidOperation, match="cannot be refreshed"):
        aiplatform.PipelineJob.list()
    _init(server, google.oauth2.credentials.Credentials(token="wrong"))
    with pytest.raises(google.auth.exceptions.RefreshError):
        aiplatform.PipelineJob.list()


def test_errors_have_googles_shape(server: ServerProcess) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=server.url, headers=headers) as http:
        missing = http.get(f"{JOBS}/missing")
        unsupported = http.post(
            f"/v1/projects/{PROJECT}/locations/{LOCATION}/batchPredictionJobs", json={}
        )
        invalid = http.post(JOBS, content=b"not json", headers={"content-type": "application/json"})
        operation = http.get(f"/ui/projects/{PROJECT}/locations/{LOCATION}/operations/delete-1")
        anonymous = httpx.get(server.url + JOBS)
        wrong = httpx.get(server.url + JOBS, headers={"Authorization": "Bearer wrong"})
    assert missing.status_code == 404
    assert missing.json()["error"]["status"] == "NOT_FOUND"
    assert "missing" in missing.json()["error"]["message"]
    assert unsupported.status_code == 501
    assert unsupported.json()["error"] == {
        "code": 501,
        "message": "Sluice does not serve the Vertex AI call POST "
        f"/v1/projects/{PROJECT}/locations/{LOCATION}/batchPredictionJobs "
        "(docs/vertex.md lists the calls it serves)",
        "status": "UNIMPLEMENTED",
    }
    assert invalid.status_code == 400
    assert invalid.json()["error"]["status"] == "INVALID_ARGUMENT"
    # An operation is finished when it is handed out; a poll answers only the LRO fields.
    assert set(operation.json()) == {"name", "done", "response"}
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["status"] == "UNAUTHENTICATED"
    assert "bearer token" in anonymous.json()["error"]["message"]
    assert wrong.status_code == 401
