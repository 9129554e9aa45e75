"""Cache fingerprints, computed from the same parts as the Go backend's cache key.

With a ``cachingOptions.cacheKey`` the fingerprint depends only on the component
name and that key. Otherwise it covers: the identities (uris) of the input
artifacts, the resolved input parameter values, the output artifact specs, the
output parameter names and types, the image, and the *unresolved* command and
args. Artifact content is not hashed (neither does Go): an input artifact is the
same input when it is the same artifact.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from google.protobuf import json_format
from kfp.pipeline_spec import pipeline_spec_pb2

from sluice.engine.context import json_ready
from sluice.engine.inputs import ResolvedInputs
from sluice.spec.values import normalize_numbers


def cache_key(
    *,
    task: pipeline_spec_pb2.PipelineTaskSpec,
    component: pipeline_spec_pb2.ComponentSpec,
    container: pipeline_spec_pb2.PipelineDeploymentConfig.PipelineContainerSpec,
    inputs: ResolvedInputs,
) -> dict[str, Any]:
    """The parts of a container task's cache key (stored, so a miss can be explained)."""
    if task.caching_options.cache_key:
        return {"component": task.component_ref.name, "cacheKey": task.caching_options.cache_key}
    outputs = component.output_definitions
    return {
        "inputArtifactNames": {
            name: [a.uri for a in refs] for name, refs in sorted(inputs.artifacts.items())
        },
        "inputParameterValues": json_ready(
            normalize_numbers(
                {
                    k: v
                    for k, v in inputs.parameters.items()
                    if not k.startswith("pipelinechannel--")
                }
            )
        ),
        "outputArtifactsSpec": {
            name: json_format.MessageToDict(spec) for name, spec in outputs.artifacts.items()
        },
        "outputParametersSpec": {
            name: pipeline_spec_pb2.ParameterType.ParameterTypeEnum.Name(spec.parameter_type)
            for name, spec in outputs.parameters.items()
        },
        "containerSpec": {
            "image": container.image,
            "cmdArgs": [*container.command, *container.args],
        },
    }


def fingerprint(key: dict[str, Any]) -> str:
    """The cache fingerprint of a cache key from :func:`cache_key`."""
    if "cacheKey" in key:
        payload = f"{key['component']}\0{key['cacheKey']}"
        return hashlib.sha256(payload.encode()).hexdigest()
    text = json.dumps(key, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


# The key's parts, as `sluice cache explain` names them.
KEY_PARTS = {
    "inputParameterValues": "input parameter",
    "inputArtifactNames": "input artifact",
    "containerSpec": "image or command",
    "outputArtifactsSpec": "output artifact spec",
    "outputParametersSpec": "output parameter spec",
    "cacheKey": "cache key",
}


def key_differences(current: dict[str, Any], earlier: dict[str, Any]) -> list[str]:
    """What differs between two cache keys, one line per difference, most specific first."""
    differences: list[str] = []
    for part, label in KEY_PARTS.items():
        now, then = current.get(part), earlier.get(part)
        if now == then:
            continue
        if isinstance(now, dict) and isinstance(then, dict):
            for name in sorted(set(now) | set(then)):
                if now.get(name) != then.get(name):
                    differences.append(
                        f"{label} '{name}': {_show(then.get(name))} -> {_show(now.get(name))}"
                    )
        else:
            differences.append(f"{label}: {_show(then)} -> {_show(now)}")
    return differences


@dataclass(frozen=True)
class KeyChange:
    """One part of a cache key that differs between two executions.

    Attributes:
        part: which part: ``parameter`` and ``artifact`` (an input, by ``name``),
            ``image``, ``command`` (the command and args: a Python component's code is
            in them), ``output_artifact`` and ``output_parameter`` (an output's spec, by
            ``name``), or ``cache_key`` (a ``cachingOptions.cacheKey``).
        name: the input's or output's name; None for the image, command and cache key.
        old / new: the value in the earlier key and in this one; None when absent.
    """

    part: str
    name: str | None
    old: Any
    new: Any


# The key's parts that hold one entry per input or output, and what a change is called.
_NAMED_PARTS = {
    "inputParameterValues": "parameter",
    "inputArtifactNames": "artifact",
    "outputArtifactsSpec": "output_artifact",
    "outputParametersSpec": "output_parameter",
}


def key_changes(current: dict[str, Any], earlier: dict[str, Any]) -> list[KeyChange]:
    """What differs between two cache keys, part by part: the inputs first (what changes
    most often), then the image, the command, the output specs and a custom cache key."""
    changes: list[KeyChange] = []
    for part in ("inputParameterValues", "inputArtifactNames"):
        changes += _named_changes(part, current.get(part), earlier.get(part))
    now_container = current.get("containerSpec") or {}
    then_container = earlier.get("containerSpec") or {}
    for field_name, part in (("image", "image"), ("cmdArgs", "command")):
        now, then = now_container.get(field_name), then_container.get(field_name)
        if now != then:
            changes.append(KeyChange(part=part, name=None, old=then, new=now))
    for part in ("outputArtifactsSpec", "outputParametersSpec"):
        changes += _named_changes(part, current.get(part), earlier.get(part))
    if current.get("cacheKey") != earlier.get("cacheKey"):
        changes.append(
            KeyChange(
                part="cache_key",
                name=None,
                old=earlier.get("cacheKey"),
                new=current.get("cacheKey"),
            )
        )
    return changes


def _named_changes(part: str, now: Any, then: Any) -> list[KeyChange]:
    kind = _NAMED_PARTS[part]
    now_items = now if isinstance(now, dict) else {}
    then_items = then if isinstance(then, dict) else {}
    return [
        KeyChange(part=kind, name=name, old=then_items.get(name), new=now_items.get(name))
        for name in sorted(set(now_items) | set(then_items))
        if now_items.get(name) != then_items.get(name)
    ]


def _show(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str) if value is not None else "(none)"
    return text if len(text) <= 80 else text[:77] + "..."
