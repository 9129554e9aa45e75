"""The New run form: clone prefills, typed parameters checked inline, a pasted package
(design acceptance tests 41 and 42)."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect
from tests.ui.conftest import UiServer
from tests.ui.form_pipelines import typed, upload
from tests.ui.pipelines import compile_to

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


@pytest.fixture(scope="module")
def typed_pipeline(ui_server: UiServer) -> tuple[str, str]:
    """The typed pipeline, uploaded once: (pipeline id, version id)."""
    return upload(ui_server.client, typed, str(ui_server.folder), "typed-new-run")


def _run_id(page: Page) -> str:
    expect(page).to_have_url(re.compile(r"/runs/[0-9a-f]{32}$"))
    return page.url.rsplit("/", 1)[1]


def _parameters(ui_server: UiServer, run_id: str) -> dict[str, object]:
    run = httpx.get(f"{ui_server.server.api}/runs/{run_id}").json()
    return dict(run["runtime_config"]["parameters"])


def test_clone_prefills_and_submits_the_changed_value(
    ui_server: UiServer, typed_pipeline: tuple[str, str], page: Page
) -> None:
    pipeline_id, version_id = typed_pipeline
    source = ui_server.client.run_pipeline(
        experiment_id=ui_server.client.get_experiment(experiment_name="Default").experiment_id,
        job_name="clone-source",
        params={"count": 5, "items": [7, 8]},
        pipeline_id=pipeline_id,
        version_id=version_id,
    )
    page.goto(f"/runs/{source.run_id}")
    page.get_by_role("link", name="Clone").click()
    expect(page).to_have_url(re.compile(rf"/runs/new\?clone={source.run_id}"))
    expect(page.get_by_role("combobox", name="Pipeline")).to_have_value(pipeline_id)
    expect(page.get_by_role("combobox", name="Version")).to_have_value(version_id)
    expect(page.get_by_label("count", exact=True)).to_have_value("5")
    expect(page.get_by_label("items", exact=True)).to_have_value(re.compile(r"\[\s*7,\s*8\s*\]"))
    expect(page.get_by_label("Run name")).to_have_value("Clone of clone-source")
    page.get_by_label("name", exact=True).fill("cloned")
    page.get_by_role("button", name="Start run").click()
    run_id = _run_id(page)
    assert run_id != source.run_id
    params = _parameters(ui_server, run_id)
    assert params["name"] == "cloned" and params["count"] == 5 and params["items"] == [7, 8]
    made = httpx.get(f"{ui_server.server.api}/runs/{run_id}").json()
    assert made["pipeline_version_reference"]["pipeline_version_id"] == version_id
    assert ui_server.wait_run(run_id) == "SUCCEEDED"

    # Leaving a clone for a blank New run keeps nothing of it.
    page.goto(f"/runs/new?clone={source.run_id}")
    expect(page.get_by_label("Run name")).to_have_value("Clone of clone-source")
    page.get_by_role("banner").get_by_role("link", name="New run").click()
    expect(page.get_by_role("radio", name="a stored pipeline")).to_be_checked()
    expect(page.get_by_role("combobox", name="Pipeline")).to_have_value("")
    expect(page.get_by_label("Run name")).to_have_value("")


def test_wrong_types_are_rejected_inline_and_defaults_come_from_the_spec(
    ui_server: UiServer, typed_pipeline: tuple[str, str], page: Page
) -> None:
    pipeline_id, _ = typed_pipeline
    page.goto(f"/runs/new?pipeline={pipeline_id}")
    count = page.get_by_label("count", exact=True)
    expect(count).to_have_value("3")
    expect(page.get_by_label("rate", exact=True)).to_have_value("0.75")
    expect(page.get_by_label("config", exact=True)).to_have_value(re.compile(r'"depth": 2'))
    count.fill("abc")
    expect(page.get_by_role("alert").filter(has_text="count: not a whole number")).to_be_visible()
    page.get_by_label("items", exact=True).fill("[1, 2")
    expect(page.get_by_role("alert").filter(has_text="items: not JSON")).to_be_visible()
    before = httpx.get(f"{ui_server.server.api}/runs").json().get("total_size", 0)
    page.get_by_label("Run name").fill("typed-by-form")
    page.get_by_role("button", name="Start run").click()
    expect(page.get_by_role("alert").filter(has_text="Fix the parameters")).to_be_visible()
    assert "/runs/new" in page.url
    assert httpx.get(f"{ui_server.server.api}/runs").json().get("total_size", 0) == before

    count.fill("9")
    page.get_by_label("items", exact=True).fill('["a", "b"]')
    page.get_by_label("flag", exact=True).select_option("false")
    page.get_by_role("button", name="Start run").click()
    run_id = _run_id(page)
    assert _parameters(ui_server, run_id) == {
        "count": 9,
        "rate": 0.75,
        "flag": False,
        "name": "hello",
        "items": ["a", "b"],
        "config": {"depth": 2},
    }


def test_a_pasted_package_runs_without_caching(ui_server: UiServer, page: Page) -> None:
    package = compile_to(typed, str(ui_server.folder / "typed-pasted.yaml"))
    page.goto("/runs/new")
    page.get_by_role("radio", name="paste or upload YAML").check()
    page.get_by_label("Upload pipeline YAML").set_input_files(package)
    expect(page.get_by_text("Read pipeline ui-typed")).to_be_visible()
    expect(page.get_by_label("count", exact=True)).to_have_value("3")
    page.get_by_label("Use the cache").uncheck()
    page.get_by_label("Run name").fill("pasted-run")
    page.get_by_role("button", name="Start run").click()
    run_id = _run_id(page)
    run = httpx.get(f"{ui_server.server.api}/runs/{run_id}").json()
    spec = run["pipeline_spec"]
    spec = spec.get("pipeline_spec", spec)
    tasks = spec["root"]["dag"]["tasks"]
    # proto3 JSON leaves a false out: no enableCache is caching off.
    assert tasks and not any(task["cachingOptions"].get("enableCache") for task in tasks.values())
