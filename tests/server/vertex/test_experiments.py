"""Vertex AI Experiments through the real SDK against a real server process: runs with
params and metrics, listing, and the experiment's data frame with pipeline runs in it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import kfp
import pytest
from google.api_core import exceptions
from google.cloud import aiplatform
from google.cloud.aiplatform.metadata import metadata as tracking
from tests.server.pipelines import compile_to
from tests.server.vertex.conftest import VertexServer, wait
from tests.server.vertex.experiment_pipelines import scored


@pytest.fixture(autouse=True)
def no_experiment_left_set() -> Iterator[None]:
    """The experiment ``init`` sets is the SDK's global state: each test starts without one."""
    tracking._experiment_tracker.reset()
    yield
    tracking._experiment_tracker.reset()


def test_runs_params_and_metrics_without_a_tensorboard(vertex: VertexServer) -> None:
    vertex.init(experiment="exp-plain", experiment_tensorboard=False)
    aiplatform.start_run("r1")
    aiplatform.log_params({"lr": 0.1, "optimizer": "adam", "layers": 3})
    aiplatform.log_metrics({"accuracy": 0.9})
    aiplatform.log_metrics({"loss": 0.25})
    aiplatform.end_run()

    with pytest.raises(exceptions.Conflict, match="exp-plain-r1"):
        aiplatform.start_run("r1")
    with aiplatform.start_run("r1", resume=True) as run:
        run.log_metrics({"accuracy": 0.95})
    aiplatform.start_run("r2")
    aiplatform.log_params({"lr": 0.2})
    aiplatform.end_run(state=aiplatform.gapic.Execution.State.FAILED)

    r1 = aiplatform.ExperimentRun("r1", experiment="exp-plain")
    assert r1.get_params() == {"lr": 0.1, "optimizer": "adam", "layers": 3}
    assert r1.get_metrics() == {"accuracy": 0.95, "loss": 0.25}
    assert r1.get_state() == "COMPLETE"
    runs = aiplatform.ExperimentRun.list(experiment="exp-plain")
    assert sorted(r.name for r in runs) == ["r1", "r2"]

    experiment = aiplatform.Experiment("exp-plain")
    assert experiment.name == "exp-plain"
    assert "exp-plain" in [e.name for e in aiplatform.Experiment.list()]
    frame = experiment.get_data_frame().sort_values("run_name")
    assert list(frame["run_name"]) == ["r1", "r2"]
    assert list(frame["state"]) == ["COMPLETE", "FAILED"]
    assert list(frame["param.lr"]) == [0.1, 0.2]
    assert frame["metric.accuracy"].iloc[0] == 0.95

    # The experiment is KFP's too, and deleting it deletes its runs and KFP's.
    client = kfp.Client(host=vertex.url)
    assert client.get_experiment(experiment_name="exp-plain")
    experiment.delete()
    assert aiplatform.Experiment.get("exp-plain") is None
    assert aiplatform.Context.get("exp-plain-r1") is None  # its runs went with it
    with pytest.raises(Exception, match="exp-plain"):
        client.get_experiment(experiment_name="exp-plain")


def test_unknown_experiments_and_runs(vertex: VertexServer) -> None:
    with pytest.raises(exceptions.NotFound):
        aiplatform.Experiment("exp-never-made")
    assert aiplatform.Experiment.get("exp-never-made") is None
    vertex.init(experiment="exp-lonely", experiment_tensorboard=False)
    assert aiplatform.ExperimentRun.get("nobody", experiment="exp-lonely") is None
    assert aiplatform.ExperimentRun.list(experiment="exp-lonely") == []
    assert aiplatform.get_experiment_df().empty


def test_pipeline_runs_are_rows_of_the_experiment(vertex: VertexServer, tmp_path: Path) -> None:
    vertex.init(experiment="exp-pipes", experiment_tensorboard=False)
    aiplatform.start_run("by-hand")
    aiplatform.log_params({"lr": 0.3})
    aiplatform.end_run()
    job = aiplatform.PipelineJob(
        display_name="scored",
        template_path=compile_to(scored, str(tmp_path / "scored.yaml")),
        job_id="exp-pipes-job",
        pipeline_root=str(vertex.home / "root"),
        parameter_values={"lr": 0.25},
    )
    job.submit(experiment="exp-pipes")
    wait(job)

    frame = aiplatform.get_experiment_df().set_index("run_name")
    assert set(frame.index) == {"by-hand", "exp-pipes-job"}
    pipeline_row = frame.loc["exp-pipes-job"]
    assert pipeline_row["run_type"] == "system.PipelineRun"
    assert pipeline_row["param.lr"] == 0.25
    assert pipeline_row["metric.accuracy"] == 0.75
    assert pipeline_row["state"] == "COMPLETE"
    assert frame.loc["by-hand", "run_type"] == "system.ExperimentRun"
    assert frame.loc["by-hand", "param.lr"] == 0.3


def test_a_kfp_experiment_is_a_vertex_experiment(vertex: VertexServer) -> None:
    kfp.Client(host=vertex.url).create_experiment("exp-from-kfp")
    assert aiplatform.Experiment("exp-from-kfp").name == "exp-from-kfp"
    assert "exp-from-kfp" in [e.name for e in aiplatform.Experiment.list()]
    # init finds it rather than creating a second one.
    vertex.init(experiment="exp-from-kfp", experiment_tensorboard=False)
    assert aiplatform.Experiment("exp-from-kfp").resource_name.endswith("/contexts/exp-from-kfp")


def test_time_series_metrics_with_the_default_tensorboard(vertex: VertexServer) -> None:
    vertex.init(experiment="exp-series")  # the TensorBoard bookkeeping, as on Vertex
    with aiplatform.start_run("curve") as run:
        run.log_time_series_metrics({"loss": 0.5}, step=1)
        run.log_time_series_metrics({"loss": 0.25})  # the next step, 2
        run.log_metrics({"accuracy": 0.8})

    series = aiplatform.ExperimentRun("curve", experiment="exp-series").get_time_series_data_frame()
    assert list(series["step"]) == [1, 2]
    assert list(series["loss"]) == [0.5, 0.25]
    frame = aiplatform.get_experiment_df()
    assert list(frame["run_name"]) == ["curve"]
    assert frame["time_series_metric.loss"].iloc[0] == 0.25
    assert frame["metric.accuracy"].iloc[0] == 0.8


def test_kfp_api_runs_are_rows_with_their_parameters(vertex: VertexServer, tmp_path: Path) -> None:
    """A run created through the KFP API in an experiment is a row of it, with its
    parameters and state (from its system.Run execution, written with the run)."""
    client = kfp.Client(host=vertex.url)
    run = client.create_run_from_pipeline_package(
        compile_to(scored, str(tmp_path / "scored.yaml")),
        arguments={"lr": 0.125},
        run_name="from-kfp",
        experiment_name="exp-kfp-api",
    )
    client.wait_for_run_completion(run.run_id, timeout=120, sleep_duration=0.5)

    frame = aiplatform.Experiment("exp-kfp-api").get_data_frame()
    assert list(frame["run_type"]) == ["system.PipelineRun"]
    assert frame["param.lr"].iloc[0] == 0.125
    assert frame["metric.accuracy"].iloc[0] == 0.875
    assert frame["state"].iloc[0] == "COMPLETE"
