"""Tests for sluice.spec.placeholders: Concat/IfPresent expansion and {{$...}} values.

The args, constants and importer metadata come from pipelines compiled by the real
kfp compiler.
"""

# No `from __future__ import annotations` here: kfp reads the real annotation objects
# of the components defined in these tests.

import json
import warnings
from pathlib import Path
from typing import Any

import pytest
import yaml

from sluice.errors import PlaceholderError, UnsupportedFeatureError
from sluice.spec.placeholders import (
    JobContext,
    expand_structured_args,
    local_path_for_uri,
    resolve_placeholders,
)

JOB = JobContext(
    job_name="my-run",
    job_resource_name="runs/1234",
    job_uuid="1234-uuid",
    task_name="cc",
    task_uuid="task-uuid",
    pipeline_root="/data/root",
    create_time_utc="2026-01-02T03:04:05Z",
    schedule_time_utc="2026-01-02T03:00:00Z",
    workspace_path="/data/workspace",
)

ROOT = "/data/root/run/cc"
EXECUTOR_INPUT: dict[str, Any] = {
    "inputs": {
        "parameterValues": {
            "text": "hello world",
            "n": 3.0,
            "ratio": 0.25,
            "flag": True,
            "items": [1.0, "a"],
            "cfg": {"lr": 0.1, "epochs": 2.0},
            "empty": None,
        },
        "artifacts": {
            "inp": {
                "artifacts": [
                    {
                        "name": "out",
                        "type": {"schemaTitle": "system.Dataset", "schemaVersion": "0.0.1"},
                        "uri": "/data/root/run/mk/out",
                        "metadata": {"rows": 3.0, "k": "v"},
                    }
                ]
            },
            "remote": {"artifacts": [{"name": "r", "uri": "gs://bucket/key/r", "metadata": {}}]},
            "moved": {
                "artifacts": [{"name": "m", "uri": "gs://b/m", "customPath": "/tmp/custom/m"}]
            },
            "nothing": {"artifacts": []},
        },
    },
    "outputs": {
        "parameters": {"out_path": {"outputFile": f"{ROOT}/out_path"}},
        "artifacts": {
            "out": {
                "artifacts": [
                    {
                        "name": "out",
                        "type": {"schemaTitle": "system.Dataset", "schemaVersion": "0.0.1"},
                        "uri": f"{ROOT}/out",
                        "metadata": {},
                    }
                ]
            }
        },
        "outputFile": f"{ROOT}/output_metadata.json",
    },
}


def _resolve(text: str, **kwargs: Any) -> str:
    return resolve_placeholders(text, executor_input=EXECUTOR_INPUT, job=JOB, **kwargs)


# --- compiled pipelines ------------------------------------------------------------------


