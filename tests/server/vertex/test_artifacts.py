"""Artifacts through the real Vertex AI SDK against a real ``sluice server`` process."""

from __future__ import annotations

from pathlib import Path

import kfp
import pytest
from google.api_core import exceptions
from google.cloud import aiplatform
from google.cloud.aiplatform.metadata.schema.system import artifact_schema
from google.cloud.aiplatform_v1.types import Artifact as GapicArtifact
from google.protobuf import field_mask_pb2
from tests.server.vertex.conftest import LOCATION, PROJECT, VertexServer, wait

STORE = f"projects/{PROJECT}/locations/{LOCATION}/metadataStores/default"


def test_create_then_get_by_name_id_and_uri(vertex: VertexServer) -> None:
    created = aiplatform.Artifact.create(
        schema_title="system.Model",
        uri="gs://bucket/models/m1",
        display_name="model one",
        metadata={"accuracy": 0.9, "framework": "sklearn"},
        resource_id="model-one",
        description="the first model",
    )
    assert created.resource_name == f"{STORE}/artifacts/model-one"
    assert created.name == "model-one"
    assert created.schema_title == "system.Model"
    assert created.uri == "gs://bucket/models/m1"
    assert created.display_name == "model one"
    assert created.description == "the first model"
    assert created.metadata == {"accuracy": 0.9, "framework": "sklearn"}
    assert created.state == GapicArtifact.State.LIVE
    assert created.gca_resource.etag
    assert created.create_time is not None and created.update_time is not None

    for found in (
        aiplatform.Artifact.get(created.resource_name),
        aiplatform.Artifact.get("model-one"),
        aiplatform.Artifact("model-one"),
        aiplatform.Artifact.get_with_uri("gs://bucket/models/m1"),
    ):
        assert found is not None
        assert found.resource_name == created.resource_name
        assert found.metadata["framework"] == "sklearn"


def test_the_schema_classes_create_and_read_back(vertex: VertexServer) -> None:
    dataset = artifact_schema.Dataset(
        uri="gs://bucket/data/train.csv",
        display_name="training data",
        metadata={"rows": 5},
    ).create()
    assert dataset.schema_title == "system.Dataset"
    assert dataset.schema_version == "0.0.1"
    assert dataset.metadata["rows"] == 5
    # Named by a number Sluice assigned.
    assert dataset.name.isdigit()
    assert aiplatform.Artifact(dataset.name).uri == "gs://bucket/data/train.csv"


def test_unknown_and_duplicate_artifacts_are_refused(vertex: VertexServer) -> None:
    with pytest.raises(exceptions.NotFound, match="no artifact 'nope'"):
        aiplatform.Artifact("nope")
    assert aiplatform.Artifact.get("nope") is None
    with pytest.raises(ValueError, match="No artifact with uri"):
        aiplatform.Artifact.get_with_uri("gs://nowhere/at-all")

    aiplatform.Artifact.create(schema_title="system.Artifact", resource_id="taken")
    # Over REST a 409 is a Conflict (the SDK's AlreadyExists never fires there).
    with pytest.raises(exceptions.Conflict, match="taken already exists"):
        aiplatform.Artifact.create(schema_title="system.Artifact", resource_id="taken")
    with pytest.raises(exceptions.BadRequest, match="artifact id 'Bad_Id' is invalid"):
        aiplatform.Artifact.create(schema_title="system.Artifact", resource_id="Bad_Id")


