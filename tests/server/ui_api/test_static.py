"""Serving the built UI at ``/``: assets cached for good, a fallback to index.html for the
app's routes, JSON errors for the APIs' paths, and a hint when the UI is not built."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sluice.config import Settings
from sluice.server.app import create_app
from sluice.server.config import ServerConfig

INDEX = '<!doctype html><html><head><base href="/" /></head><body>app</body></html>'


def _client(home: Path) -> TestClient:
    config = ServerConfig(settings=Settings.from_env(home=home, db_url=None), background=False)
    return TestClient(create_app(config))


@pytest.fixture
def built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(INDEX)
    (dist / "assets" / "index-abc123.js").write_text("console.log(1)")
    (dist / "favicon.svg").write_text("<svg/>")
    monkeypatch.setenv("SLUICE_UI_DIST", str(dist))
    return dist


def test_spa_fallback_and_assets(built: Path, tmp_path: Path) -> None:
    with _client(tmp_path / "home") as client:
        for path in ("/", "/runs", "/runs/abc?task=train&tab=logs", "/compare", "/apisx", "/uix"):
            response = client.get(path)
            assert response.status_code == 200, path
            assert response.headers["cache-control"] == "no-cache"
            assert response.text == INDEX
        asset = client.get("/assets/index-abc123.js")
        assert asset.status_code == 200
        assert "immutable" in asset.headers["cache-control"]
        assert client.get("/favicon.svg").text == "<svg/>"
        assert client.get("/assets/missing.js").status_code == 404
        assert client.get("/../../etc/passwd").text in (INDEX, "")


API_PATHS = [
    "/apis/v2beta1/healthz",
    "/apis/v2beta1/nothing-here",
    "/apis/sluice/v1/nothing",
    "/apis/v2beta1/pipelines/upload",
    "/v1/projects/p/locations/l/pipelineJobs/x",
    "/ui/nothing",
    "/openapi.json",
    "/docs",
    "/redoc",
    "/storage/v1/b",
]


def test_api_paths_do_not_fall_back(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _client(tmp_path / "home") as client:
        with_ui = [(client.get(path).status_code, client.get(path).text) for path in API_PATHS]
        missing = client.get("/apis/v2beta1/nothing-here")
        assert missing.status_code == 404
        assert "application/json" in missing.headers["content-type"]
    monkeypatch.setenv("SLUICE_UI_DIST", str(tmp_path / "no-build"))
    with _client(tmp_path / "home2") as client:
        without = [(client.get(path).status_code, client.get(path).text) for path in API_PATHS]
    # The APIs answer exactly as they do without a UI (404s and 405s stay theirs).
    assert [status for status, _ in with_ui] == [status for status, _ in without]
    assert all(INDEX not in text for _, text in with_ui)


def test_root_path_sets_the_base(built: Path, tmp_path: Path) -> None:
    config = ServerConfig(
        settings=Settings.from_env(home=tmp_path / "home", db_url=None), background=False
    )
    with TestClient(create_app(config), root_path="/sluice") as client:
        assert '<base href="/sluice/" />' in client.get("/runs/x").text


def test_without_a_build_root_says_how(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_UI_DIST", str(tmp_path / "no-build"))
    with _client(tmp_path / "home") as client:
        response = client.get("/")
        assert response.status_code == 404
        assert "make setup" in response.text
        assert "web UI is not built" in response.text
        assert client.get("/apis/v2beta1/healthz").json() is not None
