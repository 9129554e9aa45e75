"""One real ``sluice server`` process per test module (runs execute), on SQLite and
PostgreSQL, and the Vertex AI SDK pointed at it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import aiplatform
from google.cloud.aiplatform_v1.types import PipelineState
from tests.server.pipelines import compile_to, sleeper
from tests.server.server_process import ServerProcess
from tests.server.vertex.pipelines import branches, exploder, rows_pipeline

PROJECT = "demo-project"
LOCATION = "us-central1"

# The states that end the SDK's PipelineJob.wait().
ENDED = {
    PipelineState.PIPELINE_STATE_SUCCEEDED,
    PipelineState.PIPELINE_STATE_FAILED,
    PipelineState.PIPELINE_STATE_CANCELLED,
    PipelineState.PIPELINE_STATE_PAUSED,
}


def wait(job: aiplatform.PipelineJob, timeout: float = 300) -> None:
    """``job.wait()`` without its fixed five-second naps.

    The SDK reads the job, sleeps five seconds if it has not ended, and reads again, so a job
    that ends in one second costs five. This reads ``job.state`` (the same SDK call) every
    0.1 s until the job has ended and then calls the SDK's own ``wait()``, which returns, or
    raises for a failed job, as it would have, without sleeping.
    """
    deadline = time.monotonic() + timeout
    while job.state not in ENDED:
        assert time.monotonic() < deadline, f"{job.resource_name} did not end in {timeout} s"
        time.sleep(0.1)
    job.wait()


@dataclass
class VertexServer:
    """A running server, its home, and the compiled templates the tests submit."""

    server: ServerProcess
    home: Path
    templates: dict[str, str]

    @property
    def url(self) -> str:
        """The server's base URL (the SDK's ``api_endpoint``)."""
        return self.server.url

    def init(self, project: str = PROJECT, **options: object) -> None:
        """``aiplatform.init`` as a user changes it for Sluice: the one-line change."""
        options.setdefault("credentials", AnonymousCredentials())
        aiplatform.init(
            project=project,
            location=LOCATION,
            api_endpoint=self.url,
            api_transport="rest",
            **options,  # type: ignore[arg-type]
        )

    def job(self, template: str, **options: object) -> aiplatform.PipelineJob:
        """A PipelineJob of a compiled template, its artifacts under the server's home."""
        options.setdefault("display_name", template)
        options.setdefault("pipeline_root", str(self.home / "root"))
        return aiplatform.PipelineJob(template_path=self.templates[template], **options)  # type: ignore[arg-type]


def _templates(directory: Path) -> dict[str, str]:
    directory.mkdir(parents=True, exist_ok=True)
    pipelines = {
        "rows": rows_pipeline,
        "exploder": exploder,
        "sleeper": sleeper,
        "branches": branches,
    }
    return {name: compile_to(p, str(directory / f"{name}.yaml")) for name, p in pipelines.items()}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def vertex(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[VertexServer]:
    """A server executing runs, shared by the module's tests, with the SDK pointed at it."""
    home = tmp_path_factory.mktemp("vertex")
    postgres = request.param == "postgresql"
    db_url = request.getfixturevalue("module_postgres_url") if postgres else None
    with ServerProcess(home / "server", background=True, db_url=db_url) as server:
        running = VertexServer(server, home, _templates(home / "templates"))
        running.init()
        yield running
