"""``queryArtifactLineageSubgraph`` through the real Vertex AI SDK, over the lineage runs
record and the lineage users record, against a real ``sluice server`` process."""

from __future__ import annotations

from typing import Any

import pytest
from google.api_core import exceptions
from google.cloud import aiplatform
from tests.server.pipelines import compile_to
from tests.server.vertex.conftest import VertexServer, wait
from tests.server.vertex.lineage_pipelines import rows_and_count


def _lineage(artifact: aiplatform.Artifact, **request: Any) -> Any:
    return artifact.api_client.query_artifact_lineage_subgraph(
        request={"artifact": artifact.resource_name, **request}
    )


def _summary(graph: Any) -> tuple[list[str], list[str], list[tuple[str, str, str]]]:
    artifacts = {a.name: a.schema_title for a in graph.artifacts}
    executions = {e.name: e.display_name for e in graph.executions}
    events = sorted(
        (artifacts[e.artifact], e.type_.name, executions[e.execution]) for e in graph.events
    )
    return sorted(artifacts.values()), sorted(executions.values()), events


@pytest.fixture(scope="module")
def counted(vertex: VertexServer) -> aiplatform.PipelineJob:
    """A finished run of make-rows -> count-rows."""
    template = compile_to(rows_and_count, str(vertex.home / "templates" / "rows-and-count.yaml"))
    job = aiplatform.PipelineJob(
        display_name="rows and count",
        template_path=template,
        pipeline_root=str(vertex.home / "root"),
        job_id="rows-and-count",
        parameter_values={"n": 3},
    )
    job.submit()
    wait(job)
    return job


def _output(job: aiplatform.PipelineJob, task: str, name: str) -> aiplatform.Artifact:
    detail = next(t for t in job.gca_resource.job_detail.task_details if t.task_name == task)
    return aiplatform.Artifact(detail.outputs[name].artifacts[0].name)


def test_the_lineage_of_a_runs_artifact(counted: aiplatform.PipelineJob) -> None:
    summary = _output(counted, "count-rows", "summary")
    assert _summary(_lineage(summary)) == (
        ["system.Dataset", "system.Metrics"],
        ["count-rows", "make-rows"],
        [
            ("system.Dataset", "INPUT", "count-rows"),
            ("system.Dataset", "OUTPUT", "make-rows"),
            ("system.Metrics", "OUTPUT", "count-rows"),
        ],
    )
    # max_hops counts edges: metrics <- count-rows <- dataset.
    assert _summary(_lineage(summary, max_hops=2)) == (
        ["system.Dataset", "system.Metrics"],
        ["count-rows"],
        [("system.Dataset", "INPUT", "count-rows"), ("system.Metrics", "OUTPUT", "count-rows")],
    )
    # From the dataset, both ways.
    dataset = _output(counted, "make-rows", "rows")
    assert _summary(_lineage(dataset, max_hops=1)) == (
        ["system.Dataset"],
        ["count-rows", "make-rows"],
        [("system.Dataset", "INPUT", "count-rows"), ("system.Dataset", "OUTPUT", "make-rows")],
    )
    # A filter keeps the artifacts it matches (and the events to them).
    only = _lineage(summary, filter='schema_title="system.Dataset"')
    assert [a.schema_title for a in only.artifacts] == ["system.Dataset"]
    assert {e.artifact for e in only.events} == {dataset.resource_name}


def test_user_lineage_joins_a_runs_lineage(
    vertex: VertexServer, counted: aiplatform.PipelineJob
) -> None:
    dataset = _output(counted, "make-rows", "rows")
    with aiplatform.start_execution(
        schema_title="system.ContainerExecution", display_name="trainer"
    ) as execution:
        execution.assign_input_artifacts([dataset])
        model = aiplatform.Artifact.create(schema_title="system.Model", uri="gs://b/model")
        execution.assign_output_artifacts([model])
    assert _summary(_lineage(model)) == (
        ["system.Dataset", "system.Model"],
        ["make-rows", "trainer"],
        [
            ("system.Dataset", "INPUT", "trainer"),
            ("system.Dataset", "OUTPUT", "make-rows"),
            ("system.Model", "OUTPUT", "trainer"),
        ],
    )
    # Another location sees neither the user's execution nor the model.
    with pytest.raises(exceptions.NotFound):
        aiplatform.Artifact(model.name, project="other-project")


def test_lineage_errors(vertex: VertexServer, counted: aiplatform.PipelineJob) -> None:
    summary = _output(counted, "count-rows", "summary")
    with pytest.raises(exceptions.BadRequest, match="unknown field 'colour'"):
        _lineage(summary, filter='colour="red"')
    with pytest.raises(exceptions.BadRequest, match="maxHops must be between 0 and"):
        _lineage(summary, max_hops=-1)
    client = summary.api_client
    with pytest.raises(exceptions.NotFound, match="no artifact 'nope'"):
        client.query_artifact_lineage_subgraph(
            request={"artifact": summary.resource_name.rsplit("/", 1)[0] + "/nope"}
        )
