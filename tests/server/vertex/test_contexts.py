"""Metadata contexts through the real Vertex AI SDK against a real server process."""

from __future__ import annotations

import pytest
from google.api_core import exceptions
from google.cloud import aiplatform
from google.protobuf import field_mask_pb2
from tests.server.vertex.conftest import LOCATION, PROJECT, VertexServer, wait

STORE = f"projects/{PROJECT}/locations/{LOCATION}/metadataStores/default"


def _ids(contexts: list[aiplatform.Context]) -> list[str]:
    return [c.name for c in contexts]


def test_create_get_update_and_delete(vertex: VertexServer) -> None:
    created = aiplatform.Context.create(
        schema_title="sluice.Group",
        resource_id="group-crud",
        display_name="Group CRUD",
        description="for the test",
        metadata={"size": 3, "owner": "ana"},
    )
    assert created.resource_name == f"{STORE}/contexts/group-crud"
    assert (created.display_name, created.schema_title) == ("Group CRUD", "sluice.Group")
    assert created.metadata == {"size": 3, "owner": "ana"}

    # By id, by full name, and get() (None, not an error, when missing).
    for key in ("group-crud", created.resource_name):
        found = aiplatform.Context(key)
        assert (found.name, found.description) == ("group-crud", "for the test")
    assert aiplatform.Context.get("no-such-group") is None

    # The SDK merges metadata on the client and PATCHes the whole context (no mask).
    etag = created.gca_resource.etag
    created.update(metadata={"size": 4})
    assert created.metadata == {"size": 4, "owner": "ana"}
    assert created.gca_resource.etag != etag
    # A stale etag is not refused.
    stale = aiplatform.Context("group-crud")
    stale.gca_resource.etag = etag
    stale.update(description="changed")
    again = aiplatform.Context("group-crud")
    assert (again.description, again.metadata["size"]) == ("changed", 4)
    assert again.gca_resource.update_time >= again.gca_resource.create_time

    # With an updateMask only the fields it names change.
    body = again.gca_resource
    body.display_name = "Renamed"
    body.description = "ignored"
    again.api_client.update_context(
        context=body, update_mask=field_mask_pb2.FieldMask(paths=["display_name"])
    )
    masked = aiplatform.Context("group-crud")
    assert (masked.display_name, masked.description) == ("Renamed", "changed")

    with pytest.raises(exceptions.Conflict, match="group-crud"):
        aiplatform.Context.create(schema_title="sluice.Other", resource_id="group-crud")

    masked.delete()
    with pytest.raises(exceptions.NotFound, match="group-crud"):
        aiplatform.Context("group-crud")


def test_children_and_list_filters(vertex: VertexServer) -> None:
    parent = aiplatform.Context.create(schema_title="sluice.Parent", resource_id="fam-parent")
    kids = [
        aiplatform.Context.create(
            schema_title="sluice.Kid", resource_id=f"fam-kid-{i}", display_name=f"kid {i}"
        )
        for i in range(3)
    ]
    parent.add_context_children(kids[:2])
    parent.add_context_children(kids[:1])  # again: no error, no duplicate

    assert aiplatform.Context("fam-kid-0").parent_contexts == [parent.resource_name]
    assert aiplatform.Context("fam-kid-2").parent_contexts == []

    def listed(filter: str, order_by: str | None = None) -> list[str]:
        return _ids(aiplatform.Context.list(filter=filter, order_by=order_by))

    under = f'parent_contexts:"{parent.resource_name}"'
    assert listed(under, "display_name") == ["fam-kid-0", "fam-kid-1"]
    assert listed(f'schema_title="sluice.Kid" AND {under}', "display_name desc") == [
        "fam-kid-1",
        "fam-kid-0",
    ]
    assert listed(
        '(display_name="kid 2" OR display_name="kid 0") AND schema_title="sluice.Kid"',
        "display_name",
    ) == ["fam-kid-0", "fam-kid-2"]
    created = aiplatform.Context("fam-kid-2").gca_resource.create_time.isoformat()
    assert "fam-kid-2" in listed(f'schema_title="sluice.Kid" AND create_time>="{created}"')
    assert listed('schema_title="sluice.Kid" AND update_time<"2000-01-01T00:00:00Z"') == []

    with pytest.raises(exceptions.BadRequest, match="cycle"):
        kids[0].add_context_children([parent])
    with pytest.raises(exceptions.NotFound, match="fam-nobody"):
        parent.api_client.add_context_children(
            context=parent.resource_name, child_contexts=[f"{STORE}/contexts/fam-nobody"]
        )


