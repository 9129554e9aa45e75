"""The state history read back as events after a ``seq`` (both databases)."""

from __future__ import annotations

from tests.store_rows import new_run, new_task

from sluice.events import RunStateChanged, TaskLogAvailable, TaskStateChanged
from sluice.states import RunState, TaskState
from sluice.store.history import HistoryRepository
from sluice.store.repository import Store


def test_events_after_a_seq_are_the_published_ones(store: Store) -> None:
    published: list[object] = []
    with store.events.subscribe(published.append):
        first = new_run(store, name="first").id
        other = new_run(store, name="other").id
        task = new_task(store, first).id
        store.transition_run(first, RunState.RUNNING, started=True)
        store.transition_task(task, TaskState.RUNNING, attempts=1, log_path="/tmp/t.log")
        store.transition_task(task, TaskState.SUCCEEDED, finished=True)
        store.transition_run(first, RunState.SUCCEEDED, finished=True)
        store.transition_run(other, RunState.CANCELED, finished=True)
    history = HistoryRepository(store)
    # Everything, in order, equal to what the bus carried (times aside).
    replayed = history.events_after(0)
    assert [(type(e), e.seq, e.run_id) for e in replayed] == [
        (type(e), e.seq, e.run_id)
        for e in published  # type: ignore[attr-defined]
    ]
    assert [e.seq for e in replayed] == sorted(e.seq for e in replayed)
    # One run's, after a seq: exactly the rest.
    of_first = history.events_after(0, run_id=first)
    assert {e.run_id for e in of_first} == {first}
    middle = of_first[2].seq
    rest = history.events_after(middle, run_id=first)
    assert rest == [e for e in of_first if e.seq > middle]
    kinds = [(type(e).__name__, getattr(e, "state", None)) for e in of_first]
    assert kinds == [
        ("RunStateChanged", RunState.PENDING),
        ("TaskStateChanged", TaskState.PENDING),
        ("RunStateChanged", RunState.RUNNING),
        ("TaskStateChanged", TaskState.RUNNING),
        ("TaskLogAvailable", None),
        ("TaskStateChanged", TaskState.SUCCEEDED),
        ("RunStateChanged", RunState.SUCCEEDED),
    ]
    log = next(e for e in of_first if isinstance(e, TaskLogAvailable))
    assert log.log_path == "/tmp/t.log" and log.attempt == 1
    done = next(e for e in of_first if isinstance(e, TaskStateChanged))
    assert done.path == "t" and done.at is not None and done.at.tzinfo is not None
    assert isinstance(of_first[0], RunStateChanged)
    assert history.last_seq() == replayed[-1].seq
    assert history.last_seq(first) == of_first[-1].seq
    assert history.events_after(0, limit=2) == replayed[:2]
