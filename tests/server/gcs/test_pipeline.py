"""A pipeline with a ``gs://`` root end to end on the emulation, and the refusal without it.

No ``from __future__ import annotations``: kfp reads the components' real annotations.
"""

import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import kfp
import yaml
from kfp import compiler, dsl
from kfp.dsl import Dataset, Input, Output
from tests.server.server_process import ServerProcess


@dsl.component
def count_rows(uri: str, out: Output[Dataset]) -> int:
    """Read a CSV from gs:// with pandas (gcsfs underneath) and write a report."""
    import os

    import pandas as pd

    frame = pd.read_csv(uri)
    with open(out.path, "w") as handle:
        handle.write(f"{len(frame)} rows via {os.environ['STORAGE_EMULATOR_HOST']}")
    return len(frame)


@dsl.component
def echo(data: Input[Dataset]) -> str:
    """Read the report back (downloaded from the gs:// root before the task starts)."""
    with open(data.path) as handle:
        return handle.read()


@dsl.pipeline(name="gcs-reader")
def gcs_reader(uri: str = "gs://pipes/data.csv") -> str:
    """Count the rows of a CSV in the emulated storage; outputs go under a gs:// root."""
    counted = count_rows(uri=uri)
    return echo(data=counted.outputs["out"]).output


def test_a_gs_pipeline_root_stores_its_artifacts_in_the_emulation(
    gcs_server: ServerProcess, storage_client: Any, backing: Path, tmp_path: Path
) -> None:
    bucket = storage_client.create_bucket("pipes")
    bucket.blob("data.csv").upload_from_string(b"a,b\n1,2\n3,4\n", content_type="text/csv")
    package = tmp_path / "gcs-reader.yaml"
    compiler.Compiler().compile(gcs_reader, str(package))
    client = kfp.Client(host=gcs_server.url)
    created = client.create_run_from_pipeline_package(
        str(package), arguments={}, pipeline_root="gs://pipes/root"
    )
    run = client.wait_for_run_completion(created.run_id, timeout=240, sleep_duration=0.5)
    assert run.state == "SUCCEEDED", run.error
    reports = [b.name for b in storage_client.list_blobs("pipes", prefix="root/")]
    assert len(reports) == 1 and reports[0].endswith("/count-rows/out")
    expected = f"2 rows via {gcs_server.url}"
    assert bucket.blob(reports[0]).download_as_text() == expected
    assert (backing / "pipes" / reports[0]).read_text() == expected  # plain files underneath


def _without_gcsfs(tmp_path: Path) -> dict[str, str]:
    """An environment in which ``import gcsfs`` fails, as on a machine without it."""
    shim = tmp_path / "no-gcsfs" / "gcsfs"
    shim.mkdir(parents=True)
    (shim / "__init__.py").write_text("raise ImportError(\"No module named 'gcsfs'\")\n")
    import os

    return {"PYTHONPATH": os.pathsep.join([str(shim.parent), os.environ.get("PYTHONPATH", "")])}


def test_sluice_run_refuses_a_gs_root_without_gcsfs_before_the_run(tmp_path: Path) -> None:
    import os

    package = tmp_path / "gcs-reader.yaml"
    compiler.Compiler().compile(gcs_reader, str(package))
    env = {**os.environ, **_without_gcsfs(tmp_path), "SLUICE_HOME": str(tmp_path / "home")}
    env.pop("STORAGE_EMULATOR_HOST", None)
    done = subprocess.run(
        [sys.executable, "-m", "sluice", "run", str(package), "--pipeline-root", "gs://b/r"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert "pip install gcsfs" in lines[0] and "sluice server --emulate-gcs" in lines[0]
    assert not (tmp_path / "home" / "runs").exists() or not any(
        (tmp_path / "home" / "runs").iterdir()
    )


def test_the_server_refuses_a_gs_root_without_emulation_or_gcsfs(tmp_path: Path) -> None:
    package = tmp_path / "gcs-reader.yaml"
    compiler.Compiler().compile(gcs_reader, str(package))
    spec = yaml.safe_load(package.read_text())
    with ServerProcess(tmp_path / "server", env=_without_gcsfs(tmp_path)) as server:
        body = {
            "display_name": "gcs",
            "pipeline_spec": spec,
            "runtime_config": {"pipeline_root": "gs://b/r"},
        }
        answer = httpx.post(server.api + "/runs", json=body, timeout=60)
        assert answer.status_code == 400, answer.text
        assert "sluice server --emulate-gcs" in answer.json()["message"]
        assert httpx.get(server.api + "/runs").json().get("total_size", 0) == 0


def test_with_the_emulation_the_server_needs_no_gcsfs(tmp_path: Path) -> None:
    """The engine's own gs:// traffic goes straight to the backing store (bridge.py)."""
    from tests.server.pipelines import compile_to, writer

    package = compile_to(writer, str(tmp_path / "writer.yaml"))
    home = tmp_path / "server"
    (home / "gcs" / "plain").mkdir(parents=True)  # a directory in the store is a bucket
    args = ["--emulate-gcs"]
    with ServerProcess(home, cli_args=args, env=_without_gcsfs(tmp_path)) as server:
        client = kfp.Client(host=server.url)
        created = client.create_run_from_pipeline_package(
            package, arguments={"text": "no gcsfs"}, pipeline_root="gs://plain/root"
        )
        run = client.wait_for_run_completion(created.run_id, timeout=240, sleep_duration=0.5)
        assert run.state == "SUCCEEDED", run.error
    outputs = list((home / "gcs" / "plain" / "root").glob("*/write-text/out"))
    assert [p.read_text() for p in outputs] == ["no gcsfs"]


def test_with_a_token_tasks_still_read_and_write_gs(tmp_path: Path) -> None:
    """Tasks use the emulation anonymously (gcsfs, pandas); the token rides in the URL."""
    from google.cloud import storage
    from google.oauth2.credentials import Credentials

    args = ["--emulate-gcs", "--token", "s3/cret:"]  # characters that need quoting in a URL
    with ServerProcess(tmp_path / "home", cli_args=args) as server:
        startup = server.log.read_text()
        assert "s3/cret" not in startup and "s3%2Fcret" not in startup  # masked
        holder = storage.Client(
            project="p",
            credentials=Credentials(token="s3/cret:"),
            client_options={"api_endpoint": server.url},
        )
        holder.create_bucket("pipes").blob("data.csv").upload_from_string(b"a,b\n1,2\n3,4\n")
        package = tmp_path / "gcs-reader.yaml"
        compiler.Compiler().compile(gcs_reader, str(package))
        client = kfp.Client(host=server.url, existing_token="s3/cret:")
        created = client.create_run_from_pipeline_package(
            str(package), arguments={}, pipeline_root="gs://pipes/root"
        )
        run = client.wait_for_run_completion(created.run_id, timeout=240, sleep_duration=0.5)
        assert run.state == "SUCCEEDED", run.error
        report = next(iter(holder.list_blobs("pipes", prefix="root/")))
        assert report.download_as_text().startswith("2 rows via http://sluice:")
        wrong = httpx.get(f"{server.url}/storage/v1/b/pipes/o", auth=("sluice", "nope"))
        assert wrong.status_code == 401
