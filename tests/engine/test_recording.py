"""What the engine records for metadata: digests, cache keys, cache-hit events, experiments."""

import hashlib
from pathlib import Path

import pytest
from kfp import dsl
from sqlalchemy import select

import sluice
from sluice.config import Settings
from sluice.store.models import (
    ArtifactRow,
    AssociationRow,
    AttributionRow,
    ContextRow,
    EventRow,
    ExecutionRow,
)
from sluice.store.repository import Store


@dsl.component
def make(text: str, out: dsl.Output[dsl.Dataset]) -> None:
    with open(out.path, "w") as f:
        f.write(text)


@dsl.component
def use(data: dsl.Input[dsl.Dataset]) -> int:
    with open(data.path) as f:
        return len(f.read())


@dsl.pipeline
def produce_consume(text: str = "abc") -> int:
    made = make(text=text)
    return use(data=made.outputs["out"]).output


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setenv("SLUICE_HOME", str(tmp_path / "home"))
    return Store(Settings.from_env().db_url)


def test_small_outputs_get_a_content_digest(store: Store) -> None:
    run = sluice.run(produce_consume, enable_caching=False)
    assert run.state == "SUCCEEDED", run.error
    with store.session() as session:
        artifact = session.scalars(select(ArtifactRow).where(ArtifactRow.name == "out")).one()
    expected = hashlib.sha256(b"abc").hexdigest()
    assert artifact.digest == f"sha256:{expected}"


def test_cache_hit_links_to_the_original_and_republishes_outputs(store: Store) -> None:
    first = sluice.run(produce_consume, enable_caching=True)
    second = sluice.run(produce_consume, enable_caching=True)
    assert [t.state for t in second.tasks] == ["CACHED", "CACHED"]
    with store.session() as session:
        executions = session.scalars(
            select(ExecutionRow).where(ExecutionRow.component_name == "comp-make")
        ).all()
        original = next(e for e in executions if e.run_id == first.id)
        hit = next(e for e in executions if e.run_id == second.id)
        assert hit.state == "CACHED"
        assert hit.cached_execution_id == original.id
        assert hit.cache_key == original.cache_key
        assert hit.cache_key["inputParameterValues"] == {"text": "abc"}
        outputs = session.scalars(
            select(EventRow.artifact_id).where(
                EventRow.execution_id == hit.id, EventRow.type == "OUTPUT"
            )
        ).all()
        produced = session.scalars(
            select(EventRow.artifact_id).where(
                EventRow.execution_id == original.id, EventRow.type == "OUTPUT"
            )
        ).all()
        assert outputs == produced and len(outputs) == 1


def test_experiment_context_holds_the_runs_work(store: Store) -> None:
    run = sluice.run(produce_consume, enable_caching=False, experiment="tuning")
    assert run.state == "SUCCEEDED"
    with store.session() as session:
        context = session.scalars(
            select(ContextRow).where(
                ContextRow.type == "system.Experiment", ContextRow.name == "tuning"
            )
        ).one()
        executions = session.scalars(
            select(AssociationRow.execution_id).where(AssociationRow.context_id == context.id)
        ).all()
        artifacts = session.scalars(
            select(AttributionRow.artifact_id).where(AttributionRow.context_id == context.id)
        ).all()
    assert len(executions) == 2
    assert len(artifacts) == 1


@dsl.component
def measure(text: str) -> int:
    return len(text)


@dsl.pipeline
def measure_twice(text: str = "abcd") -> int:
    first = measure(text=text)
    second = measure(text=text).after(first)
    return second.output


def test_a_task_is_a_cache_hit_of_an_identical_earlier_task_of_the_same_run(
    store: Store,
) -> None:
    # The earlier task's end is held for the next write (one commit per task): the cache
    # lookup of the later one must still find it ended.
    run = sluice.run(measure_twice, enable_caching=True)
    assert run.state == "SUCCEEDED", run.error
    assert [t.state for t in run.tasks if t.kind == "container"] == ["SUCCEEDED", "CACHED"]
    assert run.outputs["Output"] == 4
    with store.session() as session:
        states = session.scalars(
            select(ExecutionRow.state).where(ExecutionRow.run_id == run.id)
        ).all()
    assert sorted(states) == ["CACHED", "COMPLETE"]


def test_every_end_is_committed_when_the_run_returns(store: Store) -> None:
    run = sluice.run(measure_twice, enable_caching=False)
    assert run.state == "SUCCEEDED", run.error
    with store.session() as session:
        executions = session.scalars(
            select(ExecutionRow).where(ExecutionRow.run_id == run.id)
        ).all()
        assert [e.state for e in executions] == ["COMPLETE", "COMPLETE"]
        assert all(e.finished_at is not None for e in executions)
        assert [e.output_parameters for e in executions] == [{"Output": 4}, {"Output": 4}]
    assert [t.state for t in store.tasks_of_run(run.id) if t.kind == "container"] == [
        "SUCCEEDED",
        "SUCCEEDED",
    ]
