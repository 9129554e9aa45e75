"""Creating a run: checked once, written in one transaction, owned by the server's worker.

(No ``from __future__ import annotations``: kfp reads the real annotations.)
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kfp import dsl
from sqlalchemy import event

from sluice.config import Settings
from sluice.service.experiments import ExperimentService
from sluice.service.runs import RunService, prepare_run
from sluice.spec.loader import load_pipeline
from sluice.store.repository import Store


@dsl.component(base_image="python:3.11")
def one() -> int:
    return 1


@dsl.pipeline(name="one")
def one_pipeline() -> int:
    return one().output


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    home = tmp_path / "home"
    home.mkdir()
    if request.param == "sqlite":
        yield Settings(home=home, db_url=f"sqlite:///{home / 'sluice.db'}")
    else:
        yield Settings(home=home, db_url=request.getfixturevalue("postgres_url"))


def _transactions_that_write(store: Store) -> tuple[list[int], Any]:
    """A list that gets, per INSERT/UPDATE/DELETE, the number of its transaction."""
    written: list[int] = []
    count = [0]

    def begin(_connection: object) -> None:
        count[0] += 1

    def executed(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        if statement.lstrip().split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            written.append(count[0])

    event.listen(store.engine, "begin", begin)
    event.listen(store.engine, "after_cursor_execute", executed)

    def stop() -> None:
        event.remove(store.engine, "begin", begin)
        event.remove(store.engine, "after_cursor_execute", executed)

    return written, stop


def test_create_writes_the_run_in_one_transaction(settings: Settings) -> None:
    """Run, contexts, history and the experiment's last-run time: one commit, or nothing."""
    store = Store(settings.db_url)
    experiment = ExperimentService(store).resolve(None)  # the default one, created once
    spec = load_pipeline(one_pipeline).to_dict()
    written, stop = _transactions_that_write(store)
    try:
        row = RunService(store, settings).create(
            pipeline=spec, parameters={}, experiment_id=experiment.id
        )
    finally:
        stop()
    assert written and len(set(written)) == 1, written
    assert row.executed_by == "server"
    after = ExperimentService(store).get(experiment.id)
    assert after.last_run_created_at is not None
    assert [t.state for t in store.state_history(row.id)] == ["PENDING"]


def test_runs_sluice_run_creates_are_executed_locally(settings: Settings) -> None:
    """`sluice run` and the Python API record runs their own process executes."""
    _store, row, _settings, _warnings = prepare_run(one_pipeline, {}, settings=settings)
    assert row.executed_by == "local"
