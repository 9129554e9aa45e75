"""Tests for sluice.spec.loader: every kind of target, and every error path."""

# No `from __future__ import annotations`: kfp reads component annotations at runtime.

import json
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from kfp import compiler, components, dsl
from kfp.pipeline_spec import pipeline_spec_pb2

from sluice.errors import InvalidPipelineError, PipelineNotFoundError
from sluice.spec.loader import LoadedPipeline, load_pipeline

IMAGE = "python:3.11"


@dsl.component(base_image=IMAGE)
def add(a: int, b: int = 2) -> int:
    return a + b


@dsl.container_component
def echo(msg: str) -> dsl.ContainerSpec:
    return dsl.ContainerSpec(image="alpine:3.19", command=["echo"], args=[msg])


@dsl.pipeline(name="sum-pipeline", display_name="Sum pipeline")
def sum_pipeline(x: int = 3) -> int:
    first = add(a=x)
    return add(a=first.output).output


def _compile_to(tmp_path: Path, obj: Any, name: str = "pipeline.yaml") -> Path:
    path = tmp_path / name
    compiler.Compiler().compile(obj, package_path=str(path))
    return path


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _ir(tmp_path: Path) -> dict[str, Any]:
    doc = yaml.safe_load(_compile_to(tmp_path, sum_pipeline).read_text())
    assert isinstance(doc, dict)
    return doc


# --- targets ---------------------------------------------------------------------------------


def test_pipeline_function() -> None:
    loaded = load_pipeline(sum_pipeline)
    assert loaded.name == "sum-pipeline"
    assert loaded.display_name == "Sum pipeline"
    assert loaded.source == "<sum_pipeline>"
    assert set(loaded.spec.root.dag.tasks) == {"add", "add-2"}
    assert loaded.spec.root.input_definitions.parameters["x"].default_value.number_value == 3
    assert loaded.platform_spec is None
    assert set(loaded.deployment.executors) == {"exec-add", "exec-add-2"}


def test_lightweight_component_becomes_one_task_pipeline() -> None:
    loaded = load_pipeline(add)
    assert loaded.name == "add"
    assert loaded.display_name == "add"
    assert list(loaded.spec.root.dag.tasks) == ["add"]
    assert set(loaded.spec.root.input_definitions.parameters) == {"a", "b"}
    assert loaded.deployment.executors["exec-add"].container.image == IMAGE


def test_container_component() -> None:
    loaded = load_pipeline(echo)
    container = loaded.deployment.executors["exec-echo"].container
    assert container.image == "alpine:3.19"
    assert list(container.command) == ["echo"]
    assert list(container.args) == ["{{$.inputs.parameters['msg']}}"]


def test_component_loaded_from_yaml_text() -> None:
    component = components.load_component_from_text(
        textwrap.dedent(
            """\
            name: Say
            inputs:
            - {name: word, type: String}
            implementation:
              container:
                image: alpine
                command: [echo, {inputValue: word}]
            """
        )
    )
    loaded = load_pipeline(component)
    assert loaded.name == "say"
    assert list(loaded.deployment.executors["exec-say"].container.command) == [
        "echo",
        "{{$.inputs.parameters['word']}}",
    ]


def test_compiled_yaml_one_document(tmp_path: Path) -> None:
    path = _compile_to(tmp_path, sum_pipeline)
    loaded = load_pipeline(path)
    assert loaded.source == str(path)
    assert loaded.spec == load_pipeline(sum_pipeline).spec
    assert loaded.platform_spec is None
    assert load_pipeline(str(path)).spec == loaded.spec


def test_compiled_yaml_two_documents(tmp_path: Path) -> None:
    text = _compile_to(tmp_path, sum_pipeline).read_text()
    platform = {"platforms": {"kubernetes": {"deploymentSpec": {"executors": {}}}}}
    path = _write(tmp_path, "two.yml", text + "---\n" + yaml.safe_dump(platform))
    loaded = load_pipeline(path)
    assert loaded.platform_spec is not None
    assert "kubernetes" in loaded.platform_spec.platforms
    assert loaded.to_dict()["platform_spec"] == {
        "platforms": {"kubernetes": {"deploymentSpec": {}}}
    }


def test_compiled_component_yaml_is_ir(tmp_path: Path) -> None:
    loaded = load_pipeline(_compile_to(tmp_path, add, "add.yaml"))
    assert loaded.name == "add"
    assert list(loaded.spec.root.dag.tasks) == ["add"]


