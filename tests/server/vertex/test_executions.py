"""Executions and their events through the real Vertex AI SDK against a real server."""

from __future__ import annotations

import pytest
from google.api_core import exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import aiplatform
from google.cloud.aiplatform_v1.types import Execution as GapicExecution
from google.protobuf import field_mask_pb2
from tests.server.vertex.conftest import LOCATION, PROJECT, VertexServer, wait

STORE = f"projects/{PROJECT}/locations/{LOCATION}/metadataStores/default"
State = GapicExecution.State
ANONYMOUS = AnonymousCredentials()


def test_start_execution_records_its_artifacts_and_completes(vertex: VertexServer) -> None:
    data = aiplatform.Artifact.create(schema_title="system.Dataset", uri="gs://b/train.csv")
    with aiplatform.start_execution(
        schema_title="system.ContainerExecution",
        display_name="trainer",
        metadata={"lr": 0.1},
        resource_id="trainer-1",
    ) as execution:
        assert execution.state == State.RUNNING
        assert execution.resource_name == f"{STORE}/executions/trainer-1"
        execution.assign_input_artifacts([data])
        model = aiplatform.Artifact.create(schema_title="system.Model", uri="gs://b/model")
        execution.assign_output_artifacts([model])
        # Assigning again records nothing twice.
        execution.assign_output_artifacts([model])

    found = aiplatform.Execution("trainer-1")
    assert found.state == State.COMPLETE
    assert found.display_name == "trainer"
    assert found.schema_title == "system.ContainerExecution"
    assert found.metadata == {"lr": 0.1}
    assert [a.resource_name for a in found.get_input_artifacts()] == [data.resource_name]
    assert [a.resource_name for a in found.get_output_artifacts()] == [model.resource_name]
    assert found.get_output_artifacts()[0].uri == "gs://b/model"


def test_an_exception_in_the_block_fails_the_execution(vertex: VertexServer) -> None:
    with (
        pytest.raises(RuntimeError, match="training diverged"),
        aiplatform.start_execution(
            schema_title="system.ContainerExecution", display_name="diverges"
        ) as execution,
    ):
        raise RuntimeError("training diverged")
    assert aiplatform.Execution(execution.name).state == State.FAILED


def test_create_get_list_update_delete(vertex: VertexServer) -> None:
    # The SDK's Execution.create defaults credentials to a typing object (2.7.0), so a
    # caller passes them; start_execution does not have that bug.
    created = aiplatform.Execution.create(
        schema_title="test.Step",
        display_name="step-a",
        metadata={"n": 1.0},
        state=State.NEW,
        description="first",
        credentials=ANONYMOUS,
    )
    assert created.state == State.NEW
    assert created.name.isdigit()
    aiplatform.Execution.create(
        schema_title="test.Step", display_name="step-b", credentials=ANONYMOUS
    )
    assert aiplatform.Execution.get(created.resource_name).description == "first"

    def names(filter: str, order_by: str | None = None) -> list[str]:
        return [e.display_name for e in aiplatform.Execution.list(filter=filter, order_by=order_by)]

    mine = 'schema_title="test.Step"'
    assert names(mine) == ["step-b", "step-a"]
    assert names(mine, "create_time") == ["step-a", "step-b"]
    assert names(f'{mine} AND display_name="step-a"') == ["step-a"]
    assert names(f'{mine} AND state="NEW"') == ["step-a"]
    assert names(f"{mine} AND metadata.n.number_value = 1") == ["step-a"]
    # A running execution has been updated (created) though it has not ended.
    assert names(f'{mine} AND update_time > "2000-01-01T00:00:00Z"') == ["step-b", "step-a"]

    etag = created.gca_resource.etag
    created.update(state=State.CANCELLED, metadata={"why": "user"})
    assert created.state == State.CANCELLED
    assert created.metadata == {"n": 1.0, "why": "user"}
    assert created.gca_resource.etag != etag
    assert names(f'{mine} AND state="CANCELLED"') == ["step-a"]

    # A PATCH with an updateMask changes only what it names.
    patch = GapicExecution(name=created.resource_name, display_name="renamed", state=State.RUNNING)
    answer = created.api_client.update_execution(
        execution=patch, update_mask=field_mask_pb2.FieldMask(paths=["display_name"])
    )
    assert answer.display_name == "renamed"
    assert answer.state == State.CANCELLED

    created.delete()
    assert aiplatform.Execution.get(created.name) is None
    with pytest.raises(exceptions.NotFound, match="no execution"):
        aiplatform.Execution(created.name)


def test_duplicate_ids_unknown_artifacts_and_bad_filters_are_refused(vertex: VertexServer) -> None:
    execution = aiplatform.Execution.create(
        schema_title="test.Step", resource_id="only-once", credentials=ANONYMOUS
    )
    with pytest.raises(exceptions.Conflict, match="only-once already exists"):
        aiplatform.Execution.create(
            schema_title="test.Step", resource_id="only-once", credentials=ANONYMOUS
        )
    missing = aiplatform.Artifact.create(schema_title="system.Artifact", resource_id="gone")
    missing.delete()
    with pytest.raises(exceptions.NotFound, match="no artifact 'gone'"):
        execution.assign_input_artifacts([missing])
    assert execution.get_input_artifacts() == []
    with pytest.raises(exceptions.BadRequest, match="unknown field 'colour'"):
        aiplatform.Execution.list(filter='colour="red"')


def test_a_runs_attempts_are_executions(vertex: VertexServer) -> None:
    job = vertex.job("rows", job_id="rows-for-executions", parameter_values={"n": 2})
    job.submit()
    wait(job)
    context = job.gca_resource.job_detail.pipeline_run_context.name
    found = {
        e.display_name: e for e in aiplatform.Execution.list(filter=f'in_context("{context}")')
    }
    # The job itself, as Vertex records one (its parameters and state), and its task's attempt.
    assert sorted(found) == ["make-rows", "rows-for-executions"]
    job_execution = found["rows-for-executions"]
    assert job_execution.schema_title == "system.Run"
    assert job_execution.state == State.COMPLETE
    assert job_execution.metadata["input:n"] == 2
    execution = found["make-rows"]
    assert execution.state == State.COMPLETE
    assert execution.metadata["input:n"] == 2
    outputs = execution.get_output_artifacts()
    assert [a.schema_title for a in outputs] == ["system.Dataset"]
    assert outputs[0].metadata["rows"] == 2
    # The engine owns a run's executions: no state changes, no deletes.
    with pytest.raises(exceptions.BadRequest, match="engine records its state"):
        execution.update(state=State.FAILED)
    with pytest.raises(exceptions.BadRequest, match="delete the run"):
        execution.delete()


def test_a_finished_execution_resumes(vertex: VertexServer) -> None:
    with aiplatform.start_execution(
        schema_title="system.ContainerExecution", resource_id="resumable"
    ):
        pass
    assert aiplatform.Execution("resumable").state == State.COMPLETE
    with aiplatform.start_execution(resource_id="resumable", resume=True) as execution:
        assert execution.state == State.RUNNING
    assert aiplatform.Execution("resumable").state == State.COMPLETE