def _compile(pipeline_func: Any, path: Path) -> dict[str, Any]:
    from kfp import compiler

    compiler.Compiler().compile(pipeline_func, str(path))
    doc: dict[str, Any] = yaml.safe_load(path.read_text())
    return doc


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # kfp only understands the typing forms here, not `list[...]` or `X | None`.
        from typing import List, Optional  # noqa: UP035

        from kfp import dsl
        from kfp.dsl import (
            Artifact,
            ConcatPlaceholder,
            ContainerSpec,
            Dataset,
            IfPresentPlaceholder,
            Input,
            Output,
            OutputPath,
        )

        @dsl.container_component
        def cc(
            text: str,
            out: Output[Dataset],
            out_path: OutputPath(str),
            inp: Input[Dataset],
            optional_flag: Optional[str] = None,  # noqa: UP045
            n: int = 3,
        ):
            return ContainerSpec(
                image="alpine",
                command=[
                    "sh",
                    "-c",
                    ConcatPlaceholder(
                        ['mkdir -p "$(dirname ', out.path, ')" && echo ', text, " > ", out.path]
                    ),
                ],
                args=[
                    IfPresentPlaceholder(
                        input_name="optional_flag",
                        then=["--flag", optional_flag],
                        else_=["--noflag"],
                    ),
                    IfPresentPlaceholder(input_name="optional_flag", then=optional_flag),
                    IfPresentPlaceholder(
                        input_name="optional_flag",
                        then=ConcatPlaceholder(["--f=", optional_flag]),
                        else_=ConcatPlaceholder(
                            [
                                "--nf=",
                                IfPresentPlaceholder(
                                    input_name="n", then=ConcatPlaceholder(["x", n])
                                ),
                            ]
                        ),
                    ),
                    ConcatPlaceholder(
                        ["a", IfPresentPlaceholder(input_name="optional_flag", then="b", else_="c")]
                    ),
                    inp.uri,
                    inp.path,
                    inp.metadata,
                    inp.metadata["k"],
                    out.uri,
                    out.metadata,
                    out_path,
                    n,
                    dsl.PIPELINE_JOB_NAME_PLACEHOLDER,
                    dsl.PIPELINE_JOB_RESOURCE_NAME_PLACEHOLDER,
                    dsl.PIPELINE_JOB_ID_PLACEHOLDER,
                    dsl.PIPELINE_TASK_NAME_PLACEHOLDER,
                    dsl.PIPELINE_TASK_ID_PLACEHOLDER,
                    dsl.PIPELINE_ROOT_PLACEHOLDER,
                    dsl.PIPELINE_JOB_CREATE_TIME_UTC_PLACEHOLDER,
                    dsl.PIPELINE_JOB_SCHEDULE_TIME_UTC_PLACEHOLDER,
                    dsl.PIPELINE_TASK_EXECUTOR_OUTPUT_PATH_PLACEHOLDER,
                    '{"not": "concat"}',
                ],
            )

        @dsl.container_component
        def many(arts: Input[List[Artifact]]):  # noqa: UP006
            return ContainerSpec(image="alpine", command=["echo", arts])

        @dsl.component
        def mk(out: Output[Dataset]) -> None:
            pass

        @dsl.component
        def say(x: str) -> str:
            return x

        @dsl.pipeline
        def pipe(text: str = "hi", uri: str = "/tmp/x") -> None:
            made = mk()
            cc(text=text, inp=made.outputs["out"])
            first = say(x="a").set_display_name("first")
            say(x=f"pre-{first.output}-{text}-post").set_display_name("fstring")
            say(x=dsl.PIPELINE_JOB_NAME_PLACEHOLDER).set_display_name("job-name")
            say(
                x=f"job={dsl.PIPELINE_JOB_NAME_PLACEHOLDER}/{dsl.PIPELINE_TASK_NAME_PLACEHOLDER}"
            ).set_display_name("job-fstring")
            dsl.importer(
                artifact_uri=uri,
                artifact_class=Dataset,
                metadata={"source": text, "job": dsl.PIPELINE_JOB_NAME_PLACEHOLDER, "n": 3},
            )
            with dsl.ParallelFor([1, 2]):
                looped = mk()
            many(arts=dsl.Collected(looped.outputs["out"]))

    return _compile(pipe, tmp_path_factory.mktemp("placeholders") / "pipe.yaml")


def _container(doc: dict[str, Any], executor: str) -> dict[str, Any]:
    container: dict[str, Any] = doc["deploymentSpec"]["executors"][executor]["container"]
    return container


def _task(doc: dict[str, Any], display_name: str) -> dict[str, Any]:
    (task,) = [
        t for t in doc["root"]["dag"]["tasks"].values() if t["taskInfo"]["name"] == display_name
    ]
    return task


# --- Concat / IfPresent --------------------------------------------------------------------


def test_compiled_concat_and_ifpresent_with_optional_input_present(
    compiled: dict[str, Any],
) -> None:
    container = _container(compiled, "exec-cc")
    present = {"text", "inp", "optional_flag", "n"}
    command = expand_structured_args(container["command"], present_inputs=present)
    assert command == [
        "sh",
        "-c",
        "mkdir -p \"$(dirname {{$.outputs.artifacts['out'].path}})\" && echo "
        "{{$.inputs.parameters['text']}} > {{$.outputs.artifacts['out'].path}}",
    ]
    args = expand_structured_args(container["args"], present_inputs=present)
    assert args[:5] == [
        "--flag",
        "{{$.inputs.parameters['optional_flag']}}",
        "{{$.inputs.parameters['optional_flag']}}",
        "--f={{$.inputs.parameters['optional_flag']}}",
        "ab",
    ]
    # Plain args, including one that merely looks like JSON, are kept as they are.
    assert args[5] == "{{$.inputs.artifacts['inp'].uri}}"
    assert args[-1] == '{"not": "concat"}'
    assert len(args) == len(container["args"]) + 1


