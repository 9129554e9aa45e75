"""Bearer-token authentication."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import kfp
import pytest
from tests.server.conftest import RunningServer, start_server

TOKEN = "s3cret-token"


@pytest.fixture(scope="module")
def token_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """An API-only server requiring a token."""
    running, stop = start_server(
        Path(tmp_path_factory.mktemp("auth-home")), background=False, token=TOKEN
    )
    try:
        yield running
    finally:
        stop()


def test_requests_without_the_token_are_401(token_server: RunningServer) -> None:
    api = token_server.url + "/apis/v2beta1"
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        response = httpx.get(api + "/experiments", headers=headers)
        assert response.status_code == 401
        assert response.json()["code"] == 16
    assert httpx.post(api + "/runs", json={}).status_code == 401
    assert httpx.get(api + "/healthz").status_code == 200  # kfp.Client() calls it first
    ok = httpx.get(api + "/experiments", headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_kfp_client_with_existing_token(token_server: RunningServer) -> None:
    client = kfp.Client(host=token_server.url, existing_token=TOKEN)
    exp = client.create_experiment("with-token")
    assert client.get_experiment(experiment_id=exp.experiment_id).display_name == "with-token"
    anonymous = kfp.Client(host=token_server.url)
    from kfp_server_api.exceptions import ApiException

    with pytest.raises(ApiException) as info:
        anonymous.list_experiments()
    assert info.value.status == 401


def test_token_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_TOKEN", "from-env")
    running, stop = start_server(tmp_path / "home", background=False)
    try:
        url = running.url + "/apis/v2beta1/runs"
        assert httpx.get(url).status_code == 401
        assert httpx.get(url, headers={"Authorization": "Bearer from-env"}).status_code == 200
    finally:
        stop()
