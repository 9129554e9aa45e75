"""Screenshots of the web UI's main pages, light and dark, for docs/ui.md.

Rerun after changing a page (needs a built UI and Chromium, as the browser tests do)::

    PYTHONPATH=src .venv/bin/python -m tests.ui.screenshots [NAME ...]

(names such as ``graph-artifacts`` retake only those pages). It starts a server over a
fresh store, seeds it through ``kfp.Client`` with the browser tests' pipelines and writes
``docs/images/ui-*.png``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import httpx
import kfp
from playwright.sync_api import sync_playwright
from tests.server.server_process import ServerProcess
from tests.ui.artifact_pipelines import artifact_flow
from tests.ui.conftest import chromium_path
from tests.ui.meta_pipelines import meta_train, model_id
from tests.ui.pipelines import compile_to, failing, showcase

OUT = Path(__file__).resolve().parents[2] / "docs" / "images"


def _wait(server: ServerProcess, run_id: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        state = httpx.get(f"{server.api}/runs/{run_id}").json()["state"]
        if state in ("SUCCEEDED", "FAILED", "CANCELED"):
            return
        time.sleep(0.2)


def main(only: list[str] | None = None) -> int:
    browser_path = chromium_path()
    if browser_path is None:
        print("no Chromium: apt-get install -y chromium (or set SLUICE_CHROMIUM)")
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory() as scratch,
        ServerProcess(Path(scratch) / "home", background=True) as server,
    ):
        folder = Path(scratch)
        (folder / "open").write_text("")
        client = kfp.Client(host=server.url)
        package = compile_to(showcase, str(folder / "showcase.yaml"))
        runs = [
            client.create_run_from_pipeline_package(
                package, arguments={"gate_file": str(folder / "open")}, run_name=name
            ).run_id
            for name in ("nightly-training", "nightly-training-2")
        ]
        failed = client.create_run_from_pipeline_package(
            compile_to(failing, str(folder / "failing.yaml")), run_name="broken-features"
        ).run_id
        pipeline = client.upload_pipeline(package, pipeline_name="nightly-training")
        client.create_recurring_run(
            experiment_id=client.get_experiment(experiment_name="Default").experiment_id,
            job_name="weekday-mornings",
            cron_expression="0 0 9 * * 1-5",
            pipeline_id=pipeline.pipeline_id,
            version_id=client.list_pipeline_versions(pipeline.pipeline_id)
            .pipeline_versions[0]
            .pipeline_version_id,
        )
        trained = client.create_run_from_pipeline_package(
            compile_to(meta_train, str(folder / "train.yaml")), run_name="train-model"
        ).run_id
        flow = client.create_run_from_pipeline_package(
            compile_to(artifact_flow, str(folder / "flow.yaml")), run_name="artifact-flow"
        ).run_id
        for run_id in [*runs, failed, trained, flow]:
            _wait(server, run_id)
        model = model_id(server.url, trained)
        pages = {
            "runs": "/runs",
            "graph": f"/runs/{runs[0]}?expand=all&task=exit-handler-1/for-loop-3[1]/inner/square",
            "graph-artifacts": f"/runs/{flow}?artifacts=1&expand=all&artifact=fit.model",
            "failed": f"/runs/{failed}",
            "artifacts": "/artifacts?filter=metadata.accuracy.number_value%3E0.5",
            "lineage": f"/lineage?artifact={model}&dir=both",
            "pipeline": f"/pipelines/{pipeline.pipeline_id}?expand=all",
            "new-run": f"/runs/new?pipeline={pipeline.pipeline_id}&recurring=1",
            "recurring": "/recurring",
        }
        if only:
            pages = {name: path for name, path in pages.items() if name in only}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=browser_path)
            for scheme in ("light", "dark"):
                context = browser.new_context(
                    base_url=server.url,
                    color_scheme=scheme,  # type: ignore[arg-type]
                    viewport={"width": 1280, "height": 760},
                )
                page = context.new_page()
                for name, path in pages.items():
                    page.goto(path)
                    page.wait_for_load_state("networkidle")
                    page.wait_for_timeout(300)  # let the graph's fit settle for the picture
                    page.screenshot(path=str(OUT / f"ui-{name}-{scheme}.png"))
                context.close()
            browser.close()
    print(f"wrote {len(pages) * 2} screenshots to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
