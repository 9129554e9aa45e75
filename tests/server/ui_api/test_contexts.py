"""N10 contexts: a run's context with its artifacts and executions, and a pipeline's
context (which holds every run's) listed up to ``limit`` with a flag saying there are more;
two runs submitted by the unmodified ``kfp.Client``."""

from pathlib import Path
from typing import Any

import httpx
import kfp
import pytest
from tests.server.conftest import RunningServer
from tests.server.ui_api.runs_helpers import UI, wait_run
from tests.ui.meta_pipelines import meta_train
from tests.ui.pipelines import compile_to

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


def _get(server: RunningServer, path: str, **params: Any) -> Any:
    response = httpx.get(f"{server.url}{UI}{path}", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_run_and_pipeline_contexts_list_their_members(
    server: RunningServer, tmp_path: Path
) -> None:
    client = kfp.Client(host=server.url)
    package = compile_to(meta_train, str(tmp_path / "train.yaml"))
    run_ids = []
    for accuracy in (0.4, 0.8):
        run = client.create_run_from_pipeline_package(
            package, arguments={"accuracy": accuracy}, enable_caching=False
        )
        assert wait_run(server, run.run_id) == "SUCCEEDED"
        run_ids.append(run.run_id)

    runs = _get(server, "/contexts", filter='schema_title="system.PipelineRun"')
    (own,) = [c for c in runs["contexts"] if c["name"] == run_ids[0]]
    detail = _get(server, f"/contexts/{own['id']}")
    assert {a["run_id"] for a in detail["artifacts"]} == {run_ids[0]}
    # Its tasks' executions, and the run's own system.Run execution (as Vertex records a
    # pipeline job), which belongs to no task.
    tasks = [e for e in detail["executions"] if e["schema_title"] != "system.Run"]
    assert tasks and {e["run_id"] for e in tasks} == {run_ids[0]}
    assert [e["schema_title"] for e in detail["executions"]].count("system.Run") == 1
    assert not detail["artifacts_truncated"] and not detail["executions_truncated"]

    # The pipeline's context holds both runs' artifacts: cut at the limit, flagged.
    pipelines = _get(server, "/contexts", filter='schema_title="system.Pipeline"')
    shared = next(c for c in pipelines["contexts"] if c["name"] == "meta-train")
    whole = _get(server, f"/contexts/{shared['id']}")
    assert {a["run_id"] for a in whole["artifacts"]} >= set(run_ids)
    one = _get(server, f"/contexts/{shared['id']}", limit=1)
    assert len(one["artifacts"]) == 1 and one["artifacts_truncated"]
    assert one["artifacts"][0]["id"] == whole["artifacts"][0]["id"]  # oldest first

    # The lists' in_context() pages the same members.
    paged = _get(server, "/artifacts", filter=f'in_context("{own["id"]}")')
    assert {a["id"] for a in paged["artifacts"]} == {a["id"] for a in detail["artifacts"]}

    too_many = httpx.get(f"{server.url}{UI}/contexts/{own['id']}", params={"limit": 1001})
    assert too_many.status_code == 400
