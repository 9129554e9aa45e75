"""Pipelines and versions in the store, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sluice.errors import AlreadyExistsError, FailedPreconditionError
from sluice.store.listing import ListQuery
from sluice.store.models import PipelineRow, PipelineVersionRow, utcnow
from sluice.store.pipelines import PipelineRepository
from sluice.store.repository import Store, new_id


def _pipeline(name: str, namespace: str = "") -> PipelineRow:
    return PipelineRow(id=new_id(), name=name, display_name=name, namespace=namespace)


def _version(pipeline_id: str, name: str, minutes: int = 0) -> PipelineVersionRow:
    return PipelineVersionRow(
        id=new_id(),
        pipeline_id=pipeline_id,
        name=name,
        display_name=name,
        pipeline_spec={"pipeline_spec": {}, "platform_spec": None},
        created_at=utcnow() + timedelta(minutes=minutes),
    )


def test_a_pipeline_and_its_first_version_are_written_together(store: Store) -> None:
    repo = PipelineRepository(store)
    first = _pipeline("p")
    repo.add(first, _version(first.id, "v1"))
    twin = _pipeline("p")
    with pytest.raises(AlreadyExistsError, match="a pipeline named 'p' already exists"):
        repo.add(twin, _version(twin.id, "v1"))
    assert repo.get(twin.id) is None
    assert repo.version_count(first.id) == 1
    named = repo.named("", "p")
    assert named is not None and named.id == first.id
    assert repo.named("other", "p") is None
    repo.add(_pipeline("p", namespace="other"))  # names are unique per namespace


def test_versions_latest_and_duplicate_names(store: Store) -> None:
    repo = PipelineRepository(store)
    pipeline = _pipeline("p")
    repo.add(pipeline)
    assert repo.latest_version(pipeline.id) is None
    old, new = _version(pipeline.id, "old", 0), _version(pipeline.id, "new", 5)
    repo.add_version(new)
    repo.add_version(old)
    latest = repo.latest_version(pipeline.id)
    assert latest is not None and latest.id == new.id
    with pytest.raises(AlreadyExistsError, match="version named 'old'"):
        repo.add_version(_version(pipeline.id, "old"))
    page = repo.list_versions(pipeline.id, ListQuery(sort_key="created_at"))
    assert [v.name for v in page.rows] == ["old", "new"]
    repo.delete_version(old.id)
    assert repo.get_version(old.id) is None
    assert repo.version_count(pipeline.id) == 1


def test_delete_needs_cascade_while_versions_exist(store: Store) -> None:
    repo = PipelineRepository(store)
    pipeline = _pipeline("p")
    repo.add(pipeline, _version(pipeline.id, "v1"))
    with pytest.raises(FailedPreconditionError, match="has 1 version"):
        repo.delete(pipeline.id, cascade=False)
    assert repo.get(pipeline.id) is not None
    repo.delete(pipeline.id, cascade=True)
    assert repo.get(pipeline.id) is None
    assert repo.version_count(pipeline.id) == 0


def test_pipeline_pages_by_namespace(store: Store) -> None:
    repo = PipelineRepository(store)
    for name in ("b", "a"):
        repo.add(_pipeline(name))
    repo.add(_pipeline("c", namespace="ns"))
    page = repo.page(ListQuery(sort_key="name", limit=2))
    assert [p.name for p in page.rows] == ["a", "b"] and page.next_offset == 2
    assert repo.page(ListQuery(), namespace="ns").total_size == 1
