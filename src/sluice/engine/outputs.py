"""A finished task's outputs (read, digested, published), and a DAG's outputs from its tasks."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from kfp.pipeline_spec import pipeline_spec_pb2

from sluice.engine.model import ArtifactRef, TaskResult
from sluice.engine.staging import is_remote, publish_artifact
from sluice.errors import ComponentError
from sluice.executors.base import ExecutorOutput
from sluice.names import safe_component, under
from sluice.spec.values import cast_parameter, normalize_numbers
from sluice.store.digest import cheap_digest

_TYPES = pipeline_spec_pb2.ParameterType.ParameterTypeEnum


@dataclass(frozen=True, kw_only=True)
class ProducedArtifact:
    """An output artifact as the component left it (before it is recorded)."""

    output_name: str
    uri: str
    schema_title: str
    schema_version: str
    metadata: dict[str, Any]


def collect_container_outputs(
    component: pipeline_spec_pb2.ComponentSpec,
    executor_input: dict[str, Any],
    output: ExecutorOutput | None,
    *,
    task_path: str,
) -> tuple[dict[str, Any], list[ProducedArtifact]]:
    """Output parameters and artifacts of a container task that exited with 0.

    ``output`` is what the executor returned (it read the component's executor output, or
    received it from wherever the task ran). Each parameter comes from its value there or,
    when missing (an ``OutputPath`` parameter), from its file's text, parsed by type as the
    Go launcher does. Artifact uri/metadata reported are merged into the provisioned ones.
    """
    output = output or ExecutorOutput()
    values, files = output.parameter_values, output.parameter_files
    outputs = executor_input["outputs"]

    parameters: dict[str, Any] = {}
    for name, spec in component.output_definitions.parameters.items():
        type_name = _TYPES.Name(spec.parameter_type)
        if name in values:
            parameters[name] = cast_parameter(values[name], type_name, name=name)
            continue
        if name not in files:
            path = outputs["parameters"][name]["outputFile"]
            raise ComponentError(
                task_path,
                f"output parameter '{name}' was not produced "
                f"(no value in the executor output and no file {path})",
            )
        parameters[name] = _parse_parameter_file(files[name], type_name, name=name)

    produced: list[ProducedArtifact] = []
    for name, spec in component.output_definitions.artifacts.items():
        provisioned = outputs["artifacts"][name]["artifacts"][0]
        uri, metadata = provisioned["uri"], dict(provisioned.get("metadata") or {})
        for item in output.artifacts.get(name, [])[:1]:
            uri = item.uri or uri
            metadata.update(item.metadata)
        produced.append(
            ProducedArtifact(
                output_name=name,
                uri=uri,
                schema_title=spec.artifact_type.schema_title,
                schema_version=spec.artifact_type.schema_version or "0.0.1",
                metadata=normalize_numbers(metadata),
            )
        )
    return parameters, produced


def cheap_digests(produced: list[ProducedArtifact]) -> dict[str, str | None]:
    """Digests of the small local outputs, by output name (see store/digest.py)."""
    digests: dict[str, str | None] = {}
    for item in produced:
        if not is_remote(item.uri):
            digests[item.output_name] = cheap_digest(item.uri.removeprefix("file://"))
    return digests


async def publish_outputs(
    produced: list[ProducedArtifact], *, task_root: str, uploaded: bool = False
) -> list[ProducedArtifact]:
    """Upload staged outputs under a remote ``task_root``; returns them with remote URIs.

    ``uploaded``: the executor uploaded them where the attempt ran (Ray): only the URIs
    change.
    """
    published = []
    for item in produced:
        remote = under(task_root, safe_component(item.output_name))
        if not uploaded:
            what = f"output artifact '{item.output_name}'"
            await publish_artifact(Path(item.uri), remote, what=what)
        published.append(replace(item, uri=remote))
    return published


def _parse_parameter_file(text: str, type_name: str, *, name: str) -> Any:
    if type_name == "STRING":
        return text
    if type_name in ("LIST", "STRUCT"):
        return cast_parameter(json.loads(text), type_name, name=name)
    return cast_parameter(text.strip(), type_name, name=name)


def dag_outputs(
    component: pipeline_spec_pb2.ComponentSpec, results: dict[str, TaskResult]
) -> tuple[dict[str, Any], dict[str, list[ArtifactRef]]]:
    """A DAG's outputs from its tasks' results; outputs nobody produced are left out.

    A ``valueFromOneof`` (``dsl.OneOf``) or several artifact selectors take the first
    producer that ran.
    """
    parameters: dict[str, Any] = {}
    for name, spec in component.dag.outputs.parameters.items():
        if spec.WhichOneof("kind") == "value_from_parameter":
            selectors = [spec.value_from_parameter]
        else:
            selectors = list(spec.value_from_oneof.parameter_selectors)
        for selector in selectors:
            result = results.get(selector.producer_subtask)
            if (
                result is not None
                and result.ok
                and selector.output_parameter_key in (result.parameters)
            ):
                parameters[name] = result.parameters[selector.output_parameter_key]
                break
    artifacts: dict[str, list[ArtifactRef]] = {}
    for name, art_spec in component.dag.outputs.artifacts.items():
        for art_selector in art_spec.artifact_selectors:
            result = results.get(art_selector.producer_subtask)
            if (
                result is not None
                and result.ok
                and art_selector.output_artifact_key in (result.artifacts)
            ):
                artifacts[name] = result.artifacts[art_selector.output_artifact_key]
                break
    return parameters, artifacts
