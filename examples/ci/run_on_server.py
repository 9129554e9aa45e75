"""Upload a compiled pipeline as a new version on a Sluice (or Kubeflow) server, run it, wait.

Exit 0 when the run succeeded, 1 when it failed, was canceled or did not end in time, 2 on
bad arguments. Uses only ``kfp.Client``, so it works against Kubeflow Pipelines as well::

    python run_on_server.py --host http://sluice:8888 --package pipeline.yaml \
        --pipeline-name ci-example --version "$GITHUB_SHA" --arguments '{"rows": 200}'

The token, if the server wants one, comes from ``$SLUICE_TOKEN``.
"""

import argparse
import json
import os
import sys

import kfp

ENDED = {"SUCCEEDED", "FAILED", "CANCELED", "SKIPPED"}


def _version_id(client: kfp.Client, pipeline_id: str, name: str) -> str | None:
    """The id of the pipeline's version called ``name``, if it has one."""
    token = ""
    while True:
        page = client.list_pipeline_versions(pipeline_id, page_size=100, page_token=token)
        for version in page.pipeline_versions or []:
            if version.display_name == name:
                return str(version.pipeline_version_id)
        token = page.next_page_token or ""
        if not token:
            return None


def upload(client: kfp.Client, package: str, pipeline_name: str, version: str) -> tuple[str, str]:
    """The (pipeline id, version id) of ``version``, uploading it unless it is there."""
    pipeline_id = client.get_pipeline_id(pipeline_name)
    if pipeline_id is None:
        pipeline_id = client.upload_pipeline(package, pipeline_name=pipeline_name).pipeline_id
    version_id = _version_id(client, pipeline_id, version)
    if version_id is None:
        uploaded = client.upload_pipeline_version(
            package, pipeline_version_name=version, pipeline_id=pipeline_id
        )
        version_id = uploaded.pipeline_version_id
    return pipeline_id, version_id


def main() -> int:
    """Parse the arguments, upload, run, wait; the exit code says how the run ended."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", required=True, help="the server's URL")
    parser.add_argument("--package", required=True, help="the compiled pipeline (.yaml)")
    parser.add_argument("--pipeline-name", required=True)
    parser.add_argument("--version", required=True, help="the version's name, e.g. a commit")
    parser.add_argument("--arguments", default="{}", help="the run's arguments as JSON")
    parser.add_argument("--experiment", default="ci")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds to wait")
    args = parser.parse_args()
    try:
        arguments = json.loads(args.arguments)
    except json.JSONDecodeError as exc:
        parser.error(f"--arguments is not JSON: {exc}")
    if not isinstance(arguments, dict):
        parser.error("--arguments must be a JSON object")

    client = kfp.Client(host=args.host, existing_token=os.environ.get("SLUICE_TOKEN") or None)
    pipeline_id, version_id = upload(client, args.package, args.pipeline_name, args.version)
    experiment = client.create_experiment(name=args.experiment)
    run = client.run_pipeline(
        experiment_id=experiment.experiment_id,
        job_name=f"{args.pipeline_name} {args.version}",
        pipeline_id=pipeline_id,
        version_id=version_id,
        params=arguments,
    )
    print(f"run {run.run_id} of {args.pipeline_name} version {args.version} started")
    try:
        done = client.wait_for_run_completion(run.run_id, timeout=args.timeout, sleep_duration=2)
    except TimeoutError:
        print(f"run {run.run_id} did not end within {args.timeout} s", file=sys.stderr)
        return 1
    state = str(done.state)
    print(f"run {run.run_id}: {state}")
    if state != "SUCCEEDED":
        error = done.error.message if done.error else "no error recorded"
        print(f"run {run.run_id} {state}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
