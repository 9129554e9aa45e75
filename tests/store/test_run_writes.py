"""A run's creation in Core statements: complete rows, shared contexts created once."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from sluice.states import RunState
from sluice.store.models import ContextRow, ExperimentRow, RunRow, as_utc
from sluice.store.repository import Store


def _create(store: Store, name: str, **fields: object) -> RunRow:
    return store.create_run(
        name=name,
        display_name=f"shown {name}",
        pipeline_name="shared-pipe",
        pipeline_spec={"pipeline_spec": {"root": {}}},
        arguments={"n": 1},
        pipeline_root="/tmp/root",
        options={"executor": "local"},
        state=RunState.PENDING,
        experiment="shared-exp",
        **fields,
    )


def test_the_returned_row_is_the_stored_row(store: Store) -> None:
    experiment = ExperimentRow(id="e" * 32, display_name="shared-exp")
    with store.session() as session:
        session.add(experiment)
    row = _create(store, "r1", experiment_id="e" * 32, executed_by="server", labels={"a": "b"})
    stored = store.get_run(row.id)
    assert stored is not None
    for column in RunRow.__table__.columns:
        mine, theirs = getattr(row, column.name), getattr(stored, column.name)
        if column.name.endswith("_at") and mine is not None:
            assert theirs is not None, column.name
            assert abs((as_utc(mine) - as_utc(theirs)).total_seconds()) < 1e-3, column.name
        else:
            assert mine == theirs, column.name
    assert row.run_context_id and row.pipeline_context_id and row.experiment_context_id
    (history,) = store.state_history(row.id)
    assert history.state == "PENDING"
    assert abs((as_utc(history.at) - as_utc(row.created_at)).total_seconds()) < 1e-3
    with store.session() as session:
        touched = session.get(ExperimentRow, "e" * 32)
        assert touched is not None and touched.last_run_created_at is not None


def test_concurrent_creators_share_one_pipeline_and_experiment_context(store: Store) -> None:
    rows: list[RunRow] = []
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def create(i: int) -> None:
        start.wait()
        try:
            rows.append(_create(store, f"run-{i}"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=create, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len({r.pipeline_context_id for r in rows}) == 1
    assert len({r.experiment_context_id for r in rows}) == 1
    assert len({r.run_context_id for r in rows}) == 8
    with store.session() as session:
        counts = dict(
            session.execute(select(ContextRow.type, func.count()).group_by(ContextRow.type)).all()
        )
    assert counts == {"system.Pipeline": 1, "system.Experiment": 1, "system.PipelineRun": 8}
