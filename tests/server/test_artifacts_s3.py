"""The KFP artifact read (``...:read``) of an artifact under an ``s3://`` root: read from the
store (moto's real S3 server on loopback), and only under the run's own prefix there."""

import base64
from collections.abc import Iterator

import httpx
import pytest
from tests.s3_server import S3Server, apply_environment, s3_server
from tests.server.conftest import RunningServer
from tests.server.test_artifacts import _run_with_artifact


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    with s3_server() as server:
        server.filesystem().mkdir("pipes")
        yield server


def _read(server: RunningServer, run_id: str, task_id: str) -> httpx.Response:
    return httpx.get(f"{server.url}/apis/v2beta1/runs/{run_id}/nodes/{task_id}/artifacts/out:read")


def test_an_s3_artifact_is_read_from_the_store(
    api_server: RunningServer, s3: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    apply_environment(s3, monkeypatch)
    fs = s3.filesystem()
    fs.pipe("pipes/root/s3-run/producer/out", b"\x00from s3\xff")
    uri = "s3://pipes/root/s3-run/producer/out"
    run_id, task_id = _run_with_artifact(api_server, "s3://pipes/root", uri, "s3-run")  # type: ignore[arg-type]
    response = _read(api_server, run_id, task_id)
    assert response.status_code == 200, response.text
    assert base64.b64decode(response.json()["data"]) == b"\x00from s3\xff"


@pytest.mark.parametrize(
    ("name", "uri", "status"),
    [
        ("evil-1", "s3://pipes/secret", 400),  # the bucket, but not under the run
        ("evil-2", "s3://pipes/root/evil-2/../other-run/out", 400),
        ("evil-3", "s3://pipes/root/evil-3/producer/missing", 404),
        ("evil-4", "s3://pipes/root/evil-4", 400),  # the prefix itself is no artifact of it
    ],
)
def test_never_reads_outside_the_run_in_the_store(
    api_server: RunningServer,
    s3: S3Server,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    uri: str,
    status: int,
) -> None:
    apply_environment(s3, monkeypatch)
    s3.filesystem().pipe("pipes/secret", b"top secret")
    s3.filesystem().pipe("pipes/root/other-run/out", b"top secret")
    run_id, task_id = _run_with_artifact(api_server, "s3://pipes/root", uri, name)  # type: ignore[arg-type]
    response = _read(api_server, run_id, task_id)
    assert response.status_code == status, response.text
    assert base64.b64encode(b"top secret").decode() not in response.text
