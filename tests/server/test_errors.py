"""Error answers: KFP's grpc-gateway shape, 4xx for every bad request, nothing written."""

import base64
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from tests.server.conftest import RunningServer, start_server
from tests.server.pipelines import adder, compile_to

API = "/apis/v2beta1"


@pytest.fixture(scope="module")
def http(api_server: RunningServer) -> httpx.Client:
    """An HTTP client for the API-only server."""
    return httpx.Client(base_url=api_server.url + API, timeout=30)


@pytest.fixture(scope="module")
def adder_text(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The adder pipeline as compiled YAML text."""
    path = compile_to(adder, str(tmp_path_factory.mktemp("pkg") / "adder.yaml"))
    return Path(path).read_text()


def assert_error(response: httpx.Response, status: int, code: int) -> dict[str, Any]:
    """The response is a grpc-gateway error with this HTTP status and gRPC code."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code
    assert body["message"] and body["error"] == body["message"]
    assert body["details"] == []
    return body


def test_healthz(http: httpx.Client, api_server: RunningServer) -> None:
    body = http.get("/healthz").json()
    assert body["multi_user"] is False
    assert body["pipeline_store"] == "database"
    assert httpx.get(api_server.url + "/apis/v1beta1/healthz").json()["multi_user"] is False


@pytest.mark.parametrize(
    "path",
    ["/runs/nope", "/experiments/nope", "/pipelines/nope", "/pipelines/x/versions/y"],
)
def test_unknown_ids_are_404(http: httpx.Client, path: str) -> None:
    assert_error(http.get(path), 404, 5)


@pytest.mark.parametrize(
    "params",
    [
        {"filter": "{not json"},
        {"filter": json.dumps({"predicates": [{"operation": 1, "key": "nope", "int_value": 1}]})},
        {"filter": json.dumps({"predicates": [{"operation": 42, "key": "state"}]})},
        {"filter": json.dumps({"predicates": [{"operation": "EQUALS", "key": "state"}]})},
        {"sort_by": "created_at sideways"},
        {"sort_by": "password"},
        {"page_size": "-1"},
        {"page_token": "!!!"},
        {"page_size": "abc"},
    ],
)
def test_bad_list_parameters_are_400(http: httpx.Client, params: dict[str, str]) -> None:
    assert_error(http.get("/runs", params=params), 400, 3)


def test_filter_forms(http: httpx.Client) -> None:
    for name in ("f-one", "f-two"):
        assert http.post("/experiments", json={"display_name": name}).status_code == 200
    numeric = {"predicates": [{"operation": 1, "key": "display_name", "stringValue": "f-one"}]}
    named = {
        "predicates": [
            {"operation": "IS_SUBSTRING", "key": "display_name", "string_value": "f-"},
            {"operation": "NOT_EQUALS", "key": "storage_state", "string_value": "ARCHIVED"},
        ]
    }
    listed = http.get("/experiments", params={"filter": json.dumps(numeric)}).json()
    assert [e["display_name"] for e in listed["experiments"]] == ["f-one"]
    listed = http.get("/experiments", params={"filter": json.dumps(named)}).json()
    assert {e["display_name"] for e in listed["experiments"]} == {"f-one", "f-two"}
    assert "next_page_token" not in listed


def test_duplicate_and_invalid_experiment(http: httpx.Client) -> None:
    first = http.post("/experiments", json={"display_name": "dup"})
    assert first.status_code == 200
    # Idempotent by name (kfp.Client checks, then creates): the same experiment again.
    again = http.post("/experiments", json={"display_name": "dup", "description": "other"})
    assert again.status_code == 200
    assert again.json()["experiment_id"] == first.json()["experiment_id"]
    assert_error(http.post("/experiments", json={}), 400, 3)
    assert_error(
        http.post("/experiments", content=b"{", headers={"content-type": "application/json"}),
        400,
        3,
    )


def _pipeline_count(http: httpx.Client) -> int:
    return int(http.get("/pipelines").json().get("total_size", 0))


@pytest.mark.parametrize(
    "content",
    [b"a: [unclosed", b"just: a mapping\n", b"\xff\xfe\x00binary", b"- a list\n", b""],
)
def test_bad_upload_is_400_and_writes_nothing(http: httpx.Client, content: bytes) -> None:
    before = _pipeline_count(http)
    response = http.post(
        "/pipelines/upload", params={"name": "bad"}, files={"uploadfile": ("p.yaml", content)}
    )
    assert_error(response, 400, 3)
    assert _pipeline_count(http) == before


def test_upload_sniffs_json_and_zip(http: httpx.Client, adder_text: str) -> None:
    as_json = json.dumps(yaml.safe_load(adder_text)).encode()
    response = http.post(
        "/pipelines/upload",
        params={"name": "as-json"},
        files={"uploadfile": ("whatever.bin", as_json, "text/plain")},
    )
    assert response.status_code == 200, response.text
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("pipeline.yaml", adder_text)
    response = http.post(
        "/pipelines/upload",
        params={"name": "as-zip"},
        files={"uploadfile": ("p.zip", buffer.getvalue())},
    )
    assert response.status_code == 200, response.text
    pipeline_id = response.json()["pipeline_id"]
    assert http.get("/pipelines/names/as-zip").json()["pipeline_id"] == pipeline_id
    assert_error(http.delete(f"/pipelines/{pipeline_id}"), 400, 9)  # has a version
    assert http.delete(f"/pipelines/{pipeline_id}", params={"cascade": "true"}).status_code == 200


def test_upload_version_needs_pipeline(http: httpx.Client, adder_text: str) -> None:
    files = {"uploadfile": ("p.yaml", adder_text.encode())}
    assert_error(http.post("/pipelines/upload_version", params={"name": "v"}, files=files), 400, 3)
    assert_error(
        http.post("/pipelines/upload_version", params={"pipelineid": "nope"}, files=files), 404, 5
    )


def test_upload_too_large_is_413(http: httpx.Client) -> None:
    big = b"#" * 300_000
    response = http.post("/pipelines/upload", files={"uploadfile": ("big.yaml", big)})
    assert_error(response, 413, 8)


def test_create_run_validates_parameters(http: httpx.Client, adder_text: str) -> None:
    spec = yaml.safe_load(adder_text)
    before = http.get("/runs").json().get("total_size", 0)
    bad = {
        "display_name": "bad",
        "pipeline_spec": spec,
        "runtime_config": {"parameters": {"a": "x"}},
    }
    assert_error(http.post("/runs", json=bad), 400, 3)
    unknown = {
        "display_name": "u",
        "pipeline_spec": spec,
        "runtime_config": {"parameters": {"zz": 1}},
    }
    assert_error(http.post("/runs", json=unknown), 400, 3)
    assert_error(http.post("/runs", json={"display_name": "x", "pipeline_spec": {"a": 1}}), 400, 3)
    assert_error(http.post("/runs", json={"display_name": "none"}), 400, 3)
    assert_error(http.post("/runs", json={"pipeline_spec": spec, "experiment_id": "nope"}), 404, 5)
    assert http.get("/runs").json().get("total_size", 0) == before


def test_run_lifecycle_without_manager(http: httpx.Client, adder_text: str) -> None:
    spec = yaml.safe_load(adder_text)
    body = {
        "display_name": "kept",
        "pipeline_spec": {"pipeline_spec": spec, "platform_spec": {"platforms": {}}},
        "runtime_config": {"parameters": {"a": 2.0, "b": "3"}},
    }
    created = http.post("/runs", json=body)
    assert created.status_code == 200, created.text
    run = created.json()
    assert run["state"] == "PENDING"
    assert run["runtime_config"]["parameters"] == {"a": 2, "b": 3}  # cast to the declared int
    assert run["created_at"].endswith("Z")
    assert "finished_at" not in run
    assert_error(http.post(f"/runs/{run['run_id']}:retry"), 400, 9)
    assert http.post(f"/runs/{run['run_id']}:terminate").json() == {}
    assert http.get(f"/runs/{run['run_id']}").json()["state"] == "CANCELED"
    assert http.delete(f"/runs/{run['run_id']}").json() == {}
    assert_error(http.delete(f"/runs/{run['run_id']}"), 404, 5)


def test_versions_by_body(http: httpx.Client, adder_text: str) -> None:
    spec = yaml.safe_load(adder_text)
    created = http.post(
        "/pipelines/create",
        json={"pipeline": {"display_name": "made"}, "pipeline_version": {"pipeline_spec": spec}},
    ).json()
    pipeline_id = created["pipeline"]["pipeline_id"]
    version = http.post(
        f"/pipelines/{pipeline_id}/versions", json={"display_name": "v2", "pipeline_spec": spec}
    ).json()
    assert version["pipeline_id"] == pipeline_id
    assert_error(
        http.post(
            f"/pipelines/{pipeline_id}/versions",
            json={"package_url": {"pipeline_url": "file:///etc/passwd"}},
        ),
        400,
        3,
    )
    versions = http.get(f"/pipelines/{pipeline_id}/versions", params={"page_size": 1}).json()
    assert versions["total_size"] == 2 and versions["next_page_token"]
    run = http.post(
        "/runs",
        json={"display_name": "latest", "pipeline_version_reference": {"pipeline_id": pipeline_id}},
    ).json()
    assert (
        run["pipeline_version_reference"]["pipeline_version_id"] == version["pipeline_version_id"]
    )
    path = f"/pipelines/{pipeline_id}/versions/{version['pipeline_version_id']}"
    assert http.delete(path).json() == {}
    assert_error(http.get(path), 404, 5)
    # The server keeps a version's loaded pipeline; a deleted version still runs no more.
    reference = {"pipeline_id": pipeline_id, "pipeline_version_id": version["pipeline_version_id"]}
    assert_error(
        http.post("/runs", json={"display_name": "gone", "pipeline_version_reference": reference}),
        404,
        5,
    )
    latest = http.post(
        "/runs",
        json={"display_name": "first", "pipeline_version_reference": {"pipeline_id": pipeline_id}},
    ).json()
    first_version = created["pipeline_version"]["pipeline_version_id"]
    assert latest["pipeline_version_reference"]["pipeline_version_id"] == first_version


def test_values_postgresql_refuses_are_400(postgres_url: str, tmp_path: Path) -> None:
    running, stop = start_server(tmp_path / "home", db_url=postgres_url, background=False)
    try:
        http = httpx.Client(base_url=running.url + API, timeout=30)
        assert_error(http.post("/experiments", json={"display_name": "a\u0000b"}), 400, 3)
        nul = {"predicates": [{"operation": 1, "key": "display_name", "string_value": "\u0000"}]}
        assert_error(http.get("/runs", params={"filter": json.dumps(nul)}), 400, 3)
        huge = base64.urlsafe_b64encode(json.dumps({"o": 2**70}).encode()).decode()
        assert_error(http.get("/runs", params={"page_token": huge}), 400, 3)
        assert http.post("/experiments", json={"display_name": "pg"}).status_code == 200
        assert http.get("/experiments").json()["total_size"] == 1
    finally:
        stop()


def test_a_run_name_collision_is_409_and_writes_nothing(
    http: httpx.Client,
    api_server: RunningServer,
    adder_text: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sluice.engine import runner
    from sluice.store.models import RunRow

    # KFP display names need not be unique: two runs may share one.
    body = {"display_name": "same", "pipeline_spec": yaml.safe_load(adder_text)}
    first = http.post("/runs", json=body)
    second = http.post("/runs", json=body)
    assert first.status_code == second.status_code == 200, second.text
    assert first.json()["run_id"] != second.json()["run_id"]
    # Sluice's own run name is unique. Were every name it draws taken (it retries a
    # collision with a new name), the answer would be ALREADY_EXISTS, not a 500.
    with api_server.state.store.session() as session:
        row = session.get(RunRow, first.json()["run_id"])
        assert row is not None
        taken = row.name
    monkeypatch.setattr(runner, "default_run_name", lambda *_args: taken)
    before = len(http.get("/runs", params={"page_size": 200}).json()["runs"])
    answer = assert_error(http.post("/runs", json=body), 409, 6)
    assert "already exists" in answer["message"] and "unique id" in answer["message"]
    assert len(http.get("/runs", params={"page_size": 200}).json()["runs"]) == before