def test_bad_filters_and_unknown_contexts(vertex: VertexServer) -> None:
    with pytest.raises(exceptions.BadRequest, match="unknown field 'colour'"):
        aiplatform.Context.list(filter='colour="red"')
    with pytest.raises(exceptions.BadRequest, match="parent_contexts"):
        aiplatform.Context.list(filter="parent_contexts>3")
    with pytest.raises(exceptions.BadRequest, match="near 'AND'"):
        aiplatform.Context.list(filter='schema_title="x" AND AND')
    with pytest.raises(exceptions.NotFound, match="no context 'ghost'"):
        aiplatform.Context("ghost")


def test_a_jobs_contexts_are_the_runs(vertex: VertexServer) -> None:
    job = vertex.job("rows", job_id="ctx-job", parameter_values={"n": 2})
    job.submit()
    wait(job)
    run_context = aiplatform.Context("ctx-job")
    assert run_context.schema_title == "system.PipelineRun"
    pipeline = job.gca_resource.job_detail.pipeline_context.name
    # Its pipeline's context, and its experiment's (KFP's "Default": it was given none).
    assert run_context.parent_contexts == [pipeline, f"{STORE}/contexts/Default"]
    assert "ctx-job" in _ids(aiplatform.Context.list(filter=f'parent_contexts:"{pipeline}"'))
    runs = aiplatform.Context.list(filter='schema_title="system.PipelineRun"')
    assert "ctx-job" in _ids(runs)

    # Its lineage: the job's own system.Run execution, the task's, and the dataset it wrote.
    lineage = run_context.query_lineage_subgraph()
    assert [a.schema_title for a in lineage.artifacts] == ["system.Dataset"]
    assert sorted(e.display_name for e in lineage.executions) == ["ctx-job", "make-rows"]
    (task,) = [e for e in lineage.executions if e.display_name == "make-rows"]
    assert [(e.artifact, e.type_.name) for e in lineage.events] == [
        (lineage.artifacts[0].name, "OUTPUT")
    ]

    # Put them in a context of one's own.
    group = aiplatform.Context.create(schema_title="sluice.Group", resource_id="ctx-members")
    group.add_artifacts_and_executions(
        artifact_resource_names=[lineage.artifacts[0].name],
        execution_resource_names=[task.name],
    )
    group.add_artifacts_and_executions(artifact_resource_names=[lineage.artifacts[0].name])
    inside = group.query_lineage_subgraph()
    assert [a.name for a in inside.artifacts] == [lineage.artifacts[0].name]
    assert len(inside.events) == 1
    assert [a.resource_name for a in group.get_artifacts()] == [lineage.artifacts[0].name]
    assert [e.resource_name for e in group.get_executions()] == [task.name]
    assert sorted(e.display_name for e in run_context.get_executions()) == ["ctx-job", "make-rows"]
    with pytest.raises(exceptions.BadRequest, match="ctx-job"):
        run_context.delete()


def test_pages_removing_children_and_allow_missing(vertex: VertexServer) -> None:
    parent = aiplatform.Context.create(schema_title="sluice.Parent", resource_id="page-parent")
    kids = [
        aiplatform.Context.create(schema_title="sluice.PageKid", resource_id=f"page-kid-{i}")
        for i in range(5)
    ]
    parent.add_context_children(kids)
    client = parent.api_client
    pager = client.list_contexts(
        request={
            "parent": STORE,
            "filter": 'schema_title="sluice.PageKid"',
            "order_by": "name",
            "page_size": 2,
        }
    )
    assert [c.name.rsplit("/", 1)[-1] for c in pager] == [f"page-kid-{i}" for i in range(5)]

    client.remove_context_children(
        context=parent.resource_name, child_contexts=[kids[0].resource_name]
    )
    under = aiplatform.Context.list(filter=f'parent_contexts:"{parent.resource_name}"')
    assert sorted(_ids(under)) == [f"page-kid-{i}" for i in range(1, 5)]

    # PATCH with allowMissing creates the context.
    made = client.update_context(
        request={
            "context": {
                "name": f"{STORE}/contexts/page-made",
                "schema_title": "sluice.Made",
                "display_name": "made by patch",
            },
            "allow_missing": True,
        }
    )
    assert (made.name, made.display_name) == (f"{STORE}/contexts/page-made", "made by patch")