def test_compiled_concat_and_ifpresent_with_optional_input_absent(
    compiled: dict[str, Any],
) -> None:
    args = _container(compiled, "exec-cc")["args"]
    with_n = expand_structured_args(args, present_inputs=["text", "inp", "n"])
    assert with_n[:3] == ["--noflag", "--nf=x{{$.inputs.parameters['n']}}", "ac"]
    without_n = expand_structured_args(args, present_inputs=[])
    # The IfPresent without Else yields no arg at all; the nested one inside a Concat
    # yields "".
    assert without_n[:3] == ["--noflag", "--nf=", "ac"]
    assert len(without_n) == len(args) - 1


def test_expand_then_else_single_strings_and_nested_structures() -> None:
    args = [
        json.dumps({"IfPresent": {"InputName": "a", "Then": "one"}}),
        json.dumps(
            {
                "IfPresent": {
                    "InputName": "b",
                    "Then": [{"Concat": ["x=", "{{$.inputs.parameters['b']}}"]}, "tail"],
                    "Else": [{"IfPresent": {"InputName": "a", "Then": ["p", "q"]}}],
                }
            }
        ),
        json.dumps({"Concat": []}),
        json.dumps({"Concat": ["n", 1, True]}),
    ]
    assert expand_structured_args(args, present_inputs={"a"}) == ["one", "p", "q", "", "n1true"]
    assert expand_structured_args(args, present_inputs={"b"}) == [
        "x={{$.inputs.parameters['b']}}",
        "tail",
        "",
        "n1true",
    ]


@pytest.mark.parametrize(
    "arg",
    [
        '{"Concat": "not a list"}',
        '{"IfPresent": {"Then": ["x"]}}',
        '{"Concat": ["a"], "extra": 1}',
        "{not json",
        "[1, 2]",
        '  {"other": 1}',
        "",
    ],
)
def test_args_that_are_not_structures_are_kept(arg: str) -> None:
    assert expand_structured_args([arg], present_inputs={"x"}) == [arg]


def test_malformed_nested_structures_raise() -> None:
    bad_list = json.dumps({"Concat": ["a", {"IfPresent": {"InputName": "x", "Then": ["b", "c"]}}]})
    with pytest.raises(PlaceholderError, match="inside a Concat"):
        expand_structured_args([bad_list], present_inputs={"x"})
    unknown = json.dumps({"Concat": ["a", {"Weird": 1}]})
    with pytest.raises(PlaceholderError, match="unknown structured placeholder"):
        expand_structured_args([unknown], present_inputs=())


# --- {{$...}} in compiled container args ----------------------------------------------------


def test_compiled_container_args_resolve(compiled: dict[str, Any]) -> None:
    container = _container(compiled, "exec-cc")
    present = {"text", "inp", "n"}
    command = [
        _resolve(a) for a in expand_structured_args(container["command"], present_inputs=present)
    ]
    assert command[2] == (f'mkdir -p "$(dirname {ROOT}/out)" && echo hello world > {ROOT}/out')
    args = [_resolve(a) for a in expand_structured_args(container["args"], present_inputs=present)]
    assert args == [
        "--noflag",
        "--nf=x3",
        "ac",
        "/data/root/run/mk/out",
        "/data/root/run/mk/out",
        '{"rows":3,"k":"v"}',
        "v",
        f"{ROOT}/out",
        "{}",
        f"{ROOT}/out_path",
        "3",
        "my-run",
        "runs/1234",
        "1234-uuid",
        "cc",
        "task-uuid",
        "/data/root",
        "2026-01-02T03:04:05Z",
        "2026-01-02T03:00:00Z",
        f"{ROOT}/output_metadata.json",
        '{"not": "concat"}',
    ]


def test_compiled_lightweight_component_gets_executor_input_json(
    compiled: dict[str, Any],
) -> None:
    args = _container(compiled, "exec-say")["args"]
    assert "{{$}}" in args
    resolved = [_resolve(a) for a in args]
    payload = json.loads(resolved[args.index("{{$}}")])
    assert payload["inputs"]["parameterValues"]["text"] == "hello world"
    # Integral doubles are written as ints, like Go's protojson.
    assert payload["inputs"]["parameterValues"]["n"] == 3
    assert payload["inputs"]["parameterValues"]["items"] == [1, "a"]
    assert isinstance(payload["inputs"]["parameterValues"]["items"][0], int)
    assert payload["outputs"]["outputFile"] == f"{ROOT}/output_metadata.json"


def test_list_of_artifacts_placeholder_gives_their_json(compiled: dict[str, Any]) -> None:
    command = _container(compiled, "exec-many")["command"]
    assert command == ["echo", "{{$.inputs.artifacts['arts']}}"]
    executor_input = {
        "inputs": {"artifacts": {"arts": {"artifacts": [{"name": "a", "uri": "/r/a"}]}}}
    }
    text = resolve_placeholders(command[1], executor_input=executor_input, job=JOB)
    assert json.loads(text) == [{"name": "a", "uri": "/r/a"}]


