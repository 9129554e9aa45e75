"""The diff between two pipeline versions: the service's summary over hand-made specs, and
``GET /pipelines/{id}/versions:diff`` over two versions uploaded with ``kfp.Client``."""

from pathlib import Path
from typing import Any

import httpx
import kfp
import pytest
import yaml
from tests.server.conftest import RunningServer
from tests.ui.diff_pipelines import versioned_v1, versioned_v2
from tests.ui.pipelines import compile_to

from sluice.service.spec_diff import MAX_DIFF_LINES, diff_specs, spec_yaml, unified_diff

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")

UI = "/apis/sluice/v1"


def _spec(tasks: dict[str, Any], components: dict[str, Any], inputs: dict[str, Any]) -> Any:
    return {
        "pipelineInfo": {"name": "p"},
        "root": {"dag": {"tasks": tasks}, "inputDefinitions": {"parameters": inputs}},
        "components": components,
        "deploymentSpec": {
            "executors": {
                "exec-a": {"container": {"image": "python:3.11"}},
                "exec-b": {"container": {"image": "python:3.12"}},
            }
        },
    }


def _task(component: str) -> dict[str, Any]:
    return {"componentRef": {"name": component}, "taskInfo": {"name": component}}


def test_summary_names_nested_tasks_and_changed_defaults() -> None:
    inner = {"dag": {"tasks": {"leaf": _task("comp-a")}}}
    base = _spec(
        {"outer": _task("comp-inner"), "gone": _task("comp-a")},
        {"comp-a": {"executorLabel": "exec-a"}, "comp-inner": inner},
        {"n": {"parameterType": "NUMBER_INTEGER", "defaultValue": 1}, "old": {}},
    )
    head = _spec(
        {"outer": _task("comp-inner"), "new": _task("comp-a")},
        # The leaf's component now runs another executor (image).
        {"comp-a": {"executorLabel": "exec-b"}, "comp-inner": inner},
        {"n": {"parameterType": "NUMBER_INTEGER", "defaultValue": 2}, "fresh": {}},
    )
    found = diff_specs(base, head, "v1", "v2")
    assert not found.identical
    assert found.tasks_added == ["new"]
    assert found.tasks_removed == ["gone"]
    # The nested task changed; the box holding it did not.
    assert found.tasks_changed == ["outer/leaf"]
    assert found.inputs_added == ["fresh"]
    assert found.inputs_removed == ["old"]
    assert [(c.name, c.base_default, c.head_default) for c in found.inputs_changed] == [("n", 1, 2)]
    assert found.diff.startswith("--- v1\n+++ v2\n")
    assert "-        defaultValue: 1" in found.diff.splitlines()
    assert "+        defaultValue: 2" in found.diff.splitlines()


def test_the_same_spec_is_identical_and_a_package_diffs_its_platform_spec() -> None:
    spec = _spec({"a": _task("comp-a")}, {"comp-a": {"executorLabel": "exec-a"}}, {})
    same = diff_specs(spec, spec, "a", "b")
    assert same.identical and same.diff == "" and same.tasks_changed == []
    with_platform = {"pipeline_spec": spec, "platform_spec": {"platforms": {"k": 1}}}
    found = diff_specs({"pipeline_spec": spec}, with_platform, "a", "b")
    assert "+---" in found.diff and "+  k: 1" in found.diff.splitlines()
    assert found.tasks_changed == []


# Strings YAML could misread: blocks with odd ends or lead, tabs, reserved words, numbers.
TRICKY = ["a\nb", "a\nb\n", "a\nb\n\n", " lead\nx", "\n  lead\nx", "x\n  \ny", "tab\tx\ny"]
TRICKY += ["\n", "ends  \nz", "a\n#b\n", "- x\n: y", "yes", "1", "", " x", "a: b", "null", "~"]


@pytest.mark.parametrize("text", TRICKY)
def test_the_yaml_reads_back_as_the_spec(text: str) -> None:
    value = {"k": text, "l": [{"m": text}, text, [text]], "e": [], "d": {}, "n": [None, 1.5, True]}
    assert yaml.safe_load(spec_yaml(value)) == value


def test_code_diffs_line_by_line(tmp_path: Path) -> None:
    """A component's program (a list item of its command) is a literal block, so a changed
    line of code is one changed line of the diff."""
    spec = yaml.safe_load(Path(compile_to(versioned_v1, str(tmp_path / "v1.yaml"))).read_text())
    text = spec_yaml(spec)
    assert yaml.safe_load(text) == spec
    assert any(line.strip() == "return x * 2" for line in text.splitlines())


def test_a_huge_diff_is_cut_with_a_note() -> None:
    base = "\n".join(str(i) for i in range(MAX_DIFF_LINES))
    head = "\n".join(f"x{i}" for i in range(MAX_DIFF_LINES))
    lines = unified_diff(base, head, "a", "b").splitlines()
    assert len(lines) == MAX_DIFF_LINES + 1
    assert lines[-1].endswith("more lines of the diff not shown")


def test_diff_of_two_uploaded_versions(server: RunningServer, tmp_path: Path) -> None:
    client = kfp.Client(host=server.url)
    first = compile_to(versioned_v1, str(tmp_path / "v1.yaml"))
    second = compile_to(versioned_v2, str(tmp_path / "v2.yaml"))
    pipeline = client.upload_pipeline(first, pipeline_name="diffed-api")
    base = client.list_pipeline_versions(pipeline.pipeline_id).pipeline_versions[0]
    head = client.upload_pipeline_version(
        second, pipeline_version_name="v2", pipeline_id=pipeline.pipeline_id
    )
    response = httpx.get(
        f"{server.url}{UI}/pipelines/{pipeline.pipeline_id}/versions:diff",
        params={"base": base.pipeline_version_id, "head": head.pipeline_version_id},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["head_name"] == "v2"
    assert body["tasks_added"] == ["publish"]
    assert body["tasks_removed"] == ["report"]
    assert body["tasks_changed"] == ["train"]
    assert body["inputs_added"] == ["rate"]
    assert body["inputs_removed"] == ["label"]
    assert body["inputs_changed"] == [
        {
            "name": "n",
            "base_default": 1,
            "head_default": 2,
            "base_type": "NUMBER_INTEGER",
            "head_type": "NUMBER_INTEGER",
        }
    ]
    assert "+  comp-publish:" in body["diff"].splitlines()
    # train's changed code is one changed line.
    changed = [line for line in body["diff"].splitlines() if "return x *" in line]
    assert sorted(line[0] + line[1:].strip() for line in changed) == [
        "+return x * 3",
        "-return x * 2",
    ]

    # A version of another pipeline, or none, is a 404 naming it.
    missing = httpx.get(
        f"{server.url}{UI}/pipelines/{pipeline.pipeline_id}/versions:diff",
        params={"base": base.pipeline_version_id, "head": "nope"},
    )
    assert missing.status_code == 404
    assert "nope" in missing.json()["message"]