def test_v1_component_yaml(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "component.yaml",
        """\
        name: Preprocess data
        inputs:
        - {name: rows, type: Integer}
        - {name: source}
        outputs:
        - {name: train_data, type: Dataset}
        implementation:
          container:
            image: alpine
            command:
            - sh
            - -c
            - head -n "$0" "$1" > "$2"
            - {inputValue: rows}
            - {inputPath: source}
            - {outputPath: train_data}
        """,
    )
    loaded = load_pipeline(path)
    assert loaded.name == "preprocess-data"
    defs = loaded.spec.root.input_definitions
    assert defs.parameters["rows"].parameter_type == pipeline_spec_pb2.ParameterType.NUMBER_INTEGER
    assert defs.artifacts["source"].artifact_type.schema_title == "system.Artifact"
    command = list(loaded.deployment.executors["exec-preprocess-data"].container.command)
    assert command[3:] == [
        "{{$.inputs.parameters['rows']}}",
        "{{$.inputs.artifacts['source'].path}}",
        "{{$.outputs.artifacts['train_data'].path}}",
    ]


def test_json_file(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text(json.dumps(_ir(tmp_path)))
    assert load_pipeline(path).name == "sum-pipeline"


def test_dict_and_proto_targets(tmp_path: Path) -> None:
    doc = _ir(tmp_path)
    from_dict = load_pipeline(doc)
    assert from_dict.source == "<dict>"
    assert from_dict.name == "sum-pipeline"
    wrapped = load_pipeline({"pipeline_spec": doc, "platform_spec": None})
    assert wrapped.spec == from_dict.spec
    from_proto = load_pipeline(from_dict.spec)
    assert from_proto.spec == from_dict.spec
    assert from_proto.source == "<PipelineSpec>"


def test_to_dict_from_dict_round_trip(tmp_path: Path) -> None:
    platform = {"platforms": {"kubernetes": {"deploymentSpec": {"executors": {"exec-add": {}}}}}}
    loaded = load_pipeline({"pipeline_spec": _ir(tmp_path), "platform_spec": platform})
    stored = json.loads(json.dumps(loaded.to_dict()))
    assert set(stored) == {"pipeline_spec", "platform_spec"}
    again = LoadedPipeline.from_dict(stored)
    assert again.spec == loaded.spec
    assert again.platform_spec == loaded.platform_spec
    assert again.source == "<stored run>"
    no_platform = LoadedPipeline.from_dict(load_pipeline(sum_pipeline).to_dict())
    assert no_platform.platform_spec is None
    with pytest.raises(InvalidPipelineError, match="no 'pipeline_spec'"):
        LoadedPipeline.from_dict({"spec": {}})


# --- python files ----------------------------------------------------------------------------

PY_HEADER = """\
from kfp import dsl

@dsl.component(base_image="python:3.11")
def hello(name: str) -> str:
    return "hello " + name
"""


def _no_leftover_modules() -> bool:
    return not any(name.startswith("_sluice_pipeline_") for name in sys.modules)


def test_py_file_with_one_pipeline(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "one.py",
        PY_HEADER
        + """
@dsl.pipeline(name="greet")
def greet_pipeline(name: str = "world"):
    hello(name=name)
""",
    )
    loaded = load_pipeline(path)
    assert loaded.name == "greet"
    assert loaded.source == f"{path}:greet_pipeline"
    assert list(loaded.spec.root.dag.tasks) == ["hello"]
    assert _no_leftover_modules()


TWO_PIPELINES = (
    PY_HEADER
    + """
@dsl.pipeline(name="first-pipe")
def first(name: str = "a"):
    hello(name=name)

@dsl.pipeline(name="second-pipe")
def second(name: str = "b"):
    hello(name=name)
    hello(name=name)
"""
)


def test_py_file_with_two_pipelines_needs_a_name(tmp_path: Path) -> None:
    path = _write(tmp_path, "two.py", TWO_PIPELINES)
    with pytest.raises(PipelineNotFoundError) as info:
        load_pipeline(path)
    assert str(info.value) == (
        f"{path} defines several pipelines: first (first-pipe), second (second-pipe); "
        "choose one with pipeline_name= / --pipeline NAME"
    )
    assert _no_leftover_modules()


def test_py_file_pipeline_chosen_by_attribute_or_pipeline_name(tmp_path: Path) -> None:
    path = _write(tmp_path, "two.py", TWO_PIPELINES)
    assert load_pipeline(path, pipeline_name="first").name == "first-pipe"
    assert len(load_pipeline(path, pipeline_name="second-pipe").spec.root.dag.tasks) == 2
    with pytest.raises(PipelineNotFoundError) as info:
        load_pipeline(path, pipeline_name="third")
    assert str(info.value) == (
        f"{path} has no pipeline named 'third'; it has: first (first-pipe), second (second-pipe)"
    )


def test_py_file_nested_pipeline_picks_the_outer_one(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "nested.py",
        PY_HEADER
        + """
@dsl.pipeline
def inner(name: str = "a") -> str:
    return hello(name=name).output

@dsl.pipeline
def outer():
    hello(name=inner(name="x").output)
""",
    )
    loaded = load_pipeline(path)
    assert loaded.name == "outer"
    assert load_pipeline(path, pipeline_name="inner").name == "inner"


def test_py_file_with_only_a_component(tmp_path: Path) -> None:
    path = _write(tmp_path, "comp.py", PY_HEADER)
    loaded = load_pipeline(path)
    assert loaded.name == "hello"
    assert list(loaded.spec.root.dag.tasks) == ["hello"]


def test_py_file_imports_its_sibling_modules_and_ignores_imported_pipelines(
    tmp_path: Path,
) -> None:
    _write(
        tmp_path,
        "shared_parts_for_loader_test.py",
        PY_HEADER
        + """
@dsl.pipeline
def imported_pipeline():
    hello(name="x")
""",
    )
    path = _write(
        tmp_path,
        "main.py",
        """\
        from kfp import dsl
        from shared_parts_for_loader_test import hello, imported_pipeline

        @dsl.pipeline
        def local_pipeline():
            imported_pipeline()
            hello(name="y")
        """,
    )
    try:
        assert load_pipeline(path).name == "local-pipeline"
        assert str(tmp_path) not in sys.path
    finally:
        sys.modules.pop("shared_parts_for_loader_test", None)


def test_py_file_without_pipelines(tmp_path: Path) -> None:
    path = _write(tmp_path, "empty.py", "x = 1\n")
    with pytest.raises(PipelineNotFoundError) as info:
        load_pipeline(path)
    assert (
        str(info.value) == f"{path} defines no @dsl.pipeline or component; define one with kfp.dsl"
    )


def test_py_file_with_several_components_and_no_pipeline(tmp_path: Path) -> None:
    text = (
        PY_HEADER
        + '\n@dsl.component(base_image="python:3.11")\ndef bye() -> str:\n    return "bye"\n'
    )
    path = _write(tmp_path, "comps.py", text)
    with pytest.raises(PipelineNotFoundError, match=r"defines several components: hello \(hello\)"):
        load_pipeline(path)
    assert load_pipeline(path, pipeline_name="bye").name == "bye"


def test_py_file_with_a_name_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "broken.py", "import os\nvalue = x + 1\n")
    with pytest.raises(InvalidPipelineError) as info:
        load_pipeline(path)
    assert str(info.value) == f"cannot import {path}: NameError: name 'x' is not defined"
    assert _no_leftover_modules()


