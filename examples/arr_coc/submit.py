"""Compile ``pipeline.py`` and run it on a Sluice server with the Vertex AI SDK, end to end.

Against Vertex AI only the ``aiplatform.init`` arguments marked below differ, and
``api_endpoint`` (the pipeline parameter the register/deploy/predict components pass to
their own ``aiplatform.init``) stays empty. With a server that emulates Cloud Storage::

    sluice server --emulate-gcs &
    STORAGE_EMULATOR_HOST=http://127.0.0.1:8888 python examples/arr_coc/submit.py

Prints the job's state, the evaluation metrics, the registered model, the endpoint and the
answer of one prediction made from here.
"""

import os
import sys
from pathlib import Path

from google.auth.credentials import AnonymousCredentials
from google.cloud import aiplatform
from kfp import compiler

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pipeline import arr_coc

PROJECT_ID = "my-project"
REGION = "us-central1"
BUCKET_URI = "gs://my-project-arr-coc"
SERVER = os.environ["STORAGE_EMULATOR_HOST"]  # Sluice: the server's address
NUM_IMAGES = int(os.environ.get("ARR_COC_IMAGES", "120"))

compiler.Compiler().compile(pipeline_func=arr_coc, package_path="arr_coc.yaml")

aiplatform.init(
    project=PROJECT_ID,
    location=REGION,
    staging_bucket=BUCKET_URI,
    # Sluice: the server's address, plain HTTP, and no Google credentials.
    api_endpoint=SERVER,
    api_transport="rest",
    credentials=AnonymousCredentials(),
)

job = aiplatform.PipelineJob(
    display_name="arr-coc",
    template_path="arr_coc.yaml",
    pipeline_root=f"{BUCKET_URI}/pipeline_root",
    parameter_values={
        "project": PROJECT_ID,
        "location": REGION,
        "api_endpoint": SERVER,  # Sluice; leave it out on Vertex
        "num_images": NUM_IMAGES,
        "num_gpus": 0,
    },
    enable_caching=False,
)
# A service account spares the SDK a call to Cloud Resource Manager (one minute offline)
# when it creates the pipeline bucket.
job.submit(service_account=f"pipelines@{PROJECT_ID}.iam.gserviceaccount.com")
job.wait()
print(f"job {job.resource_name}: {job.state.name}")

# The job's own artifacts: its pipeline-run context is named after the job.
this_job = f'schema_title="system.Metrics" AND in_context("{job.name}")'
for metrics in aiplatform.Artifact.list(filter=this_job):
    print(f"metrics {metrics.display_name}: {dict(metrics.metadata)}")

models = aiplatform.Model.list(filter='display_name="arr-coc-quality-adapter"')
for model in models:
    print(f"model {model.resource_name} version {model.version_id}: {model.uri}")

for endpoint in aiplatform.Endpoint.list(filter='display_name="arr-coc"'):
    deployed = [m.model for m in endpoint.list_models()]
    print(f"endpoint {endpoint.resource_name}: {deployed}")
    # 13 features of one patch: the mean of each channel of the texture array.
    patch = [0.8, 0.25, 0.2, 0.5, 0.4, 0.3, 0.6, 0.1, 0.5, 0.5, 0.3, 0.0, 0.0]
    print(f"prediction {endpoint.predict(instances=[patch]).predictions}")
