"""Experiments in the store, the same on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from tests.store_rows import new_run

from sluice.store.experiments import ExperimentRepository
from sluice.store.listing import ListQuery, Predicate
from sluice.store.models import RecurringRunRow
from sluice.store.repository import Store, new_id


def test_get_or_create_is_idempotent_per_namespace(store: Store) -> None:
    repo = ExperimentRepository(store)
    first = repo.get_or_create("", "Default")
    assert repo.get_or_create("", "Default").id == first.id
    other = repo.get_or_create("team-a", "Default", "theirs")
    assert other.id != first.id
    assert other.description == "theirs"
    assert repo.named("team-a", "Default") is not None
    assert repo.get(first.id) is not None
    assert repo.get("nope") is None


def test_archiving_archives_runs_and_disables_recurring_runs(store: Store) -> None:
    repo = ExperimentRepository(store)
    exp = repo.get_or_create("", "e")
    run_id = new_run(store, experiment_id=exp.id).id
    recurring = RecurringRunRow(id=new_id(), display_name="nightly", experiment_id=exp.id)
    with store.session() as session:
        session.add(recurring)

    repo.set_storage_state(exp.id, "ARCHIVED")
    run = store.get_run(run_id)
    assert run is not None and run.storage_state == "ARCHIVED"
    with store.session() as session:
        stored = session.get(RecurringRunRow, recurring.id)
        assert stored is not None and stored.status == "DISABLED"

    repo.set_storage_state(exp.id, "AVAILABLE")  # its runs stay archived, as in KFP
    again = repo.get(exp.id)
    assert again is not None and again.storage_state == "AVAILABLE"
    run = store.get_run(run_id)
    assert run is not None and run.storage_state == "ARCHIVED"


def test_pages_filters_and_namespaces(store: Store) -> None:
    repo = ExperimentRepository(store)
    for name in ("a", "b", "c"):
        repo.get_or_create("", name)
    repo.get_or_create("elsewhere", "z")
    page = repo.page(ListQuery(sort_key="display_name", limit=2))
    assert [r.display_name for r in page.rows] == ["a", "b"]
    assert (page.total_size, page.next_offset) == (4, 2)
    last = repo.page(ListQuery(sort_key="display_name", offset=2, limit=2))
    assert [r.display_name for r in last.rows] == ["c", "z"] and last.next_offset is None
    # An empty namespace means every namespace, as in KFP.
    assert [r.display_name for r in repo.page(ListQuery(), namespace="elsewhere").rows] == ["z"]
    everywhere = repo.page(ListQuery(sort_key="display_name", descending=True))
    assert [r.display_name for r in everywhere.rows] == ["z", "c", "b", "a"]
    only_b = repo.page(ListQuery(predicates=[Predicate("name", "IN", ["b", "q"], True)]))
    assert [r.display_name for r in only_b.rows] == ["b"]


def test_delete_keeps_the_runs_and_records_run_creation(store: Store) -> None:
    repo = ExperimentRepository(store)
    exp = repo.get_or_create("", "gone")
    run_id = new_run(store, experiment_id=exp.id).id
    run = store.get_run(run_id)
    assert run is not None
    repo.record_run_created(exp.id, run.created_at)
    stored = repo.get(exp.id)
    assert stored is not None and stored.last_run_created_at is not None
    repo.delete(exp.id)
    repo.delete(exp.id)  # deleting what is gone is not an error
    assert repo.get(exp.id) is None
    assert store.get_run(run_id) is not None


@pytest.mark.parametrize("storage", ["ARCHIVED", "AVAILABLE"])
def test_storage_state_of_a_missing_experiment_writes_nothing(store: Store, storage: str) -> None:
    ExperimentRepository(store).set_storage_state("missing", storage)
    assert ExperimentRepository(store).page(ListQuery()).total_size == 0