def test_py_file_with_a_syntax_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "bad.py", "def f(:\n    pass\n")
    with pytest.raises(InvalidPipelineError, match=r"^cannot import .*bad\.py: SyntaxError: "):
        load_pipeline(path)


def test_py_file_whose_pipeline_fails_at_definition(tmp_path: Path) -> None:
    path = _write(tmp_path, "wrong.py", PY_HEADER + "\n@dsl.pipeline\ndef p():\n    pass\n")
    with pytest.raises(InvalidPipelineError) as info:
        load_pipeline(path)
    assert str(info.value) == f"cannot import {path}: ValueError: Task is missing from pipeline."


# --- error paths -----------------------------------------------------------------------------


def test_missing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(PipelineNotFoundError) as info:
        load_pipeline("x.yaml")
    assert str(info.value) == "no such file: x.yaml"


def test_directory_and_unsupported_extension(tmp_path: Path) -> None:
    with pytest.raises(PipelineNotFoundError, match="is a directory"):
        load_pipeline(tmp_path)
    path = _write(tmp_path, "notes.txt", "hi\n")
    with pytest.raises(PipelineNotFoundError) as info:
        load_pipeline(path)
    assert str(info.value) == (
        f"cannot load {path}: unsupported file type '.txt'; pass a .py, .yaml, .yml or .json file"
    )


def test_unsupported_target_type() -> None:
    with pytest.raises(PipelineNotFoundError, match="cannot load a pipeline from a int"):
        load_pipeline(42)


