"""Property-based requests to the web UI's API (``/apis/sluice/v1``) from the app's own
OpenAPI schema, over a store holding a finished run: no request may give a 5xx.

(tests/server/test_schemathesis.py covers the whole app over an empty store; here the
run, graph and task calls also meet real rows.)
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from tests.server.pipelines import adder

from sluice.config import Settings
from sluice.server.app import create_app
from sluice.server.config import ServerConfig
from sluice.service.runs import RunService
from sluice.service.stores import open_store


@pytest.fixture(scope="module")
def ui_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """The schema of an API-only app whose store holds one (PENDING) run."""
    home = Path(tmp_path_factory.mktemp("schemathesis-ui-home"))
    app_settings = Settings.from_env(home=home, db_url=None)
    RunService(open_store(app_settings), app_settings).create(pipeline=adder, parameters={})
    app = create_app(ServerConfig(settings=app_settings, background=False))
    yield schemathesis.openapi.from_asgi("/openapi.json", app)


# The event stream never ends by itself; tests/server/test_events.py covers it.
schema = (
    schemathesis.pytest.from_fixture("ui_schema")
    .include(path_regex="^/apis/sluice/v1/")
    .exclude(path="/apis/sluice/v1/events")
)


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_no_server_errors(case: schemathesis.Case) -> None:
    response = case.call()
    assert response.status_code < 500, (case.path, case.method, response.text)
    if response.status_code >= 400:
        assert set(response.json()) >= {"error", "code", "message", "details"}
