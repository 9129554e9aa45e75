"""Contexts as Vertex names them: ids, parents, members; and the TensorBoard tables."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from tests.store_rows import new_run

from sluice.errors import AlreadyExistsError, FailedPreconditionError
from sluice.store import context_writes as writes
from sluice.store import tensorboards
from sluice.store.context_writes import NewContext
from sluice.store.metadata_queries import list_contexts
from sluice.store.repository import Store


def test_ids_are_unique_across_types_and_a_run_is_known_by_its_name(store: Store) -> None:
    new_run(store, name="job-1")
    with pytest.raises(AlreadyExistsError, match="job-1"):
        writes.create(store, NewContext("job-1", "sluice.Group"))
    with pytest.raises(AlreadyExistsError, match="pipe"):
        writes.create(store, NewContext("pipe", "system.Experiment"))
    found = writes.find(store, "job-1")
    assert found is not None and found.type == "system.PipelineRun"
    assert writes.find(store, "nothing") is None


def test_a_name_shared_with_a_pipeline_finds_the_other_context(store: Store) -> None:
    new_run(store, name="job-2")  # makes the system.Pipeline context "pipe"
    with store.session() as session:
        store.ensure_context(session, "system.Experiment", "pipe")
    found = writes.find(store, "pipe")
    assert found is not None and found.type == "system.Experiment"


def test_parents_children_and_the_filter(store: Store) -> None:
    run_id = new_run(store, name="job-3", experiment="exp-a").id
    parent = writes.create(store, NewContext("grp", "sluice.Group"))
    kid = writes.create(store, NewContext("kid", "sluice.Kid", display_name="Kid"))
    writes.add_children(store, parent.id, [kid.id, kid.id])
    with pytest.raises(FailedPreconditionError, match="cycle"):
        writes.add_children(store, kid.id, [parent.id])

    run_context = writes.find(store, "job-3")
    assert run_context is not None
    parents = writes.parents_of(store, [kid.id, run_context.id])
    assert [p.name for p in parents[kid.id]] == ["grp"]
    assert sorted(p.name for p in parents[run_context.id]) == ["exp-a", "pipe"]
    assert writes.run_names(store, [run_context.id, kid.id]) == {run_context.id: "job-3"}

    def under(name: str) -> list[str]:
        page = list_contexts(store, f'parent_contexts:"projects/p/locations/l/x/{name}"')
        return [c.name for c in page.items]

    assert under("grp") == ["kid"]
    assert under("exp-a") == [run_id]  # a run's own context is named by the run's id
    writes.remove_children(store, parent.id, [kid.id])
    assert under("grp") == []


def test_update_delete_and_members(store: Store) -> None:
    new_run(store, name="job-4")
    run_context = writes.find(store, "job-4")
    assert run_context is not None
    with pytest.raises(FailedPreconditionError, match="job-4"):
        writes.delete_context(store, run_context.id)

    group = writes.create(store, NewContext("members", "sluice.Group", metadata={"a": 1}))
    updated = writes.update_fields(store, group.id, {"properties": {"b": 2}, "description": "d"})
    assert (updated.properties, updated.description) == ({"b": 2}, "d")
    assert updated.updated_at is not None

    writes.add_members(store, group.id, [987654], [])  # ids that do not exist are skipped
    assert writes.members_subgraph(store, group.id).artifacts == []
    writes.delete_context(store, group.id)
    assert writes.find(store, "members") is None


def test_tensorboard_tree_and_points(store: Store) -> None:
    where = "projects/p/locations/l"
    board = tensorboards.create(
        store,
        kind="tensorboard",
        location=where,
        parent_path="",
        resource_id=None,
        display_name="b",
        body={"isDefault": True},
    )
    assert board.path == f"tensorboards/{board.id}"
    run = tensorboards.create(
        store,
        kind="run",
        location=where,
        parent_path=board.path,
        resource_id="r",
        display_name="r",
        body={},
    )
    with pytest.raises(AlreadyExistsError):
        tensorboards.create(
            store,
            kind="run",
            location=where,
            parent_path=board.path,
            resource_id="r",
            display_name="r",
            body={},
        )
    series = tensorboards.create(
        store,
        kind="time_series",
        location=where,
        parent_path=run.path,
        resource_id=None,
        display_name="loss",
        body={},
    )
    when = datetime(2026, 1, 1, tzinfo=timezone.utc)
    tensorboards.add_points(
        store,
        [(series.id, tensorboards.Point(s, v, when)) for s, v in ((2, 0.2), (1, 0.5), (2, 0.1))],
    )
    assert [(p.step, p.value) for p in tensorboards.points(store, [series.id])[series.id]] == [
        (1, 0.5),
        (2, 0.1),
    ]
    assert tensorboards.max_steps(store, [series.id])[series.id][0] == 2
    assert [r.path for r in tensorboards.children(store, where, board.path, "run")] == [run.path]
    assert tensorboards.get(store, "projects/q/locations/l", board.path) is None

    tensorboards.delete_tree(store, where, board.path)
    assert tensorboards.get(store, where, series.path) is None
    assert tensorboards.points(store, [series.id]) == {series.id: []}
