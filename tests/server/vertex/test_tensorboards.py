"""The TensorBoard bookkeeping through the real Vertex AI SDK against a real server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from google.api_core import exceptions
from google.cloud import aiplatform
from google.cloud.aiplatform.metadata import metadata as tracking
from tests.server.vertex.conftest import VertexServer


@pytest.fixture(autouse=True)
def no_experiment_left_set() -> Iterator[None]:
    """The experiment ``init`` sets is the SDK's global state: each test starts without one."""
    tracking._experiment_tracker.reset()
    yield
    tracking._experiment_tracker.reset()


def test_init_with_an_experiment_sets_up_the_default_tensorboard(vertex: VertexServer) -> None:
    vertex.init(experiment="exp-with-tb")  # no experiment_tensorboard=False
    defaults = aiplatform.Tensorboard.list(filter="is_default=true")
    assert len(defaults) == 1
    experiment = aiplatform.Experiment("exp-with-tb")
    assert experiment.backing_tensorboard_resource_name == defaults[0].resource_name

    # A second experiment finds that tensorboard instead of making another.
    vertex.init(experiment="exp-with-tb-2")
    assert [t.resource_name for t in aiplatform.Tensorboard.list(filter="is_default=true")] == [
        defaults[0].resource_name
    ]
    assert aiplatform.Experiment("exp-with-tb-2").backing_tensorboard_resource_name == (
        defaults[0].resource_name
    )


def test_tensorboard_resources_and_scalar_points(vertex: VertexServer) -> None:
    board = aiplatform.Tensorboard.create(display_name="board", labels={"team": "ml"})
    assert aiplatform.Tensorboard(board.resource_name).display_name == "board"
    assert board.resource_name in [
        t.resource_name for t in aiplatform.Tensorboard.list(filter='display_name="board"')
    ]
    experiment = aiplatform.TensorboardExperiment.create(
        tensorboard_experiment_id="tb-exp", tensorboard_name=board.resource_name
    )
    run = aiplatform.TensorboardRun.create(
        tensorboard_run_id="tb-run", tensorboard_experiment_name=experiment.resource_name
    )
    with pytest.raises(exceptions.Conflict, match="tb-run"):
        aiplatform.TensorboardRun.create(
            tensorboard_run_id="tb-run", tensorboard_experiment_name=experiment.resource_name
        )
    run.create_tensorboard_time_series(display_name="loss")
    run.write_tensorboard_scalar_data({"loss": 0.5}, step=1)
    run.write_tensorboard_scalar_data({"loss": 0.25}, step=2)

    data = aiplatform.TensorboardRun(run.resource_name).read_time_series_data()
    assert [(p.step, p.scalar.value) for p in data["loss"].values] == [(1, 0.5), (2, 0.25)]
    assert [r.name for r in aiplatform.TensorboardRun.list(experiment.resource_name)] == ["tb-run"]
    series = aiplatform.TensorboardTimeSeries.list(tensorboard_run_name=run.resource_name)
    assert [s.display_name for s in series] == ["loss"]
    assert series[0].gca_resource.metadata.max_step == 2

    board.delete()
    with pytest.raises(exceptions.NotFound):
        aiplatform.TensorboardRun(run.resource_name)


def test_tensorboard_errors(vertex: VertexServer) -> None:
    with pytest.raises(exceptions.BadRequest, match="colour"):
        aiplatform.Tensorboard.list(filter='colour="red"')
    with pytest.raises(exceptions.NotFound, match="tensorboards/999"):
        aiplatform.Tensorboard("999")
