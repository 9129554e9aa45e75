"""Submit a compiled pipeline with ``aiplatform.PipelineJob`` and wait; exit 1 if it failed.

The same step for a team on Vertex AI Pipelines (or on a Sluice server, when
``VERTEX_API_ENDPOINT`` names it)::

    python submit_vertex.py --package pipeline.yaml --display-name ci-example \
        --project my-project --location us-central1 --pipeline-root gs://bucket/root
"""

import argparse
import json
import os
import sys

from google.cloud import aiplatform


def main() -> int:
    """Parse the arguments, submit, wait; the exit code says how the job ended."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", required=True)
    parser.add_argument("--display-name", required=True)
    parser.add_argument("--project", required=True)
    parser.add_argument("--location", default="us-central1")
    parser.add_argument("--pipeline-root", required=True)
    parser.add_argument("--arguments", default="{}", help="the job's parameters as JSON")
    parser.add_argument("--service-account", default=None)
    parser.add_argument(
        "--job-id",
        default=None,
        help="the job's id (default: the pipeline's name and the second it is submitted, so "
        "two jobs of one pipeline submitted in the same second need ids of their own)",
    )
    args = parser.parse_args()
    endpoint = os.environ.get("VERTEX_API_ENDPOINT")
    if endpoint:  # a Sluice server: plain HTTP, no Google credentials
        from google.auth.credentials import AnonymousCredentials

        aiplatform.init(
            project=args.project,
            location=args.location,
            api_endpoint=endpoint,
            api_transport="rest",
            credentials=AnonymousCredentials(),
        )
    else:
        aiplatform.init(project=args.project, location=args.location)
    job = aiplatform.PipelineJob(
        display_name=args.display_name,
        template_path=args.package,
        pipeline_root=args.pipeline_root,
        parameter_values=json.loads(args.arguments),
        enable_caching=False,
        job_id=args.job_id,
    )
    job.submit(service_account=args.service_account)
    try:
        job.wait()
    except RuntimeError as exc:  # the SDK's way of saying the job failed
        print(f"job {job.resource_name} failed: {exc}", file=sys.stderr)
        return 1
    print(f"job {job.resource_name}: {job.state.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