def test_yaml_that_is_not_yaml(tmp_path: Path) -> None:
    path = _write(tmp_path, "bad.yaml", "a: [1, 2\nb: c\n")
    with pytest.raises(InvalidPipelineError, match=r"^\S*bad\.yaml is not valid YAML: "):
        load_pipeline(path)
    path = _write(tmp_path, "bad.json", "{nope")
    with pytest.raises(InvalidPipelineError, match=r"bad\.json is not valid JSON: Expecting"):
        load_pipeline(path)


def test_yaml_that_is_not_a_pipeline(tmp_path: Path) -> None:
    path = _write(tmp_path, "other.yaml", "apiVersion: v1\nkind: ConfigMap\n")
    with pytest.raises(InvalidPipelineError) as info:
        load_pipeline(path)
    assert str(info.value) == (
        f"{path} is not a pipeline: no 'root', 'components' or 'pipelineInfo'; pass a pipeline "
        "compiled with kfp (kfp.compiler.Compiler().compile) or a component"
    )
    with pytest.raises(InvalidPipelineError, match="expected a mapping at the top"):
        load_pipeline(_write(tmp_path, "list.yaml", "- 1\n- 2\n"))
    with pytest.raises(InvalidPipelineError, match="is empty"):
        load_pipeline(_write(tmp_path, "empty.yaml", "# nothing\n"))


def test_ir_with_an_unknown_field(tmp_path: Path) -> None:
    doc = _ir(tmp_path)
    doc["root"]["dag"]["tasks"]["add"]["retry"] = {"count": 2}
    with pytest.raises(InvalidPipelineError) as info:
        load_pipeline(doc)
    message = str(info.value)
    assert message.startswith("<dict> is not a valid pipeline spec: ")
    assert 'has no field named "retry"' in message
    assert "\n" not in message


def test_ir_with_a_bad_deployment_spec(tmp_path: Path) -> None:
    doc = _ir(tmp_path)
    doc["deploymentSpec"]["executors"]["exec-add"]["container"]["imagee"] = "x"
    with pytest.raises(InvalidPipelineError, match=r'invalid deploymentSpec: .*"imagee"'):
        load_pipeline(doc)


def test_bad_platform_documents(tmp_path: Path) -> None:
    text = _compile_to(tmp_path, sum_pipeline).read_text()
    path = _write(tmp_path, "p.yaml", text + "---\nfoo: 1\n")
    with pytest.raises(InvalidPipelineError, match="second document is not a platform spec"):
        load_pipeline(path)
    path = _write(tmp_path, "p.yaml", text + "---\nplatforms: {kubernetes: {bogus: 1}}\n")
    with pytest.raises(InvalidPipelineError, match=r"invalid platform spec: .*\"bogus\""):
        load_pipeline(path)
    path = _write(tmp_path, "p.yaml", text + "---\nplatforms: {}\n---\nplatforms: {}\n")
    with pytest.raises(InvalidPipelineError, match="holds 3 YAML documents"):
        load_pipeline(path)


def test_compile_error_from_kfp(tmp_path: Path) -> None:
    # kfp loads this v1 component, but a String input cannot feed an inputPath.
    path = _write(
        tmp_path,
        "v1.yaml",
        """\
        name: Broken
        inputs:
        - {name: input_path, type: String}
        implementation:
          container:
            image: alpine
            command: [cat, {inputPath: input_path}]
        """,
    )
    with pytest.raises(InvalidPipelineError) as info:
        load_pipeline(path)
    message = str(info.value)
    assert message.startswith(f"cannot compile {path}: TypeError: ")
    assert "cannot be paired with InputPathPlaceholder" in message


def _pipelines_of_the_conformance_suite() -> list[Any]:
    import importlib
    import pkgutil

    import tests.conformance.pipelines as package
    from kfp.dsl import base_component

    found = []
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        found += [
            value
            for value in vars(module).values()
            if isinstance(value, base_component.BaseComponent)
        ]
    return found


def test_a_function_loads_as_its_compiled_yaml_does(tmp_path: Path) -> None:
    """Loading a @dsl.pipeline (or component) reads its IR without kfp's YAML round trip;
    for every pipeline and component of the conformance suite, the result is what
    ``Compiler().compile`` writes."""
    targets = _pipelines_of_the_conformance_suite()
    assert len(targets) > 50
    for i, target in enumerate(targets):
        package = tmp_path / f"{i}.yaml"
        compiler.Compiler().compile(target, str(package))
        direct, from_file = load_pipeline(target), load_pipeline(package)
        assert direct.to_dict() == from_file.to_dict(), target.name
