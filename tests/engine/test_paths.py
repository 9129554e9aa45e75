"""Names from a pipeline spec never put files outside ``$SLUICE_HOME`` or the pipeline root."""

import os
from pathlib import Path

import pytest
import yaml
from kfp import compiler, dsl

import sluice
from sluice.names import safe_component, safe_task_path, under


@dsl.component(base_image="python:3.11")
def write(text: str, out: dsl.Output[dsl.Dataset]) -> str:
    print("writing", text)
    with open(out.path, "w") as f:
        f.write(text)
    return text


@dsl.pipeline(name="paths")
def paths_pipeline() -> None:
    write(text="x")


def _files_under(root: Path) -> set[Path]:
    return {Path(d) / f for d, _dirs, files in os.walk(root) for f in files}


@pytest.mark.parametrize(
    ("pipeline_name", "task_name"),
    [("../../../escaped-pipeline", "write"), ("paths", "../../../escaped-task")],
)
def test_names_with_dot_dot_stay_inside_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pipeline_name: str, task_name: str
) -> None:
    # A spec as the API may receive it: KFP accepts any task and pipeline name there.
    compiled = tmp_path / "compiled.yaml"
    compiler.Compiler().compile(paths_pipeline, str(compiled))
    spec = yaml.safe_load(compiled.read_text())
    spec["pipelineInfo"]["name"] = pipeline_name
    tasks = spec["root"]["dag"]["tasks"]
    tasks[task_name] = tasks.pop("write")
    tasks[task_name]["taskInfo"]["name"] = task_name
    (tmp_path / "evil.yaml").write_text(yaml.safe_dump(spec))

    home = tmp_path / "a" / "b" / "home"
    monkeypatch.setenv("SLUICE_HOME", str(home))
    monkeypatch.delenv("SLUICE_DB_URL", raising=False)
    before = _files_under(tmp_path)
    run = sluice.run(str(tmp_path / "evil.yaml"), enable_caching=False)
    assert run.state == "SUCCEEDED", run.error

    new = _files_under(tmp_path) - before
    assert new, "the run wrote nothing"
    outside = {p for p in new if not p.resolve().is_relative_to(home.resolve())}
    assert not outside
    task = run.task(task_name)
    assert task.log_path is not None and task.log_path.is_file()
    assert task.log_path.resolve().is_relative_to((home / "runs" / run.id).resolve())
    artifact = task.outputs["out"]
    artifact_root = (home / "artifacts" / run.name).resolve()
    assert Path(artifact.path).resolve().is_relative_to(artifact_root)
    assert Path(artifact.path).read_text() == "x"


def test_safe_names_are_kept_and_others_made_safe_without_collisions() -> None:
    assert safe_component("train-model_2.v1") == "train-model_2.v1"
    assert safe_task_path("for-loop-2[1]/square") == "for-loop-2-1/square"
    for evil in ("..", ".", "", "a/b", "x y", "é", "x" * 300):
        made = safe_component(evil)
        assert "/" not in made and made not in ("", ".", "..") and len(made) <= 128
    assert safe_component("x y") != safe_component("x-y")
    assert ".." not in safe_task_path("../../x").split("/")


def test_under_refuses_a_path_that_leaves_its_root() -> None:
    assert under("/root/a", "b", "c") == "/root/a/b/c"
    assert under("gs://bucket/root", "run") == "gs://bucket/root/run"
    with pytest.raises(sluice.UserInputError, match="outside"):
        under("/root/a", "../b")