# --- constants and importer metadata --------------------------------------------------------


def test_fstring_constant_resolves_against_the_tasks_own_inputs(compiled: dict[str, Any]) -> None:
    inputs = _task(compiled, "fstring")["inputs"]["parameters"]
    constant = inputs["x"]["runtimeValue"]["constant"]
    assert "{{$.inputs.parameters['pipelinechannel--say-Output']}}" in constant
    own = {
        "inputs": {
            "parameterValues": {
                "pipelinechannel--say-Output": "a",
                "pipelinechannel--text": "hi",
            }
        }
    }
    assert resolve_placeholders(constant, executor_input=own, job=JOB) == "pre-a-hi-post"


def test_job_placeholders_in_constants(compiled: dict[str, Any]) -> None:
    exact = _task(compiled, "job-name")["inputs"]["parameters"]["x"]["runtimeValue"]["constant"]
    assert resolve_placeholders(exact, executor_input=None, job=JOB) == "my-run"
    inner = _task(compiled, "job-fstring")["inputs"]["parameters"]["x"]["runtimeValue"]
    assert resolve_placeholders(inner["constant"], executor_input=None, job=JOB) == "job=my-run/cc"


def test_importer_metadata_placeholders(compiled: dict[str, Any]) -> None:
    importer = compiled["deploymentSpec"]["executors"]["exec-importer"]["importer"]
    metadata = importer["metadata"]
    task_inputs = compiled["root"]["dag"]["tasks"]["importer"]["inputs"]["parameters"]
    (name,) = [n for n in task_inputs if n.startswith("metadata")]
    own = {"inputs": {"parameterValues": {name: "from-text"}}}
    resolved = {
        k: resolve_placeholders(v, executor_input=own, job=JOB) if isinstance(v, str) else v
        for k, v in metadata.items()
    }
    assert resolved == {"source": "from-text", "job": "my-run", "n": 3.0}


# --- every placeholder form ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{{$.inputs.parameters['text']}}", "hello world"),
        ('{{$.inputs.parameters["text"]}}', "hello world"),
        ("{{$.inputs.parameters['n']}}", "3"),
        ("{{$.inputs.parameters['ratio']}}", "0.25"),
        ("{{$.inputs.parameters['flag']}}", "true"),
        ("{{$.inputs.parameters['items']}}", '[1,"a"]'),
        ("{{$.inputs.parameters['cfg']}}", '{"lr":0.1,"epochs":2}'),
        ("{{$.inputs.parameters['empty']}}", ""),
        ("--n={{$.inputs.parameters['n']}}/{{$.inputs.parameters['flag']}}", "--n=3/true"),
        ("{{$.inputs.artifacts['inp'].uri}}", "/data/root/run/mk/out"),
        ('{{$.inputs.artifacts["inp"].path}}', "/data/root/run/mk/out"),
        ("{{$.inputs.artifacts['remote'].path}}", "/gcs/bucket/key/r"),
        ("{{$.inputs.artifacts['remote'].uri}}", "gs://bucket/key/r"),
        ("{{$.inputs.artifacts['moved'].path}}", "/tmp/custom/m"),
        ("{{$.inputs.artifacts['inp'].metadata['rows']}}", "3"),
        ('{{$.inputs.artifacts["inp"].metadata["k"]}}', "v"),
        ("{{$.inputs.artifacts['inp'].metadata['absent']}}", ""),
        ("{{$.inputs.artifacts['nothing'].uri}}", ""),
        ("{{$.outputs.artifacts['out'].uri}}", f"{ROOT}/out"),
        ("{{$.outputs.artifacts['out'].path}}", f"{ROOT}/out"),
        ("{{$.outputs.artifacts['out'].metadata}}", "{}"),
        ("{{$.outputs.parameters['out_path'].output_file}}", f"{ROOT}/out_path"),
        ('{{$.outputs.parameters["out_path"].output_file}}', f"{ROOT}/out_path"),
        ("{{$.outputs.output_file}}", f"{ROOT}/output_metadata.json"),
        ("{{$.outputMetadataUri}}", f"{ROOT}/output_metadata.json"),
        ("{{$.pipeline_job_name}}", "my-run"),
        ("{{$.pipeline_job_resource_name}}", "runs/1234"),
        ("{{$.pipeline_job_uuid}}", "1234-uuid"),
        ("{{$.pipeline_task_name}}", "cc"),
        ("{{$.pipeline_task_uuid}}", "task-uuid"),
        ("{{$.pipeline_root}}", "/data/root"),
        ("{{$.pipeline_job_create_time_utc}}", "2026-01-02T03:04:05Z"),
        ("{{$.pipeline_job_schedule_time_utc}}", "2026-01-02T03:00:00Z"),
        ("{{$.workspace_path}}/data", "/data/workspace/data"),
        ("no placeholders {{ here }}", "no placeholders {{ here }}"),
    ],
)
def test_resolve_each_placeholder(text: str, expected: str) -> None:
    assert _resolve(text) == expected


