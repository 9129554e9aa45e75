"""``examples/ci``: the GitHub Actions workflow's steps, run here as the runner runs them.

Each ``run:`` step is given to ``bash -e`` (the runner's shell) in a copy of the repository
layout, with the workflow's and the job's ``env`` and the ``${{ vars.* }}`` / ``${{ secrets.* }}``
it names filled in; ``sluice`` on PATH is this source tree's. Steps that ``uses:`` an action
(checkout, setup-python, artifact transfer) and the ``install`` steps are what this
machine already has, so they are skipped. The server is a real ``sluice server``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import kfp
import pytest
import yaml
from tests.server.server_process import ServerProcess

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / "examples" / "ci" / "pipeline-ci.yml"
TOKEN = "ci-token-for-tests"
SHA = "0123456789abcdef0123456789abcdef01234567"

pytestmark = pytest.mark.slow


def _workspace(tmp_path: Path) -> Path:
    """The checkout: the example's files where the workflow expects them, and a ``sluice``."""
    work = tmp_path / "checkout"
    shutil.copytree(REPO / "examples" / "ci", work / "examples" / "ci")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "sluice"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m sluice "$@"\n')
    shim.chmod(0o755)
    return work


def _expand(value: str, context: dict[str, str]) -> str:
    return re.sub(r"\$\{\{\s*([\w.]+)\s*\}\}", lambda m: context[m.group(1)], value)


def _run_job(
    workflow: dict[str, Any],
    job: str,
    work: Path,
    context: dict[str, str],
    overrides: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str] | None:
    """Run one job's steps in order; return the failed step's result, or None if all passed."""
    spec = workflow["jobs"][job]
    env = {
        **os.environ,
        # The shim first, then this interpreter's `python` (the runner's setup-python).
        "PATH": os.pathsep.join(
            [str(work.parent / "bin"), str(Path(sys.executable).parent), os.environ["PATH"]]
        ),
        "PYTHONPATH": str(REPO / "src"),
        "GITHUB_SHA": SHA,
        "SLUICE_HOME": str(work.parent / "sluice-home"),
    }
    for scope in (workflow.get("env", {}), spec.get("env", {})):
        env.update({key: _expand(str(value), context) for key, value in scope.items()})
    env.update(overrides or {})
    for step in spec["steps"]:
        if "uses" in step or step.get("id") == "install":
            continue
        done = subprocess.run(
            ["bash", "-e", "-c", step["run"]],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode != 0:
            return done
    return None


def test_the_workflow_checks_uploads_runs_and_fails_on_a_failed_run(tmp_path: Path) -> None:
    """check: validate, tests, compile; run: a new version on the server, run, wait. A run
    that fails fails the job."""
    workflow = yaml.safe_load(WORKFLOW.read_text())
    work = _workspace(tmp_path)

    failed = _run_job(workflow, "check", work, {})
    assert failed is None, failed.stdout + failed.stderr if failed else ""
    assert (work / "pipeline.yaml").is_file()

    with ServerProcess(tmp_path / "server", cli_args=[], token=TOKEN) as server:
        context = {"vars.SLUICE_HOST": server.url, "secrets.SLUICE_TOKEN": TOKEN}
        failed = _run_job(workflow, "run", work, context)
        assert failed is None, failed.stdout + failed.stderr if failed else ""

        client = kfp.Client(host=server.url, existing_token=TOKEN)
        pipeline_id = client.get_pipeline_id("ci-example")
        assert pipeline_id is not None
        versions = client.list_pipeline_versions(pipeline_id).pipeline_versions or []
        assert SHA[:12] in [v.display_name for v in versions]
        runs = client.list_runs().runs or []
        assert [(r.display_name, r.state) for r in runs] == [
            (f"ci-example {SHA[:12]}", "SUCCEEDED")
        ]

        # The same commit again, with arguments that fail the quality check: the job fails.
        noisy = {"PIPELINE_ARGUMENTS": '{"rows": 50, "noise": 5.0}'}
        failed = _run_job(workflow, "run", work, context, overrides=noisy)
        assert failed is not None and failed.returncode == 1
        assert "FAILED" in failed.stderr and "below the required" in failed.stderr
        assert len(client.list_pipeline_versions(pipeline_id).pipeline_versions or []) == len(
            versions
        )


def test_a_pipeline_with_a_mistake_stops_the_check_job(tmp_path: Path) -> None:
    """sluice validate fails the job before tests or compile run."""
    workflow = yaml.safe_load(WORKFLOW.read_text())
    work = _workspace(tmp_path)
    source = work / "examples" / "ci" / "pipeline.py"
    source.write_text(source.read_text().replace('metrics.log_metric("r2", r2)', "pass"))
    source.write_text(
        source.read_text().replace('metrics.log_metric("slope", slope)', "print(slope)")
    )
    failed = _run_job(workflow, "check", work, {})
    assert failed is not None and failed.returncode == 1
    assert "fit: fit() never writes its declared output artifact 'metrics'" in failed.stdout
    assert not (work / "pipeline.yaml").exists()


def test_the_vertex_step_submits_waits_and_fails_on_a_failed_job(tmp_path: Path) -> None:
    """submit_vertex.py, the workflow's Vertex alternative, on a Sluice server."""
    work = _workspace(tmp_path)
    compiled = work / "pipeline.yaml"
    done = subprocess.run(
        [
            str(tmp_path / "bin" / "sluice"),
            "compile",
            "examples/ci/pipeline.py",
            "-o",
            str(compiled),
        ],
        cwd=work,
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    with ServerProcess(tmp_path / "server", cli_args=["--emulate-gcs"]) as server:
        env = {**os.environ, "STORAGE_EMULATOR_HOST": server.url, "VERTEX_API_ENDPOINT": server.url}
        command = [
            sys.executable,
            "examples/ci/submit_vertex.py",
            "--package",
            str(compiled),
            "--project",
            "my-project",
            "--service-account",
            "ci@my-project.iam.gserviceaccount.com",
        ]

        def submit(name: str, arguments: str) -> subprocess.Popen[str]:
            # A bucket of its own each time: for a bucket that exists the SDK asks Cloud
            # Resource Manager who owns it, which offline takes a minute to fail. A job id of
            # its own too: the SDK makes the default one of the pipeline's name and the second
            # it submits, the same for both jobs.
            root = f"gs://my-project-{name}/pipeline_root"
            return subprocess.Popen(
                [
                    *command,
                    "--display-name",
                    name,
                    "--job-id",
                    f"{name}-{uuid.uuid4().hex[:8]}",
                    "--pipeline-root",
                    root,
                    "--arguments",
                    arguments,
                ],
                cwd=work,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )

        # Both at once: two independent jobs, and most of each is the SDK's import and its
        # five-second polls.
        good = submit("ci-good", '{"rows": 30}')
        bad = submit("ci-bad", '{"rows": 30, "noise": 5.0}')
        try:
            good_out, good_err = good.communicate(timeout=300)
            _, bad_err = bad.communicate(timeout=300)
        finally:
            for proc in (good, bad):
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        assert good.returncode == 0, good_err[-3000:]
        assert good_out.strip().endswith(": PIPELINE_STATE_SUCCEEDED")
        assert bad.returncode == 1
        assert "failed" in bad_err and "below the required" in bad_err
