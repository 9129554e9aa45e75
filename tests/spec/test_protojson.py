"""sluice.spec.protojson gives what json_format gives: the same messages, dicts and errors."""

import importlib
import json
import math
import pkgutil
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import descriptor_pb2, json_format, struct_pb2
from google.protobuf.message import Message
from kfp.pipeline_spec import pipeline_spec_pb2

from sluice.spec import protojson
from sluice.spec.loader import load_pipeline, spec_to_dict

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PIPELINES = [
    EXAMPLES / "hello_pipeline.py",
    EXAMPLES / "train_pipeline.py",
    EXAMPLES / "ci" / "pipeline.py",
    EXAMPLES / "arr_coc" / "pipeline.py",
    EXAMPLES / "vertex" / "pipeline.py",
]


def _specs() -> list[pipeline_spec_pb2.PipelineSpec]:
    return [load_pipeline(path).spec for path in PIPELINES if path.exists()]


def _same_as_parse_dict(doc: Any, make: type[Message]) -> None:
    """parse_dict(doc) builds what ParseDict builds, or raises the same error."""
    try:
        expected = json_format.ParseDict(doc, make(), ignore_unknown_fields=False)
    except Exception as exc:
        with pytest.raises(type(exc)) as caught:
            protojson.parse_dict(doc, make())
        assert str(caught.value) == str(exc)
        return
    got = protojson.parse_dict(doc, make())
    assert got == expected
    assert got.SerializeToString(deterministic=True) == expected.SerializeToString(
        deterministic=True
    )
    # Maps filled in the same order iterate in the same order.
    assert json.dumps(json_format.MessageToDict(got)) == json.dumps(
        json_format.MessageToDict(expected)
    )


def test_examples_parse_and_print_like_json_format() -> None:
    specs = _specs()
    assert len(specs) >= 3
    for spec in specs:
        doc = json_format.MessageToDict(spec)
        assert json.dumps(spec_to_dict(spec)) == json.dumps(doc)  # same keys, same order
        _same_as_parse_dict(doc, pipeline_spec_pb2.PipelineSpec)
        deployment = protojson.struct_to_dict(spec.deployment_spec)
        assert json.dumps(deployment) == json.dumps(json_format.MessageToDict(spec.deployment_spec))
        _same_as_parse_dict(deployment, pipeline_spec_pb2.PipelineDeploymentConfig)


def test_a_deployment_config_is_parsed_without_json_format(monkeypatch: Any) -> None:
    spec = load_pipeline(PIPELINES[0]).spec
    deployment = protojson.struct_to_dict(spec.deployment_spec)
    expected = json_format.ParseDict(deployment, pipeline_spec_pb2.PipelineDeploymentConfig())

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("fell back to json_format.ParseDict")

    monkeypatch.setattr(protojson.json_format, "ParseDict", refuse)
    got = protojson.parse_dict(deployment, pipeline_spec_pb2.PipelineDeploymentConfig())
    assert got == expected


def _executor(container: Any) -> dict[str, Any]:
    return {"executors": {"exec-a": {"container": container}}}


