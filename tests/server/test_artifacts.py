"""Reading artifacts never reaches a file outside the producing run's artifact root."""

import base64
import os
from pathlib import Path

import httpx
import pytest
from tests.server.conftest import RunningServer
from tests.states import move_run, move_task
from tests.store_rows import new_run, new_task


def _run_with_artifact(server: RunningServer, root: Path, uri: str, name: str) -> tuple[str, str]:
    """A run (rooted at ``root``) whose task 'producer' outputs an artifact at ``uri``."""
    store = server.state.store
    run = new_run(store, name=name, pipeline_name="p", pipeline_root=str(root))
    task = new_task(store, run.id, name="producer")
    move_task(store, task.id, "SUCCEEDED")
    move_run(store, run.id, "SUCCEEDED")
    artifact_id = store.create_artifact(
        uri=uri,
        name="out",
        schema_title="system.Artifact",
        schema_version="0.0.1",
        metadata={},
        run_id=run.id,
        producer_task_id=task.id,
    )
    store.update_task(task.id, outputs={"artifacts": {"out": [artifact_id]}})
    return run.id, task.id


def _read(server: RunningServer, run_id: str, node: str, name: str = "out") -> httpx.Response:
    return httpx.get(f"{server.url}/apis/v2beta1/runs/{run_id}/nodes/{node}/artifacts/{name}:read")


def test_reads_a_file_inside_the_root(api_server: RunningServer, tmp_path: Path) -> None:
    root = tmp_path / "root"
    target = root / "good-run" / "producer" / "out"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"\x00bytes\xff")
    run_id, task_id = _run_with_artifact(api_server, root, str(target), "good-run")
    for node in (task_id, "producer"):
        response = _read(api_server, run_id, node)
        assert response.status_code == 200, response.text
        assert base64.b64decode(response.json()["data"]) == b"\x00bytes\xff"
    assert _read(api_server, run_id, task_id, "missing").status_code == 404
    assert _read(api_server, run_id, "no-task").status_code == 404
    assert _read(api_server, "no-run", task_id).status_code == 404


@pytest.mark.parametrize("kind", ["outside", "dotdot", "symlink", "file-uri", "remote", "dir"])
def test_never_reads_outside_the_root(api_server: RunningServer, tmp_path: Path, kind: str) -> None:
    root = tmp_path / "root"
    run_dir = root / f"evil-{kind}"
    (run_dir / "producer").mkdir(parents=True)
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    uri = {
        "outside": str(secret),
        "dotdot": f"{run_dir}/producer/../../../secret.txt",
        "symlink": str(run_dir / "producer" / "link"),
        "file-uri": f"file://{secret}",
        "remote": "https://example.com/x",
        "dir": str(run_dir / "producer"),
    }[kind]
    os.symlink(secret, run_dir / "producer" / "link")
    run_id, task_id = _run_with_artifact(api_server, root, uri, f"evil-{kind}")
    response = _read(api_server, run_id, task_id)
    assert response.status_code in (400, 404), response.text
    assert "top secret" not in response.text
    assert base64.b64encode(b"top secret").decode() not in response.text
