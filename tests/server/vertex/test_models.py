"""The Model Registry through the real ``google-cloud-aiplatform`` SDK against a real server:
upload (an operation), versions, aliases, labels, list filters, delete, and the model's
ML-metadata artifact with its lineage to the pipeline run that produced its files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import kfp
import pytest
from google.api_core import exceptions
from google.cloud import aiplatform
from tests.server.pipelines import compile_to
from tests.server.vertex.conftest import VertexServer
from tests.server.vertex.registry_models import STAGING_BUCKET, registry_server, sklearn_model
from tests.server.vertex.registry_pipelines import train_model

IMAGE = "us-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-3:latest"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def registry(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[VertexServer]:
    """A server executing runs, with the SDK pointed at it."""
    home = tmp_path_factory.mktemp("registry")
    db_url = (
        request.getfixturevalue("module_postgres_url") if request.param == "postgresql" else None
    )
    with registry_server(home, db_url) as running:
        yield running


def _upload(directory: Path, **options: object) -> aiplatform.Model:
    options.setdefault("serving_container_image_uri", IMAGE)
    return aiplatform.Model.upload(artifact_uri=str(directory), **options)  # type: ignore[arg-type]


def test_upload_get_and_versions(registry: VertexServer, tmp_path: Path) -> None:
    directory = sklearn_model(tmp_path / "m")
    model = _upload(
        directory,
        display_name="churn",
        description="first",
        labels={"team": "ml"},
        serving_container_predict_route="/v1/predict",
        serving_container_health_route="/v1/health",
    )
    assert model.version_id == "1"
    assert model.display_name == "churn"
    assert model.labels == {"team": "ml"}
    assert model.uri.startswith("gs://")  # the SDK staged the directory in (emulated) GCS
    assert "default" in model.version_aliases
    assert model.gca_resource.container_spec.predict_route == "/v1/predict"
    assert model.supported_deployment_resources_types  # deploy keeps machine_type

    second = _upload(
        directory,
        display_name="churn",
        parent_model=model.resource_name,
        is_default_version=False,
        version_aliases=["candidate"],
    )
    assert second.resource_name == model.resource_name
    assert second.version_id == "2"
    assert list(second.version_aliases) == ["candidate"]

    # A bare id is the default version; id@2 and id@alias name the second.
    assert aiplatform.Model(model.name).version_id == "1"
    assert aiplatform.Model(f"{model.name}@2").version_id == "2"
    assert aiplatform.Model(f"{model.name}@candidate").version_id == "2"
    assert aiplatform.Model(model.name, version="2").version_id == "2"

    registry_ = aiplatform.models.ModelRegistry(model)
    versions = registry_.list_versions()
    assert [v.version_id for v in versions] == ["1", "2"]
    registry_.add_version_aliases(["default", "prod"], version="2")
    assert aiplatform.Model(model.name).version_id == "2"
    assert "default" not in aiplatform.Model(f"{model.name}@1").version_aliases
    registry_.remove_version_aliases(["prod"], version="2")
    assert "prod" not in aiplatform.Model(f"{model.name}@2").version_aliases

    # The default version cannot be deleted while another exists; the other one can.
    with pytest.raises(exceptions.BadRequest, match="default version"):
        registry_.delete_version("2")
    registry_.delete_version("1")
    assert [v.version_id for v in registry_.list_versions()] == ["2"]
    with pytest.raises(exceptions.NotFound):
        aiplatform.Model(f"{model.name}@1")


def test_labels_update_list_filter_and_delete(registry: VertexServer, tmp_path: Path) -> None:
    directory = sklearn_model(tmp_path / "m")
    a = _upload(directory, display_name="filter-a", labels={"env": "dev"})
    b = _upload(directory, display_name="filter-b", labels={"env": "prod"})
    a.update(labels={"env": "staging"})
    assert aiplatform.Model(a.name).labels == {"env": "staging"}

    names = {m.display_name for m in aiplatform.Model.list(filter='display_name="filter-a"')}
    assert names == {"filter-a"}
    names = {m.display_name for m in aiplatform.Model.list(filter='labels.env="prod"')}
    assert names == {"filter-b"}
    with pytest.raises(exceptions.BadRequest, match="nosuch"):
        aiplatform.Model.list(filter='nosuch="x"')

    b.delete()
    with pytest.raises(exceptions.NotFound):
        aiplatform.Model(b.name)
    assert "filter-b" not in {m.display_name for m in aiplatform.Model.list()}


def test_bad_uploads_are_refused(registry: VertexServer, tmp_path: Path) -> None:
    directory = sklearn_model(tmp_path / "m")
    with pytest.raises(exceptions.NotFound, match="parent_model"):
        _upload(directory, display_name="x", parent_model="no-such-model")
    model = _upload(directory, display_name="aliased", version_aliases=["gold"])
    with pytest.raises(exceptions.Conflict, match="gold"):
        _upload(
            directory, display_name="aliased", parent_model=model.name, version_aliases=["gold"]
        )
    assert [v.version_id for v in aiplatform.models.ModelRegistry(model).list_versions()] == ["1"]


def test_a_model_is_an_ml_metadata_artifact(registry: VertexServer, tmp_path: Path) -> None:
    model = _upload(sklearn_model(tmp_path / "m"), display_name="meta")
    artifact_name = model.gca_resource.metadata_artifact
    assert artifact_name
    artifact = aiplatform.Artifact(artifact_name)
    assert artifact.schema_title == "google.VertexModel"
    assert artifact.metadata["resourceName"] == f"{model.resource_name}@1"
    listed = aiplatform.Artifact.list(filter='schema_title="google.VertexModel"')
    assert artifact.resource_name in {a.resource_name for a in listed}


def test_lineage_back_to_the_run_that_trained_it(registry: VertexServer) -> None:
    if registry.server.db_url is not None:
        pytest.skip("a pipeline run per store is slow; the lineage rows are the same SQL")
    # Trained by a run started with kfp.Client (PipelineJob.submit() would first ask Cloud
    # Resource Manager who owns the gs:// bucket, a call that only times out offline).
    client = kfp.Client(host=registry.url)
    template = compile_to(train_model, str(registry.home / "train-model.yaml"))
    run = client.create_run_from_pipeline_package(
        template, pipeline_root=f"gs://{STAGING_BUCKET}/root", run_name="train"
    )
    done = client.wait_for_run_completion(run.run_id, timeout=120, sleep_duration=0.5)
    assert done.state == "SUCCEEDED"
    job = aiplatform.PipelineJob.get(run.run_id)
    detail = next(t for t in job.gca_resource.job_detail.task_details if t.task_name == "train")
    produced = aiplatform.Artifact(detail.outputs["model"].artifacts[0].name)
    assert produced.uri.startswith("gs://")

    model = aiplatform.Model.upload(
        display_name="trained", artifact_uri=produced.uri, serving_container_image_uri=IMAGE
    )
    registered = aiplatform.Artifact(model.gca_resource.metadata_artifact)
    graph = registered.api_client.query_artifact_lineage_subgraph(
        request={"artifact": registered.resource_name}
    )
    titles = {a.schema_title for a in graph.artifacts}
    assert titles == {"google.VertexModel", "system.Model"}
    assert "train" in {e.display_name for e in graph.executions}
    # The registered model is in the run's context beside what the run produced.
    run_context = job.gca_resource.job_detail.pipeline_run_context.name
    in_run = aiplatform.Artifact.list(filter=f'in_context("{run_context}")')
    assert registered.resource_name in {a.resource_name for a in in_run}


def test_the_upload_operation_polls_again(registry: VertexServer, tmp_path: Path) -> None:
    import httpx

    model = _upload(sklearn_model(tmp_path / "m"), display_name="polled")
    name = f"{model.resource_name}/operations/upload-1"
    answer = httpx.get(f"{registry.url}/ui/{name}").json()
    assert answer["done"] is True
    assert answer["response"]["@type"].endswith("v1.UploadModelResponse")
    assert answer["response"]["modelVersionId"] == "1"
