"""Metadata read queries (lists, pages, gets, contexts, lineage) on every database.

Covers sluice.store.metadata_queries, sluice.store.lineage_subgraph and sluice.store.pagination.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import update
from tests.states import move_run, move_task
from tests.store_rows import new_run, new_task

from sluice.errors import InvalidQueryError
from sluice.store import metadata_queries as q
from sluice.store.lineage_subgraph import lineage
from sluice.store.models import ArtifactRow, ExecutionRow
from sluice.store.repository import Store


@dataclass
class Graph:
    """A small run: import → preprocess → train → evaluate, plus a side branch.

    raw ──imp──> raw; raw ─pre─> ds; ds ─train─> model; (model, ds) ─eval─> metrics;
    raw ─side─> side.
    """

    run_id: str
    run_name: str
    artifacts: dict[str, int]
    executions: dict[str, int]


def _run(store: Store, name: str, pipeline: str = "pipe") -> str:
    run_id = new_run(store, name=name, pipeline_name=pipeline).id
    move_run(store, run_id, "RUNNING")
    return run_id


def _execute(
    store: Store,
    run_id: str,
    path: str,
    inputs: dict[str, list[int]],
    outputs: dict[str, list[str]],
    artifacts: dict[str, int],
    *,
    type_: str = "system.ContainerExecution",
    schema: str = "system.Dataset",
) -> int:
    task = new_task(
        store,
        run_id,
        name=path.rsplit("/", 1)[-1],
        path=path,
        display_name=path,
        component_name=f"comp-{path}",
    )
    move_task(store, task.id, "RUNNING")
    execution = store.create_execution(
        run_id=run_id,
        task_id=task.id,
        pipeline_name="pipe",
        component_name=f"comp-{path}",
        type_=type_,
        attempt=1,
        state="RUNNING",
        input_parameters={"p": path},
        fingerprint=None,
        cache_enabled=False,
        input_artifacts=inputs,
    )
    produced: dict[str, list[int]] = {}
    for output, names in outputs.items():
        for name in names:
            artifacts[name] = store.create_artifact(
                uri=f"/data/{name}",
                name=output,
                schema_title=schema,
                schema_version="0.0.1",
                metadata={"label": name},
                run_id=run_id,
                producer_task_id=task.id,
            )
            produced.setdefault(output, []).append(artifacts[name])
    store.finish_execution(execution, state="COMPLETE", output_artifacts=produced)
    return execution


def _graph(store: Store) -> Graph:
    run_id = _run(store, "run-one")
    a: dict[str, int] = {}
    e = {
        "imp": _execute(
            store,
            run_id,
            "importer",
            {},
            {"artifact": ["raw"]},
            a,
            type_="system.ImporterExecution",
        )
    }
    e["pre"] = _execute(store, run_id, "pre", {"data": [a["raw"]]}, {"out": ["ds"]}, a)
    e["train"] = _execute(
        store, run_id, "train", {"data": [a["ds"]]}, {"model": ["model"]}, a, schema="system.Model"
    )
    e["eval"] = _execute(
        store,
        run_id,
        "loop[0]/eval",
        {"model": [a["model"]], "data": [a["ds"]]},
        {"metrics": ["metrics"]},
        a,
        schema="system.Metrics",
    )
    e["side"] = _execute(store, run_id, "side", {"data": [a["raw"]]}, {"out": ["side"]}, a)
    return Graph(run_id, "run-one", a, e)


def _ids(rows: list[ArtifactRow]) -> set[int]:
    return {row.id for row in rows}


def test_lineage_upstream_follows_producers_and_their_inputs(store: Store) -> None:
    g = _graph(store)
    a, e = g.artifacts, g.executions
    sub = lineage(store, [a["model"]], direction="upstream")
    assert _ids(sub.artifacts) == {a["model"], a["ds"], a["raw"]}
    assert [x.row.id for x in sub.executions] == sorted([e["train"], e["pre"], e["imp"]])
    edges = {(ev.type, ev.artifact_id, ev.execution_id) for ev in sub.events}
    assert edges == {
        ("OUTPUT", a["model"], e["train"]),
        ("INPUT", a["ds"], e["train"]),
        ("OUTPUT", a["ds"], e["pre"]),
        ("INPUT", a["raw"], e["pre"]),
        ("OUTPUT", a["raw"], e["imp"]),
    }
    importer = next(x for x in sub.executions if x.row.id == e["imp"])
    assert importer.row.type == "system.ImporterExecution"
    assert importer.task_path == "importer"


def test_lineage_downstream_and_both(store: Store) -> None:
    g = _graph(store)
    a, e = g.artifacts, g.executions
    down = lineage(store, [a["raw"]], direction="downstream")
    assert _ids(down.artifacts) == {a["raw"], a["ds"], a["side"], a["model"], a["metrics"]}
    assert {x.row.id for x in down.executions} == {e["pre"], e["side"], e["train"], e["eval"]}
    assert e["imp"] not in {ev.execution_id for ev in down.events}
    assert len(down.events) == 9  # pre 2, side 2, train 2, eval 3 (its inputs model and ds)
    both = lineage(store, [a["ds"]], direction="both")
    # Upstream of ds: pre, raw, imp. Downstream: train, eval, model, metrics. Not "side",
    # which only shares an input with ds's producer.
    assert _ids(both.artifacts) == {a["ds"], a["raw"], a["model"], a["metrics"]}
    assert {x.row.id for x in both.executions} == {e["pre"], e["imp"], e["train"], e["eval"]}


def test_lineage_max_hops_counts_edges(store: Store) -> None:
    g = _graph(store)
    a, e = g.artifacts, g.executions
    zero = lineage(store, [a["model"]], direction="upstream", max_hops=0)
    assert (_ids(zero.artifacts), zero.executions, zero.events) == ({a["model"]}, [], [])
    one = lineage(store, [a["model"]], direction="upstream", max_hops=1)
    assert _ids(one.artifacts) == {a["model"]}
    assert [x.row.id for x in one.executions] == [e["train"]]
    assert len(one.events) == 1
    two = lineage(store, [a["model"]], direction="upstream", max_hops=2)
    assert _ids(two.artifacts) == {a["model"], a["ds"]}
    three = lineage(store, [a["model"]], direction="upstream", max_hops=3)
    assert {x.row.id for x in three.executions} == {e["train"], e["pre"]}
    assert _ids(three.artifacts) == {a["model"], a["ds"]}
    full = lineage(store, [a["model"]], direction="upstream", max_hops=100)
    assert _ids(full.artifacts) == {a["model"], a["ds"], a["raw"]}


def test_lineage_rejects_bad_arguments(store: Store) -> None:
    with pytest.raises(InvalidQueryError, match="direction"):
        lineage(store, [1], direction="sideways")
    with pytest.raises(InvalidQueryError, match="max_hops"):
        lineage(store, [1], max_hops=-1)


def test_execution_events_and_artifacts_are_ordered(store: Store) -> None:
    g = _graph(store)
    a, e = g.artifacts, g.executions
    events = q.events_of_execution(store, e["eval"])
    assert [(ev.type, ev.name) for ev in events] == [
        ("INPUT", "data"),
        ("INPUT", "model"),
        ("OUTPUT", "metrics"),
    ]
    inputs = q.artifacts_of_execution(store, e["eval"], "INPUT")
    assert [row.id for row in inputs] == [a["ds"], a["model"]]  # by event name
    outputs = q.artifacts_of_execution(store, e["eval"], "OUTPUT")
    assert [row.id for row in outputs] == [a["metrics"]]
    entry = q.get_execution(store, e["eval"])
    assert entry is not None and entry.task_path == "loop[0]/eval"
    assert q.get_execution(store, 10**9) is None


def test_contexts_by_id_name_and_run_name(store: Store) -> None:
    g = _graph(store)
    run_ctx = q.get_context(store, g.run_id)
    assert run_ctx is not None and run_ctx.type == "system.PipelineRun"
    by_run_name = q.get_context(store, g.run_name)
    assert by_run_name is not None and by_run_name.id == run_ctx.id
    pipe = q.get_context(store, "pipe")
    assert pipe is not None and pipe.type == "system.Pipeline"
    by_id = q.get_context(store, pipe.id)
    assert by_id is not None and by_id.name == "pipe"
    assert q.get_context(store, "no-such") is None
    assert _ids(q.artifacts_of_context(store, run_ctx.id)) == set(g.artifacts.values())
    executions = q.executions_of_context(store, pipe.id)
    assert [x.row.id for x in executions] == sorted(g.executions.values())
    page = q.list_contexts(store)
    assert {c.type for c in page.items} == {"system.Pipeline", "system.PipelineRun"}


def test_artifact_by_uri_is_the_newest(store: Store) -> None:
    run_id = _run(store, "r")
    ids = [
        store.create_artifact(
            uri="/same",
            name="x",
            schema_title="system.Artifact",
            schema_version="0.0.1",
            metadata={},
            run_id=run_id,
            producer_task_id=None,
        )
        for _ in range(3)
    ]
    found = q.get_artifact_by_uri(store, "/same")
    assert found is not None and found.id == ids[-1]
    assert q.get_artifact_by_uri(store, "/other") is None
    q.set_artifact_digest(store, ids[0], "sha256:" + "0" * 64)
    row = q.get_artifact(store, ids[0])
    assert row is not None and row.digest == "sha256:" + "0" * 64


def _many_artifacts(store: Store, n: int, *, same_time: bool = False) -> list[int]:
    run_id = _run(store, "many")
    ids = [
        store.create_artifact(
            uri=f"/a/{i}",
            name=f"a{i % 3}",
            schema_title="system.Model" if i % 2 else "system.Dataset",
            schema_version="0.0.1",
            metadata={"i": i},
            run_id=run_id,
            producer_task_id=None,
        )
        for i in range(n)
    ]
    base = datetime(2024, 1, 1, tzinfo=timezone.utc)
    with store.session() as session:
        for i, artifact_id in enumerate(ids):
            when = base if same_time else base + timedelta(seconds=i // 2)  # pairs tie
            session.execute(
                update(ArtifactRow).where(ArtifactRow.id == artifact_id).values(created_at=when)
            )
    return ids


def _all_pages(store: Store, limit: int, **kwargs: str) -> list[list[int]]:
    pages, token = [], None
    while True:
        page = q.list_artifacts(store, limit=limit, page_token=token, **kwargs)
        pages.append([row.id for row in page.items])
        token = page.next_page_token
        if token is None:
            return pages


@pytest.mark.parametrize("same_time", [False, True])
def test_pages_cover_every_row_once_in_order(store: Store, same_time: bool) -> None:
    ids = _many_artifacts(store, 25, same_time=same_time)
    pages = _all_pages(store, 10)
    assert [len(p) for p in pages] == [10, 10, 5]
    flat = [i for p in pages for i in p]
    assert flat == sorted(ids, reverse=True)  # newest first, ties by id
    assert q.list_artifacts(store, limit=100).items[0].id == ids[-1]


def test_pages_with_filter_and_ascending_order(store: Store) -> None:
    ids = _many_artifacts(store, 21)
    models = [i for n, i in enumerate(ids) if n % 2]
    pages = _all_pages(store, 4, filter='schema_title = "system.Model"', order_by="create_time")
    assert [i for p in pages for i in p] == models
    # Mixed directions: names ascending, then newest first inside a name.
    page = q.list_artifacts(store, order_by="name, create_time desc", limit=50)
    expected = sorted(page.items, key=lambda row: (row.name, -row.created_at.timestamp(), -row.id))
    assert [r.id for r in page.items] == [r.id for r in expected]
    pages = _all_pages(store, 3, order_by="name, create_time desc")
    assert [i for p in pages for i in p] == [r.id for r in expected]


def test_pages_over_a_nullable_key(store: Store) -> None:
    """Executions still running have no finish time: NULLs come last on both databases."""
    g = _graph(store)
    running = store.create_execution(
        run_id=g.run_id,
        task_id=store.tasks_of_run(g.run_id)[0].id,
        pipeline_name="pipe",
        component_name="comp-x",
        type_="system.ContainerExecution",
        attempt=2,
        state="RUNNING",
        input_parameters={},
        fingerprint=None,
        cache_enabled=False,
    )
    with store.session() as session:
        session.execute(
            update(ExecutionRow).where(ExecutionRow.id != running).values(finished_at=None)
        )
        session.execute(
            update(ExecutionRow)
            .where(ExecutionRow.id == g.executions["train"])
            .values(finished_at=datetime(2030, 1, 1, tzinfo=timezone.utc))
        )
    everything: list[int] = []
    token = None
    while True:
        page = q.list_executions(store, order_by="update_time desc", limit=2, page_token=token)
        everything += [entry.row.id for entry in page.items]
        token = page.next_page_token
        if token is None:
            break
    # The one with a finish time first; the NULLs after it, by id descending.
    rest = sorted((set(g.executions.values()) | {running}) - {g.executions["train"]}, reverse=True)
    assert everything == [g.executions["train"], *rest]


def test_bad_limits_and_tokens(store: Store) -> None:
    _many_artifacts(store, 5)
    with pytest.raises(InvalidQueryError, match="limit"):
        q.list_artifacts(store, limit=0)
    token = q.list_artifacts(store, limit=2).next_page_token
    assert token is not None
    with pytest.raises(InvalidQueryError, match="another query"):
        q.list_artifacts(store, order_by="create_time", limit=2, page_token=token)
    with pytest.raises(InvalidQueryError, match="another query"):
        q.list_executions(store, limit=2, page_token=token)
    with pytest.raises(InvalidQueryError, match="malformed"):
        q.list_artifacts(store, limit=2, page_token="not-a-token")


def test_pages_over_a_metadata_number_with_missing_keys(store: Store) -> None:
    """A JSON sort key: rows without the key (NULL) come last, and pages still tile."""
    ids = _many_artifacts(store, 12)
    run_id = _run(store, "no-key")
    bare = [
        store.create_artifact(
            uri=f"/bare/{i}",
            name="bare",
            schema_title="system.Artifact",
            schema_version="0.0.1",
            metadata={"other": i},
            run_id=run_id,
            producer_task_id=None,
        )
        for i in range(3)
    ]
    order = "metadata.i.number_value desc"
    pages = _all_pages(store, 5, order_by=order)
    assert [len(p) for p in pages] == [5, 5, 5]
    # i descending, then the rows without "i" by id descending (id follows the first key).
    assert [i for p in pages for i in p] == [*reversed(ids), *reversed(bare)]