ODD_DEPLOYMENTS = [
    _executor({"image": "a", "command": ["x", None]}),  # null in a repeated field
    _executor({"image": None, "command": ["x"]}),  # null clears
    _executor({"image": 3}),  # not a string
    _executor({"image": "\ud800"}),  # unpaired surrogate
    _executor({"image": "caf\u00e9 \U0001f600"}),  # non-ASCII, fine
    _executor({"image": "a", "imagee": "b"}),  # unknown field
    _executor({"image": "a", "command": "x"}),  # not a list
    _executor({"image": "a", "resources": {"cpuLimit": 1}}),  # an int for a double
    _executor({"image": "a", "resources": {"cpuLimit": 1.5, "memoryLimit": "2"}}),
    _executor({"image": "a", "resources": {"cpuLimit": math.inf}}),
    _executor({"image": "a", "resources": {"accelerator": {"count": "2"}}}),  # int as str
    _executor({"image": "a", "resources": {"accelerator": {"count": 2.0}}}),
    _executor({"image": "a", "resources": {"accelerator": {"count": True}}}),
    _executor({"image": "a", "resources": {"accelerator": {"count": 2**70}}}),
    _executor({"image": "a", "lifecycle": {"preCacheCheck": {"command": ["c"]}}}),
    _executor({"image": "a", "env": [{"name": "A", "value": "1"}, None]}),
    _executor({"image": "a", "env": [{"name": "A", "value": "1"}, "B"]}),
    _executor(["not", "a", "dict"]),
    {"executors": {"exec-a": {"container": {"image": "a"}, "importer": {"artifactUri": {}}}}},
    {"executors": {"exec-a": {"importer": {"artifactUri": {"constant": "gs://x"}}}}},
    {"executors": {"exec-a": {"importer": {"metadata": {"a": [1, None, {"b": True}]}}}}},
    {"executors": {"exec-a": {"importer": {"typeSchema": {"schemaTitle": 5}}}}},
    {
        "executors": {
            "exec-a": {"container": {"image": "a"}, "importer": {"artifactUri": {"constant": "x"}}}
        }
    },
    {"executors": {"exec-a": {"container": {"image": "a"}}}, "executors_": {}},
    {"executors": []},
    {"executors": None},
    [],
]


@pytest.mark.parametrize("doc", ODD_DEPLOYMENTS)
def test_odd_deployments_parse_or_fail_like_parse_dict(doc: Any) -> None:
    _same_as_parse_dict(doc, pipeline_spec_pb2.PipelineDeploymentConfig)


def test_two_spellings_of_a_field_and_two_oneof_members() -> None:
    spec = load_pipeline(PIPELINES[0]).spec
    doc = json_format.MessageToDict(spec)
    both = dict(doc, pipeline_info={"name": "other"})  # merges into pipelineInfo
    _same_as_parse_dict(both, pipeline_spec_pb2.PipelineSpec)
    component = next(iter(doc["components"].values()))
    oneofs = dict(component, dag={"tasks": {}})  # executorLabel and dag are one oneof
    _same_as_parse_dict(dict(doc, components={"comp-x": oneofs}), pipeline_spec_pb2.PipelineSpec)


def test_enums_constants_and_depth() -> None:
    doc = {
        "root": {
            "inputDefinitions": {
                "parameters": {
                    "a": {"parameterType": "STRING", "defaultValue": "x"},
                    "b": {"parameterType": "NUMBER_INTEGER", "defaultValue": 3},
                    "c": {"parameterType": 3, "defaultValue": None},
                    "d": {"parameterType": "NOT_A_TYPE"},
                    "e": {"parameterType": "LIST", "defaultValue": [1, "a", {"x": None}]},
                }
            }
        }
    }
    _same_as_parse_dict(doc, pipeline_spec_pb2.PipelineSpec)
    del doc["root"]["inputDefinitions"]["parameters"]["d"]
    _same_as_parse_dict(doc, pipeline_spec_pb2.PipelineSpec)
    del doc["root"]["inputDefinitions"]["parameters"]["c"]
    _same_as_parse_dict(doc, pipeline_spec_pb2.PipelineSpec)
    # A constant nested past json_format's depth limit fails as it does there.
    deep: Any = "leaf"
    for _ in range(120):
        deep = {"k": deep}
    doc["root"]["inputDefinitions"]["parameters"]["f"] = {
        "parameterType": "STRUCT",
        "defaultValue": deep,
    }
    _same_as_parse_dict(doc, pipeline_spec_pb2.PipelineSpec)


def test_struct_to_dict_is_message_to_dict() -> None:
    struct = struct_pb2.Struct()
    struct.update({"s": "x", "n": 1.5, "i": 2, "b": False, "z": None, "l": [1, "a", {"k": []}]})
    struct["o"] = {"p": {"q": True}}
    got = protojson.struct_to_dict(struct)
    assert json.dumps(got) == json.dumps(json_format.MessageToDict(struct))
    struct["bad"] = math.nan
    with pytest.raises(ValueError, match="NaN"):
        protojson.struct_to_dict(struct)