def test_list_filters_and_orders(vertex: VertexServer) -> None:
    for i in range(3):
        aiplatform.Artifact.create(
            schema_title="test.Scored",
            display_name=f"scored-{i}",
            uri=f"gs://bucket/scored/{i}",
            metadata={"score": float(i), "kind": "even" if i % 2 == 0 else "odd"},
        )

    def names(filter: str, order_by: str | None = None) -> list[str]:
        found = aiplatform.Artifact.list(filter=filter, order_by=order_by)
        return [a.display_name for a in found]

    mine = 'schema_title="test.Scored"'
    assert names(mine, "create_time desc") == ["scored-2", "scored-1", "scored-0"]
    assert names(mine, "create_time") == ["scored-0", "scored-1", "scored-2"]
    assert names(f'{mine} AND display_name="scored-1"') == ["scored-1"]
    assert names(f'{mine} AND uri="gs://bucket/scored/2"') == ["scored-2"]
    assert names(f"{mine} AND metadata.score.number_value >= 1", "create_time") == [
        "scored-1",
        "scored-2",
    ]
    assert names(f'{mine} AND metadata.kind.string_value = "odd"') == ["scored-1"]
    assert names(f'{mine} AND state="LIVE"', "display_name") == [
        "scored-0",
        "scored-1",
        "scored-2",
    ]
    assert names(f'{mine} AND create_time > "2000-01-01T00:00:00Z"') != []
    assert names(f'{mine} AND (display_name="scored-0" OR display_name="scored-2")') == [
        "scored-2",
        "scored-0",
    ]
    assert names(f'{mine} AND update_time < "2000-01-01T00:00:00Z"') == []


def test_a_bad_filter_is_a_bad_request_naming_the_token(vertex: VertexServer) -> None:
    with pytest.raises(exceptions.BadRequest, match="unknown field 'colour'"):
        aiplatform.Artifact.list(filter='colour="red"')
    with pytest.raises(exceptions.BadRequest, match=r"near 'AND'"):
        aiplatform.Artifact.list(filter='schema_title="x" AND AND uri="y"')
    with pytest.raises(exceptions.BadRequest, match="unknown field 'nonsense'"):
        aiplatform.Artifact.list(filter='schema_title="x"', order_by="nonsense desc")


def test_update_merges_metadata_and_rotates_the_etag(vertex: VertexServer) -> None:
    artifact = aiplatform.Artifact.create(
        schema_title="system.Metrics", resource_id="metrics-1", metadata={"a": 1, "b": 2}
    )
    etag = artifact.gca_resource.etag
    artifact.update(metadata={"b": 3, "c": 4}, description="updated")
    assert artifact.metadata == {"a": 1, "b": 3, "c": 4}
    assert artifact.description == "updated"
    assert artifact.gca_resource.etag != etag
    again = aiplatform.Artifact("metrics-1")
    assert again.metadata == {"a": 1, "b": 3, "c": 4}
    assert again.gca_resource.etag == artifact.gca_resource.etag

    # With an updateMask only the named fields change, even if the body holds others.
    changed = GapicArtifact(
        name=artifact.resource_name, display_name="renamed", description="ignored"
    )
    answer = artifact.api_client.update_artifact(
        artifact=changed, update_mask=field_mask_pb2.FieldMask(paths=["display_name"])
    )
    assert answer.display_name == "renamed"
    assert answer.description == "updated"
    assert dict(answer.metadata) == {"a": 1, "b": 3, "c": 4}

    # An etag read before the last update is refused.
    stale = GapicArtifact(name=artifact.resource_name, description="late", etag=etag)
    with pytest.raises(exceptions.BadRequest, match="changed since it was read"):
        artifact.api_client.update_artifact(artifact=stale)
    with pytest.raises(exceptions.BadRequest, match="updateMask names uriX"):
        artifact.api_client.update_artifact(
            artifact=changed, update_mask=field_mask_pb2.FieldMask(paths=["uri_x"])
        )


def test_delete_removes_the_artifact(vertex: VertexServer) -> None:
    artifact = aiplatform.Artifact.create(schema_title="system.Artifact", resource_id="doomed")
    artifact.delete()
    assert aiplatform.Artifact.get("doomed") is None
    with pytest.raises(exceptions.NotFound):
        aiplatform.Artifact("doomed")


