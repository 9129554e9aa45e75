"""Property-based requests from the server's own OpenAPI schema: no request may give a 5xx."""

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

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


@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_no_server_errors(case: schemathesis.Case) -> None:
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
