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
from typing import Any

from google.protobuf import json_format
from kfp.pipeline_spec import pipeline_spec_pb2

from sluice.engine.inputs import ResolvedInputs
from sluice.spec.values import normalize_numbers


def fingerprint(
    *,
    task: pipeline_spec_pb2.PipelineTaskSpec,
    component: pipeline_spec_pb2.ComponentSpec,
    container: pipeline_spec_pb2.PipelineDeploymentConfig.PipelineContainerSpec,
    inputs: ResolvedInputs,
) -> str:
    """The cache fingerprint of a container task with these inputs."""
    if task.caching_options.cache_key:
        payload = f"{task.component_ref.name}\0{task.caching_options.cache_key}"
        return hashlib.sha256(payload.encode()).hexdigest()
    outputs = component.output_definitions
    key: dict[str, Any] = {
        "inputArtifactNames": {
            name: [a.uri for a in refs] for name, refs in sorted(inputs.artifacts.items())
        },
        "inputParameterValues": normalize_numbers(
            {k: v for k, v in inputs.parameters.items() if not k.startswith("pipelinechannel--")}
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
    text = json.dumps(key, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()