def test_artifacts_are_kept_per_location(vertex: VertexServer) -> None:
    aiplatform.Artifact.create(schema_title="system.Artifact", resource_id="here-only")
    assert aiplatform.Artifact.get("here-only", project="other-project") is None
    elsewhere = aiplatform.Artifact.list(filter='display_name="here-only"', project="other-project")
    assert elsewhere == []
    # Each location has its own ids.
    created = aiplatform.Artifact.create(
        schema_title="system.Artifact", resource_id="here-only", project="other-project"
    )
    assert created.resource_name.startswith("projects/other-project/")


def test_a_runs_artifacts_are_vertex_artifacts(vertex: VertexServer) -> None:
    """The seed's Artifact.list lists what pipeline runs produced, however they were started."""
    job = vertex.job("rows", job_id="rows-for-artifacts", parameter_values={"n": 7})
    job.submit()
    wait(job)
    client = kfp.Client(host=vertex.url)
    created = client.create_run_from_pipeline_package(
        vertex.templates["rows"], arguments={"n": 9}, run_name="rows-from-kfp"
    )
    client.wait_for_run_completion(created.run_id, timeout=240, sleep_duration=0.5)

    found = aiplatform.Artifact.list(
        filter='schema_title="system.Dataset"', order_by="create_time desc"
    )
    rows = [a.metadata.get("rows") for a in found if "rows" in a.metadata]
    assert rows[:2] == [9, 7]
    newest = found[0]
    assert newest.state == GapicArtifact.State.LIVE
    assert Path(newest.uri).read_text().splitlines() == [str(i) for i in range(9)]
    # The same artifact by its id, and from the task details of its job.
    assert aiplatform.Artifact(newest.name).metadata["rows"] == 9
    task = next(t for t in job.gca_resource.job_detail.task_details if t.task_name == "make-rows")
    output = task.outputs["rows"].artifacts[0]
    assert aiplatform.Artifact(output.name).metadata["rows"] == 7
    assert aiplatform.Artifact(output.name).gca_resource.etag == output.etag

    # in_context() with the job's run context, as Context.get_artifacts() sends it.
    context = job.gca_resource.job_detail.pipeline_run_context.name
    in_run = aiplatform.Artifact.list(filter=f'in_context("{context}")')
    assert [a.resource_name for a in in_run] == [output.name]

    # A run's artifact may be annotated but not deleted.
    artifact = aiplatform.Artifact(output.name)
    artifact.update(metadata={"checked": True})
    assert aiplatform.Artifact(output.name).metadata == {"rows": 7, "checked": True}
    with pytest.raises(exceptions.BadRequest, match="delete the run"):
        artifact.delete()


def test_unserved_calls_and_stores_answer_in_googles_shape(vertex: VertexServer) -> None:
    artifact = aiplatform.Artifact.create(schema_title="system.Artifact")
    with pytest.raises(exceptions.MethodNotImplemented, match="does not serve"):
        artifact.api_client.purge_artifacts(request={"parent": STORE, "filter": "uri:*"})
    other = STORE.replace("/default", "/other")
    with pytest.raises(exceptions.NotFound, match="no metadata store 'other'"):
        artifact.api_client.get_artifact(name=f"{other}/artifacts/{artifact.name}")


def test_lists_page_and_get_or_create_finds_or_makes(vertex: VertexServer) -> None:
    for i in range(5):
        aiplatform.Artifact.create(schema_title="test.Paged", display_name=f"paged-{i}")
    client = aiplatform.Artifact.create(schema_title="test.Other").api_client
    pager = client.list_artifacts(
        request={
            "parent": STORE,
            "filter": 'schema_title="test.Paged"',
            "order_by": "display_name",
            "page_size": 2,
        }
    )
    pages = [[a.display_name for a in page.artifacts] for page in pager.pages]
    assert pages == [["paged-0", "paged-1"], ["paged-2", "paged-3"], ["paged-4"]]

    made = aiplatform.Artifact.get_or_create(resource_id="made-once", schema_title="system.Model")
    found = aiplatform.Artifact.get_or_create(resource_id="made-once", schema_title="system.Model")
    assert found.resource_name == made.resource_name == f"{STORE}/artifacts/made-once"
