"""Run names: generated ones never collide, taken or invalid ones are refused up front."""

import itertools
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from kfp import dsl
from sqlalchemy import func, select

from sluice.engine import runner
from sluice.engine.runner import RunOptions, create_run, default_run_name
from sluice.errors import InvalidArgumentError, RunNameTakenError
from sluice.names import RUN_NAME_PATTERN
from sluice.spec.loader import LoadedPipeline, load_pipeline
from sluice.store.models import RunRow
from sluice.store.repository import Store


@dsl.component
def hello() -> str:
    return "hi"


@dsl.pipeline(name="names")
def names_pipeline() -> None:
    hello()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh store on each supported database."""
    if request.param == "sqlite":
        yield Store(f"sqlite:///{tmp_path / 'sluice.db'}")
    else:
        yield Store(request.getfixturevalue("postgres_url"))


@pytest.fixture(scope="module")
def loaded() -> LoadedPipeline:
    return load_pipeline(names_pipeline)


def _create(store: Store, loaded: LoadedPipeline, run_name: str | None = None) -> RunRow:
    return create_run(
        store, loaded, {}, pipeline_root="/tmp/root", run_name=run_name, options=RunOptions()
    )


def _count(store: Store) -> int:
    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(RunRow)) or 0)


def test_a_generated_name_that_is_taken_is_drawn_again(
    store: Store, loaded: LoadedPipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first name drawn is already a run's (what losing the race to another request
    # looks like at insert time): the run gets the next name instead of a 409.
    _create(store, loaded, run_name="names-1")
    drawn = iter(["names-1", "names-2"])
    monkeypatch.setattr(runner, "default_run_name", lambda *_args: next(drawn))
    row = _create(store, loaded)
    assert row.name == "names-2"
    assert _count(store) == 2


def test_concurrent_creations_with_colliding_names_all_succeed(
    store: Store, loaded: LoadedPipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every generated name is handed out twice, to whichever threads draw next: half the
    # inserts collide with another thread's, and every run must still be created.
    counter = itertools.count()
    lock = threading.Lock()

    def colliding(*_args: object) -> str:
        with lock:
            return f"names-{next(counter) // 2}"

    monkeypatch.setattr(runner, "default_run_name", colliding)
    monkeypatch.setattr(runner, "_NAME_ATTEMPTS", 1000)
    threads, per_thread = 6, 5
    barrier = threading.Barrier(threads)
    created: list[str] = []
    errors: list[BaseException] = []

    def work() -> None:
        barrier.wait(timeout=30)
        try:
            for _ in range(per_thread):
                created.append(_create(store, loaded).name)
        except BaseException as exc:  # reported below
            errors.append(exc)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert not errors, errors
    assert len(created) == len(set(created)) == threads * per_thread
    assert _count(store) == threads * per_thread


def test_generated_names_keep_the_pipeline_name_and_are_valid_run_names() -> None:
    name = default_run_name("my-pipeline")
    assert name.startswith("my-pipeline-")
    # <pipeline>-<YYYYmmdd>-<HHMMSS>-<8 hex>
    assert len(name.rsplit("-", 1)[1]) == 8
    assert RUN_NAME_PATTERN.fullmatch(name)
    # A spec's pipeline name can be anything; the run name (a path component) cannot.
    odd = default_run_name("../../etc/Spaced Name")
    assert RUN_NAME_PATTERN.fullmatch(odd) and ".." not in odd and "/" not in odd


def test_a_taken_run_name_is_refused(store: Store, loaded: LoadedPipeline) -> None:
    _create(store, loaded, run_name="dup1")
    with pytest.raises(RunNameTakenError, match="'dup1' already exists"):
        _create(store, loaded, run_name="dup1")
    assert _count(store) == 1


@pytest.mark.parametrize("bad", ["../x", "a/b", "", ".hidden", "has space", "x" * 129])
def test_an_invalid_run_name_is_refused(tmp_path: Path, loaded: LoadedPipeline, bad: str) -> None:
    store = Store(f"sqlite:///{tmp_path / 'sluice.db'}")
    with pytest.raises(InvalidArgumentError, match="letters, digits"):
        _create(store, loaded, run_name=bad)
    assert _count(store) == 0


def test_submit_with_a_taken_run_name_raises_before_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sluice

    monkeypatch.setenv("SLUICE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SLUICE_DB_URL", raising=False)
    assert sluice.run(names_pipeline, run_name="dup1").state == "SUCCEEDED"
    with pytest.raises(RunNameTakenError, match="'dup1' already exists"):
        sluice.submit(names_pipeline, run_name="dup1")
    assert [r.name for r in sluice.list_runs()] == ["dup1"]