def test_substituted_values_are_not_scanned_again() -> None:
    executor_input = {"inputs": {"parameterValues": {"a": "{{$.pipeline_job_name}}", "b": "x"}}}
    text = "{{$.inputs.parameters['a']}}-{{$.inputs.parameters['b']}}"
    assert (
        resolve_placeholders(text, executor_input=executor_input, job=JOB)
        == "{{$.pipeline_job_name}}-x"
    )


def test_missing_optional_input_gives_empty_text() -> None:
    text = "[{{$.inputs.parameters['opt']}}][{{$.inputs.artifacts['opt_art'].path}}]"
    assert _resolve(text, optional_inputs={"opt", "opt_art"}) == "[][]"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("{{$.inputs.parameters['nope']}}", "no input parameter 'nope'"),
        ("{{$.inputs.artifacts['nope'].uri}}", "no input artifact 'nope'"),
        ("{{$.outputs.artifacts['nope'].uri}}", "no output artifact 'nope'"),
        ("{{$.outputs.parameters['nope'].output_file}}", "no output parameter 'nope'"),
        ("{{$.pipeline_unknown}}", "unknown placeholder {{$.pipeline_unknown}}"),
        ("{{$.inputs.parameters['text'].uri}}", "unknown placeholder"),
        ("{{$.inputs.artifacts['inp'].size}}", "unknown placeholder"),
        ("{{$.outputs.parameters['out_path']}}", "unknown placeholder"),
        ("{{$.inputs.values['x']}}", "unknown placeholder"),
    ],
)
def test_bad_references_raise_placeholder_error(text: str, fragment: str) -> None:
    with pytest.raises(PlaceholderError) as info:
        _resolve(text)
    assert fragment in str(info.value)


def test_io_placeholders_need_an_executor_input() -> None:
    with pytest.raises(PlaceholderError, match=r"\{\{\$\.inputs\.parameters\['x'\]\}\}"):
        resolve_placeholders("{{$.inputs.parameters['x']}}", executor_input=None, job=JOB)
    with pytest.raises(PlaceholderError, match=r"\{\{\$\}\}"):
        resolve_placeholders("{{$}}", executor_input=None, job=JOB)


def test_workspace_placeholder_needs_a_workspace() -> None:
    job = JobContext(**{**JOB.__dict__, "workspace_path": ""})
    with pytest.raises(PlaceholderError, match="no workspace"):
        resolve_placeholders("{{$.workspace_path}}", executor_input=None, job=job)


def test_job_context_is_frozen_and_keyword_only() -> None:
    with pytest.raises(TypeError):
        JobContext("a", "b", "c", "d", "e", "f", "g", "h", "i")  # type: ignore[misc]
    with pytest.raises(AttributeError):
        JOB.job_name = "other"  # type: ignore[misc]


# --- local paths -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "path"),
    [
        ("/abs/path/x", "/abs/path/x"),
        ("relative/x", "relative/x"),
        ("file:///tmp/a%20b/x", "/tmp/a b/x"),
        ("file://localhost/tmp/x", "/tmp/x"),
        ("gs://bucket/k/x", "/gcs/bucket/k/x"),
        ("s3://bucket/k", "/s3/bucket/k"),
        ("minio://bucket/k", "/minio/bucket/k"),
        ("oci://registry/model:tag", "/oci/registry_model:tag/models"),
    ],
)
def test_local_path_for_uri(uri: str, path: str) -> None:
    assert local_path_for_uri(uri) == path


@pytest.mark.parametrize("uri", ["https://example.com/x", "hf://org/model", "file://host/x"])
def test_local_path_for_unsupported_uri(uri: str) -> None:
    with pytest.raises(UnsupportedFeatureError):
        local_path_for_uri(uri)
