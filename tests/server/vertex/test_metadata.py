"""The metadata calls ``PipelineJob.submit(experiment=...)`` makes (a real server process)."""

from __future__ import annotations

import kfp
from google.cloud import aiplatform
from tests.server.vertex.conftest import VertexServer, wait


def test_submit_with_an_experiment_puts_the_run_in_it(vertex: VertexServer) -> None:
    job = vertex.job("rows", job_id="in-experiment", display_name="in experiment")
    job.submit(experiment="vertex-exp")
    wait(job)

    experiment = aiplatform.Experiment("vertex-exp")
    assert experiment.name == "vertex-exp"
    client = kfp.Client(host=vertex.url)
    kfp_experiment = client.get_experiment(experiment_name="vertex-exp")
    runs = client.list_runs(experiment_id=kfp_experiment.experiment_id).runs or []
    assert [r.display_name for r in runs] == ["in experiment"]

    # A second job joins the same experiment (get, not create, this time).
    vertex.job("rows", job_id="in-experiment-2").submit(experiment="vertex-exp")
    runs = client.list_runs(experiment_id=kfp_experiment.experiment_id).runs or []
    assert len(runs) == 2
