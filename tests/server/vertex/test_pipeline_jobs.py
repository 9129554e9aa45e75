"""Pipeline jobs through the real Vertex AI SDK against a real ``sluice server`` process."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import kfp
import pytest
from google.api_core import exceptions
from google.cloud import aiplatform
from google.cloud.aiplatform_v1.types import PipelineState
from tests.server.vertex.conftest import LOCATION, PROJECT, VertexServer, wait

PARENT = f"projects/{PROJECT}/locations/{LOCATION}"


def _sluice_run_names(vertex: VertexServer) -> set[str]:
    """The run names ``sluice runs list --host ... --json`` shows."""
    out = subprocess.run(
        [sys.executable, "-m", "sluice", "runs", "list", "--host", vertex.url, "--json"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return {row["sluice_run"]["name"] for row in json.loads(out)}


def test_a_submitted_job_runs_and_shows_its_tasks_in_all_three_apis(vertex: VertexServer) -> None:
    job = vertex.job(
        "rows",
        display_name="rows in three apis",
        parameter_values={"n": 4},
        labels={"team": "ml"},
        job_id="rows-all-apis",
        enable_caching=False,
        failure_policy="slow",
    )
    job.submit()
    assert job.resource_name == f"{PARENT}/pipelineJobs/rows-all-apis"
    wait(job)

    assert job.state == PipelineState.PIPELINE_STATE_SUCCEEDED
    assert not job.has_failed
    resource = job.gca_resource
    assert resource.labels == {"team": "ml"}
    assert resource.runtime_config.parameter_values["n"] == 4
    assert resource.runtime_config.failure_policy.name == "PIPELINE_FAILURE_POLICY_FAIL_SLOW"
    detail = resource.job_detail
    assert detail.pipeline_context.schema_title == "system.Pipeline"
    assert detail.pipeline_run_context.name.endswith("/contexts/rows-all-apis")
    assert detail.pipeline_context.name in detail.pipeline_run_context.parent_contexts
    tasks = {t.task_name: t for t in detail.task_details}
    assert set(tasks) == {"rows-all-apis", "make-rows"}
    task = tasks["make-rows"]
    assert task.state.name == "SUCCEEDED"
    assert task.execution.metadata["input:n"] == 4
    assert task.execution.metadata["output:Output"] == 4
    (dataset,) = task.outputs["rows"].artifacts
    assert dataset.schema_title == "system.Dataset"
    assert dataset.metadata["rows"] == 4
    assert dataset.uri.startswith(str(vertex.home / "root"))
    assert dataset.name.startswith(f"{PARENT}/metadataStores/default/artifacts/")

    # The same run, in kfp.Client and in `sluice runs list`.
    kfp_runs = kfp.Client(host=vertex.url).list_runs(page_size=100).runs or []
    assert "rows in three apis" in {r.display_name for r in kfp_runs}
    assert "rows-all-apis" in _sluice_run_names(vertex)


def test_a_run_started_with_kfp_is_a_pipeline_job(vertex: VertexServer) -> None:
    client = kfp.Client(host=vertex.url)
    run = client.create_run_from_pipeline_package(
        vertex.templates["rows"], arguments={"n": 2}, run_name="from-kfp"
    )
    found = aiplatform.PipelineJob.get(run.run_id)
    assert found.display_name == "from-kfp"
    listed = aiplatform.PipelineJob.list(filter='display_name="from-kfp"')
    assert [j.resource_name for j in listed] == [found.resource_name]


def test_a_failed_job_raises_with_its_error_and_run_sync(vertex: VertexServer) -> None:
    job = vertex.job("exploder", parameter_values={"message": "no rows today"})
    with pytest.raises(RuntimeError, match="Job failed with"):
        job.run(sync=True)
    assert job.has_failed
    assert job.state == PipelineState.PIPELINE_STATE_FAILED
    error = job.gca_resource.error
    assert error.code == 9
    assert "explode" in error.message
    (task,) = [t for t in job.gca_resource.job_detail.task_details if t.task_name == "explode"]
    assert task.state.name == "FAILED"
    assert "no rows today" in task.error.message


@pytest.mark.parametrize(
    ("policy", "after_state"), [("fast", "NOT_TRIGGERED"), ("slow", "SUCCEEDED")]
)
def test_failure_policy_decides_whether_independent_tasks_start(
    vertex: VertexServer, policy: str, after_state: str
) -> None:
    job_id = f"branches-{policy}"
    job = vertex.job(
        "branches",
        job_id=job_id,
        parameter_values={"api": f"{vertex.url}/v1/{PARENT}/pipelineJobs", "job": job_id},
        failure_policy=policy,
    )
    job.submit()
    with pytest.raises(RuntimeError, match="Job failed with"):
        wait(job)
    assert job.state == PipelineState.PIPELINE_STATE_FAILED
    assert "explode" in job.gca_resource.error.message
    states = {t.task_name: t.state.name for t in job.gca_resource.job_detail.task_details}
    assert states["explode"] == "FAILED"
    assert states["wait-until-failed"] == "SUCCEEDED"  # it was running: it finishes
    assert states["after"] == after_state


def test_cancel_and_delete(vertex: VertexServer) -> None:
    job = vertex.job("sleeper", parameter_values={"seconds": 120}, job_id="to-cancel")
    job.submit()
    deadline = time.monotonic() + 60
    while job.state != PipelineState.PIPELINE_STATE_RUNNING:
        assert time.monotonic() < deadline, "the job never started"
        time.sleep(0.2)
    job.cancel()
    wait(job)  # CANCELLED ends wait() without raising
    assert job.state == PipelineState.PIPELINE_STATE_CANCELLED

    job.delete()
    with pytest.raises(exceptions.NotFound, match="to-cancel"):
        aiplatform.PipelineJob.get("to-cancel")
    with pytest.raises(exceptions.NotFound, match="to-cancel"):
        job.cancel()


def test_list_filters_by_vertex_fields_and_locations_keep_their_jobs(
    vertex: VertexServer,
) -> None:
    vertex.job("rows", labels={"env": "prod"}, job_id="listed-prod").submit()
    vertex.job("rows", labels={"env": "dev"}, job_id="listed-dev").submit()

    def names(filter: str) -> set[str]:
        jobs = aiplatform.PipelineJob.list(filter=filter)
        return {job.resource_name.rsplit("/", 1)[-1] for job in jobs}

    assert names('labels.env="prod"') == {"listed-prod"}
    assert names('labels.env:* AND pipeline_name="rows"') == {"listed-prod", "listed-dev"}
    assert names('pipeline_job_user_id="listed-*" AND NOT labels.env="dev"') == {"listed-prod"}
    recent = 'create_time>"2020-01-01T00:00:00Z" AND state!="PIPELINE_STATE_FAILED"'
    assert "listed-prod" in names(recent)
    assert names('state="PIPELINE_STATE_PAUSED"') == set()

    # Another project sees neither job (and a duplicate id is a conflict, not a second job).
    vertex.init(project="other-project")
    try:
        assert names("labels.env:*") == set()
        with pytest.raises(exceptions.NotFound):
            aiplatform.PipelineJob.get("listed-prod")
    finally:
        vertex.init()
    with pytest.raises(exceptions.Conflict, match="listed-prod"):
        vertex.job("rows", job_id="listed-prod").submit()


def test_error_answers(vertex: VertexServer) -> None:
    with pytest.raises(exceptions.NotFound, match="no pipeline job 'nope'"):
        aiplatform.PipelineJob.get("nope")
    with pytest.raises(exceptions.BadRequest, match="unknown field 'colour'"):
        aiplatform.PipelineJob.list(filter='colour="red"')
    with pytest.raises(exceptions.BadRequest, match=r"column 21 \(at the end\)"):
        aiplatform.PipelineJob.list(filter='display_name="a" AND')
    with pytest.raises(exceptions.BadRequest, match="near 'ANDD'"):
        aiplatform.PipelineJob.list(filter='display_name="a" ANDD state="x"')
    with pytest.raises(exceptions.BadRequest, match=r"near '\"yesterday\"'.*RFC 3339"):
        aiplatform.PipelineJob.list(filter='create_time>"yesterday"')
    with pytest.raises(exceptions.MethodNotImplemented, match="does not serve the Vertex AI call"):
        aiplatform.BatchPredictionJob.list()
    with pytest.raises(exceptions.BadRequest, match="parameter"):
        vertex.job("rows", parameter_values={"n": "many"}).submit()
