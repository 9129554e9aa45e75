"""Submit ``pipeline.py`` the way the Vertex AI documentation shows, to a Sluice server.

Against Vertex AI this file differs only in the ``aiplatform.init`` call (the arguments
marked below). Run it with a server that emulates Cloud Storage::

    sluice server --emulate-gcs &
    STORAGE_EMULATOR_HOST=http://127.0.0.1:8888 python examples/vertex/submit.py
"""

import os

from google.auth.credentials import AnonymousCredentials
from google.cloud import aiplatform
from kfp import compiler
from pipeline import pipeline

PROJECT_ID = "my-project"
REGION = "us-central1"
BUCKET_URI = "gs://my-project-vertex-example"
PIPELINE_ROOT = f"{BUCKET_URI}/pipeline_root"

compiler.Compiler().compile(pipeline_func=pipeline, package_path="vertex_example.yaml")

aiplatform.init(
    project=PROJECT_ID,
    location=REGION,
    staging_bucket=BUCKET_URI,
    # Sluice: the server's address, plain HTTP, and no Google credentials.
    api_endpoint=os.environ["STORAGE_EMULATOR_HOST"],
    api_transport="rest",
    credentials=AnonymousCredentials(),
)

job = aiplatform.PipelineJob(
    display_name="vertex-example",
    template_path="vertex_example.yaml",
    pipeline_root=PIPELINE_ROOT,
    parameter_values={"rows": 50, "epochs": 200, "learning_rate": 0.5},
    enable_caching=False,
)
# A service account spares the SDK a call to Cloud Resource Manager when it creates the
# pipeline bucket: offline, that call retries for a minute (docs/vertex.md, "gs:// paths").
job.submit(service_account=f"pipelines@{PROJECT_ID}.iam.gserviceaccount.com")
job.wait()
print(f"job {job.resource_name}: {job.state.name}")

schedule = job.create_schedule(
    display_name="vertex-example-daily",
    cron="TZ=America/Los_Angeles 0 2 * * *",
    max_concurrent_run_count=1,
    max_run_count=30,
)
print(f"schedule {schedule.resource_name}: {schedule.state.name}")

datasets = aiplatform.Artifact.list(
    filter='schema_title="system.Dataset"', order_by="create_time desc"
)
for dataset in datasets:
    print(f"dataset {dataset.display_name}: {dataset.uri} {dict(dataset.metadata)}")

lineage = datasets[0].api_client.query_artifact_lineage_subgraph(
    request={"artifact": datasets[0].resource_name, "max_hops": 2}
)
for artifact in lineage.artifacts:
    print(f"lineage artifact {artifact.schema_title}: {artifact.uri}")
for execution in lineage.executions:
    print(f"lineage execution {execution.display_name}: {execution.state.name}")