def _conformance_specs() -> list[pipeline_spec_pb2.PipelineSpec]:
    """Every pipeline of the conformance suite: each DSL feature, compiled by kfp."""
    from kfp.dsl import graph_component
    from tests.conformance import pipelines

    specs = []
    for module_info in pkgutil.iter_modules(pipelines.__path__):
        module = importlib.import_module(f"{pipelines.__name__}.{module_info.name}")
        for value in vars(module).values():
            if isinstance(value, graph_component.GraphComponent):
                specs.append(value.pipeline_spec)
    return specs


def test_message_to_dict_is_message_to_dict_on_every_conformance_pipeline(
    monkeypatch: Any,
) -> None:
    specs = _conformance_specs() + _specs()
    assert len(specs) > 50
    expected = [json.dumps(json_format.MessageToDict(spec)) for spec in specs]

    original = json_format.MessageToDict

    def well_known_only(message: Message, **kwargs: Any) -> Any:
        if not message.DESCRIPTOR.full_name.startswith("google.protobuf."):
            raise AssertionError("fell back to json_format.MessageToDict")
        return original(message, **kwargs)  # a Duration

    monkeypatch.setattr(protojson.json_format, "MessageToDict", well_known_only)
    for spec, want in zip(specs, expected, strict=True):
        assert json.dumps(protojson.message_to_dict(spec)) == want  # same keys, same order
        deployment = protojson.struct_to_dict(spec.deployment_spec)
        assert json.dumps(spec_to_dict(spec, deployment=deployment)) == want
        # A parsed copy (which may iterate its maps in another order), through to_dict(),
        # whose first call reuses the deploymentSpec's conversion made by the parse.
        loaded = load_pipeline(spec)
        assert loaded.to_dict()["pipeline_spec"] == json.loads(want)
        assert loaded.to_dict()["pipeline_spec"] == json.loads(want)  # a second time too


def _same_as_message_to_dict(message: Message) -> None:
    """message_to_dict(message) gives what MessageToDict gives, or raises the same error."""
    try:
        expected = json_format.MessageToDict(message)
    except Exception as exc:
        with pytest.raises(type(exc)) as caught:
            protojson.message_to_dict(message)
        assert str(caught.value) == str(exc)
        return
    assert json.dumps(protojson.message_to_dict(message)) == json.dumps(expected)


def test_message_to_dict_hands_what_it_does_not_write_to_json_format() -> None:
    odd = descriptor_pb2.UninterpretedOption(
        identifier_value="x",
        positive_int_value=2**63,  # uint64: a string
        negative_int_value=-(2**40),  # int64: a string
        double_value=0.1,
        string_value=b"\x00\xff",  # bytes: base64
        aggregate_value="caf\u00e9",
    )
    _same_as_message_to_dict(odd)
    for double in (math.nan, math.inf, -math.inf, 1e300, -0.0):
        _same_as_message_to_dict(descriptor_pb2.UninterpretedOption(double_value=double))
    field = descriptor_pb2.FieldDescriptorProto(name="f", number=1)
    field.label = descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED
    _same_as_message_to_dict(descriptor_pb2.FileDescriptorProto(name="a", message_type=[{}]))
    _same_as_message_to_dict(field)
    wrapped = pipeline_spec_pb2.PipelineTaskSpec()
    wrapped.retry_policy.backoff_duration.seconds = 5  # a Duration: json_format writes "5s"
    wrapped.retry_policy.backoff_factor = 2.0
    _same_as_message_to_dict(wrapped)
    values = pipeline_spec_pb2.ValueOrRuntimeParameter()
    values.constant.list_value.values.add().null_value = struct_pb2.NULL_VALUE
    values.constant.list_value.values.add().number_value = math.nan  # refused by both
    _same_as_message_to_dict(values)
    _same_as_message_to_dict(struct_pb2.Struct(fields={"a": struct_pb2.Value(bool_value=True)}))
