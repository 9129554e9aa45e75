"""A spec sent to the API with ``..`` in its names runs, and writes only under its home."""

import os
import time
from pathlib import Path

import httpx
import pytest
import yaml
from tests.server.conftest import start_server
from tests.server.pipelines import compile_to, writer

API = "/apis/v2beta1"


def _files_under(root: Path) -> set[Path]:
    return {Path(d) / f for d, _dirs, files in os.walk(root) for f in files}


def test_dot_dot_in_task_and_pipeline_names_stays_inside_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = yaml.safe_load(Path(compile_to(writer, str(tmp_path / "writer.yaml"))).read_text())
    evil = "../../../escaped-task"
    spec["pipelineInfo"]["name"] = "../../../escaped-pipeline"
    tasks = spec["root"]["dag"]["tasks"]
    tasks[evil] = tasks.pop("write-text")
    tasks[evil]["taskInfo"]["name"] = evil

    home = tmp_path / "a" / "b" / "home"
    monkeypatch.setenv("SLUICE_HOME", str(home))
    monkeypatch.delenv("SLUICE_DB_URL", raising=False)
    monkeypatch.delenv("SLUICE_TOKEN", raising=False)
    before = _files_under(tmp_path)
    running, stop = start_server(home, background=True)
    try:
        with httpx.Client(base_url=running.url + API, timeout=30) as http:
            created = http.post("/runs", json={"display_name": "evil", "pipeline_spec": spec})
            assert created.status_code == 200, created.text
            run_id = created.json()["run_id"]
            deadline = time.monotonic() + 120
            while (run := http.get(f"/runs/{run_id}").json())["state"] not in (
                "SUCCEEDED",
                "FAILED",
            ):
                assert time.monotonic() < deadline, run
                time.sleep(0.1)
            assert run["state"] == "SUCCEEDED", run.get("error")
            # A "/" in a name cannot be a path segment; the task id addresses it.
            task = next(t for t in run["run_details"]["task_details"] if t["display_name"] == evil)
            logs = http.get(f"/runs/{run_id}/nodes/{task['task_id']}/logs")
            assert logs.status_code == 200, logs.text
    finally:
        stop()
    new = _files_under(tmp_path) - before
    assert any(p.name == "log.txt" for p in new)
    assert not {p for p in new if not p.resolve().is_relative_to(home.resolve())}
